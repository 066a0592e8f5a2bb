#!/usr/bin/env python3
"""Generate gzip_lengths.jsonl, the golden expectations for package deflate.

Regenerate (needs CPython >= 3.11 linked against zlib 1.2.13):

    cd internal/deflate/testdata && python3 gen.py > gzip_lengths.jsonl

Each line is one JSON object:
    {"name": str, "text": str | "hex": str, "repeat": int (optional), "len": int}
The input is the UTF-8 encoding of "text" (or the bytes of "hex") repeated
"repeat" times (default 1); "len" is len(gzip.compress(input)) at level 9.
"repeat" keeps large repetitive inputs small in the file.
"""

import gzip
import json
import random
import sys
import zlib

if sys.version_info < (3, 11) or zlib.ZLIB_RUNTIME_VERSION != "1.2.13":
    sys.exit("need CPython >= 3.11 with zlib 1.2.13, have %s / %s"
             % (sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION))

rng = random.Random(20240611)
cases = []  # (name, unit bytes, repeat)


def add(name, data, repeat=1):
    cases.append((name, bytes(data), repeat))


COMMANDS = [
    "ls",
    "cd /home/user/project && git status",
    "node /usr/local/lib/node_modules/npm/bin/npm-cli.js install --save-dev typescript@5.4.5 @types/node eslint prettier",
    "npm run build -- --mode=production --config ./config/webpack.prod.js --progress --profile --json > stats.json",
    "python3 -m pip install --no-cache-dir --upgrade -r requirements.txt --index-url https://pypi.org/simple",
    "python3 -c 'import sys, json; print(json.dumps({\"argv\": sys.argv, \"path\": sys.path}, indent=2))'",
    "git -C /srv/repos/monorepo log --pretty=format:'%H %an %ad %s' --date=iso --since=2023-01-01 -- src/ lib/ tests/",
    "git commit -am 'fix: handle empty input in parser (closes #1234)' && git push origin HEAD:refs/heads/feature/parser-fix",
    "curl -sSL -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' -d '{\"query\":\"mutation { deploy(id: 42) { status } }\"}' https://api.example.com/graphql",
    "echo 'H4sIAAAAAAAAA+1Y3W7bNhS+71MQvnYsW7bTJnd7gGEYsAu7GLCLgWJoibEoUSRlOclTDQN2sZu9wl5l/1PaWmqaNSvQq5oCQUgQ+nG+852fw8+fvn3/8RXwC/oKhdFPiY8BQg1aCwcfLO/AZ2K+kmQ3UJCmCSIvXgSLVrG9cN7kLPE/Ugn8AtV3e5Gsz7KAoaE8j3jkvYRhgtm4bLJR4EIJ6Tt6ZxaYk+3e+4iqT2IVLLFL8tr+6/s2kt0=' | base64 -d | gunzip | tar -xvf - -C /tmp/extract",
    "docker run --rm -it -v $(pwd):/workspace -w /workspace -e HOME=/tmp -e NODE_OPTIONS=--max-old-space-size=4096 --network host node:20-bullseye npx jest --coverage --ci --runInBand",
    "find . -type f \\( -name '*.go' -o -name '*.py' -o -name '*.ts' \\) -not -path './vendor/*' -not -path './node_modules/*' -exec grep -Hn 'TODO' {} +",
    "/usr/bin/env bash -lc 'export PATH=/opt/conda/bin:$PATH; conda activate ml; python train.py --epochs 100 --batch-size 256 --lr 3e-4 --weight-decay 0.01 --warmup-steps 1000 --fp16 --gradient-checkpointing --output-dir /mnt/checkpoints/run-$(date +%s)'",
    "kubectl -n production get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}' | sort -k2",
    "ssh -o StrictHostKeyChecking=no -i ~/.ssh/id_ed25519 deploy@10.0.12.34 'sudo systemctl restart nginx && sudo journalctl -u nginx -n 50 --no-pager'",
    "awk -F, 'NR>1 {sum[$3]+=$5; cnt[$3]++} END {for (k in sum) printf \"%s\\t%.2f\\n\", k, sum[k]/cnt[k]}' data/sales_2023.csv | sort -t$'\\t' -k2 -nr | head -20",
    "rsync -avz --delete --exclude='.git' --exclude='*.pyc' --exclude='__pycache__' ./build/ user@host.example.org:/var/www/html/",
    "ffmpeg -i input.mp4 -vf 'scale=1280:-2,fps=30' -c:v libx264 -preset slow -crf 22 -c:a aac -b:a 128k -movflags +faststart output.mp4",
    "go test -race -count=1 -run 'TestParse|TestLex' -coverprofile=cover.out ./internal/... && go tool cover -func=cover.out | tail -1",
    "cargo build --release --target x86_64-unknown-linux-musl --features 'simd,jemalloc' && strip target/x86_64-unknown-linux-musl/release/app",
    "psql \"postgresql://admin:s3cr3t@db.internal:5432/analytics?sslmode=require\" -c \"SELECT date_trunc('day', created_at) AS d, count(*) FROM events WHERE created_at > now() - interval '30 days' GROUP BY 1 ORDER BY 1;\"",
    "echo \"héllo wörld — ünïcödé ✓ 日本語のテキスト 🚀🔥 Привет мир\" | iconv -f utf-8 -t utf-16le | xxd | head",
]
for i, c in enumerate(COMMANDS):
    add("cmd%02d" % i, c.encode())
