# Oracle for diff_test.go: runs CPython's json module on a stream of inputs.
#
# Input (stdin): records of a 4-byte little-endian length followed by that
# many bytes. Output (stdout): one JSON array per record, in order:
#   ["OK", 0, dumps]        json.loads succeeded; dumps is
#                           json.dumps(value, separators=(",", ":"))
#   ["J", offset, msg]      JSONDecodeError; offset is the byte offset of .pos
#   ["U", offset, ""]       the bytes are not valid UTF-8 (.start)
#   ["V", 0, msg]           ValueError other than JSONDecodeError
#   ["R", 0, msg]           RecursionError
#   ["E", 0, repr]          anything else (a bug in the test or the oracle)
import json
import struct
import sys


def one(b):
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["U", e.start, ""]
    try:
        v = json.loads(s)
    except json.JSONDecodeError as e:
        return ["J", len(s[: e.pos].encode("utf-8")), e.msg]
    except RecursionError as e:
        return ["R", 0, str(e)]
    except ValueError as e:
        return ["V", 0, str(e)]
    except Exception as e:  # noqa: BLE001
        return ["E", 0, repr(e)]
    try:
        return ["OK", 0, json.dumps(v, separators=(",", ":"))]
    except Exception as e:  # noqa: BLE001
        return ["E", 0, "dumps: " + repr(e)]


def main():
    inp = sys.stdin.buffer
    out = sys.stdout
    while True:
        h = inp.read(4)
        if len(h) < 4:
            break
        (n,) = struct.unpack("<I", h)
        b = inp.read(n)
        out.write(json.dumps(one(b)) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