add("cmds_joined", ("\n".join(COMMANDS)).encode())

WORDS = [
    "node", "npm", "npx", "python3", "pip", "git", "curl", "wget", "docker", "kubectl", "--verbose",
    "--output", "-o", "-f", "--config", "/usr/local/bin/", "/home/user/", "src/", "lib/", "index.js",
    "main.py", "&&", "||", "|", ">", "2>&1", "--flag=value", "-X", "POST", "https://example.com/",
    "api/v1/items?id=", "$(pwd)", "${HOME}", "'", "\"", "=", ";", "\n", "\t", "build", "test", "run",
    "--no-cache", "--force", "-rf", "/tmp/", "ä", "ñ", "€", "中文", "😀", "0", "1", "42", "1024",
]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def mixed(n):
    out = []
    size = 0
    while size < n:
        r = rng.random()
        if r < 0.70:
            w = rng.choice(WORDS)
        elif r < 0.80:
            w = "".join(rng.choice(B64) for _ in range(rng.randrange(8, 120)))
        elif r < 0.90:
            w = str(rng.randrange(10 ** rng.randrange(1, 12)))
        else:
            w = "".join(chr(rng.randrange(0x20, 0x7f)) for _ in range(rng.randrange(1, 30)))
        out.append(w + (" " if rng.random() < 0.7 else ""))
        size += len(out[-1].encode())
    return "".join(out).encode()[:n]


def utf8_trim(b):
    # Cut at a character boundary so the case stays valid UTF-8 (compact JSON).
    while True:
        try:
            b.decode("utf-8")
            return b
        except UnicodeDecodeError:
            b = b[:-1]


add("empty", b"")
for v in (0, 0x41, 0x0A, 0x7F, 0x80, 0xFF):
    add("one_%02x" % v, bytes([v]))
add("two", b"ab")
add("three_same", b"aaa")
add("four_same", b"aaaa")
for n in (50, 200, 1000, 5000, 40000, 100000):
    add("mixed_%d" % n, utf8_trim(mixed(n)))
add("all_bytes", bytes(range(256)))
add("all_bytes_x4", bytes(range(256)) * 4)
add("all_bytes_desc", bytes(range(255, -1, -1)) * 3)
add("utf8_nonascii", ("Grüße aus Köln — naïve café, 東京タワー, Привет, 🚀🔥✓ " * 7).encode())

# Random bytes: stored blocks, including multiple blocks and window slides.
for n in (10, 100, 300, 1000, 5000, 20000, 40000):
    add("random_%d" % n, rng.randbytes(n))
# Random printable ASCII: literal-heavy dynamic blocks.
for n in (100, 3000, 30000):
    add("printable_%d" % n, bytes(rng.randrange(0x20, 0x7f) for _ in range(n)))
# Small alphabets: many short matches, TOO_FAR and lazy decisions.
for n, k in ((2000, 2), (20000, 2), (20000, 4), (70000, 3)):
    add("alpha%d_%d" % (k, n), bytes(rng.choice(b"abcd"[:k]) for _ in range(n)))

# Highly repetitive inputs stored compactly with "repeat".
add("zeros_1", b"\0")
for n in (3, 257, 258, 259, 1000, 32768, 65536, 100000, 300000):
    add("zeros_%d" % n, b"\0", n)
add("ab_100000", b"ab", 50000)
add("abc_150000", b"abc", 50000)
add("cmd_x500", COMMANDS[2].encode() + b"\n", 500)
add("period_1021", rng.randbytes(1021), 97)
add("period_40000", rng.randbytes(40000), 3)  # period beyond MAX_DIST: no matches
add("period_32506", rng.randbytes(32506), 3)  # distance exactly MAX_DIST
add("period_32507", rng.randbytes(32507), 3)

# Sizes around block (16383 symbols) and window-slide (65274) boundaries.
for n in (16382, 16383, 16384, 65274):
    add("random_%d" % n, rng.randbytes(n)) if n <= 16384 else add(
        "printable_%d" % n, bytes(rng.randrange(0x20, 0x60) for _ in range(n)))

# Bytes sharing their low 5 bits share 15-bit hash keys (b0 << 10 keeps only
# those), so chains fill with candidates that the byte checks must reject.
collide = [0x01, 0x21, 0x41, 0x61, 0x81, 0xA1, 0xC1, 0xE1, 0x02, 0x22]
add("hash_collisions_6000", bytes(rng.choice(collide) for _ in range(6000)))
# Matches of length ~32 around good_match, and runs around nice/max_lazy.
unit = rng.randbytes(40)
buf = bytearray()
while len(buf) < 8000:
    u = bytearray(unit)
    u[rng.randrange(40)] = rng.randrange(256)
    buf += u
add("perturbed_period40", bytes(buf))
buf = bytearray()
while len(buf) < 8000:
    buf += bytes([0x30 + rng.randrange(4)]) * rng.choice([1, 2, 3, 4, 31, 32, 33, 257, 258, 259])
add("runs_lazy_boundaries", bytes(buf))
# 3-byte repeats at distances around TOO_FAR (4096).
buf = bytearray(rng.randbytes(9000))
for i in range(4100, len(buf) - 3, 61):
    d = rng.choice([4095, 4096, 4097, 4098])
    buf[i:i + 3] = buf[i - d:i - d + 3]
add("too_far_3byte", bytes(buf))

# A 290-byte command line whose bit-length tree needs gen_bitlen's overflow
# repair (codes longer than 7 bits).
add("bl_overflow_cmd", (
    'BcC>JJo$cv3~Y8A574992 curl ${PATH} || ^up;$H]^q yarn -f -it $(pwd):/wo'
    "rk >> -v $(pwd):/work pip /-X/pkg-524/'import sys; print(sys.argv)' 2b"
    '<I&;NLJ38$G!_S{\\D3 run 373deploy.yaml =npx \ntar B&-)_E0%5WS $(pwd):/wo'
    "rk >> -am main -o389 'Content-Type: application/json' -rf tests/ -sSL "
    '-czfYDSO5W'
    ).encode())

# Fibonacci-skewed symbol frequencies: deep, lopsided Huffman trees. (Lazy
# matching perturbs the counts, so the 15-bit limit itself is not reached;
# the overflow repair is covered by bl_overflow_cmd.)
fib = [1, 1]
while len(fib) < 21:
    fib.append(fib[-1] + fib[-2])
syms = [0x21 + i for i, f in enumerate(fib) for _ in range(f)]
rng.shuffle(syms)
add("fibonacci_21", bytes(syms))
syms = [0x21 + i for i, f in enumerate(fib[:18]) for _ in range(f)]
add("fibonacci_sorted_18", bytes(syms))


def expect(data):
    g = len(gzip.compress(data, 9))
    raw = len(zlib.compress(data, 9, wbits=-15))
    assert g == 10 + raw + 8, (g, raw)
    return g


for name, unit, rep in cases:
    rec = {"name": name}
    try:
        rec["text"] = unit.decode("utf-8")
    except UnicodeDecodeError:
        rec["hex"] = unit.hex()
    if rep != 1:
        rec["repeat"] = rep
    rec["len"] = expect(unit * rep)
    print(json.dumps(rec, ensure_ascii=False))
