# Generates golden_test.go: the expectations of CPython's json module for a
# hand-picked table of inputs, one group per rule of package pyjson.
#
# Rerun from internal/pyjson with the reference interpreter (Python 3.11):
#
#   python3 testdata/gen.py > golden_test.go && gofmt -w golden_test.go
#
# For each input it records what json.loads(input.decode("utf-8")) does
# (success, JSONDecodeError with its message and the byte offset of .pos,
# UnicodeDecodeError with the offset of the first bad byte, or ValueError)
# and, on success, json.dumps(value, separators=(",", ":")).
import json
import sys

assert sys.version_info[:2] == (3, 11), "the reference is CPython 3.11"

# Exact midpoints between adjacent doubles (ties round to even), and the
# same with a far-away digit that breaks the tie.
HALF_ONE = b"1.00000000000000011102230246251565404236316680908203125"  # 1 + 2**-53
HALF_SUB = b"0." + b"%01075d" % (5 * 5**1075)  # 2.5 * 2**-1074 (subnormal)
TETRAGON_ARGS = (
    b'[{"int_arg": 3}, {"file_arg": {"path": "/home/u/x.css", "permission": "-rw-r--r--"}}]'
)

GROUPS = [
    ("whitespace", [
        b"1", b" 1 ", b"\t\n\r [1] \r\n\t", b"[ 1 , 2 ]", b'{ "a" : 1 , "b" : [ ] }',
        b"", b" ", b"\v1", b"\f1", b"1\v", b"1\f", b"[1,\v2]", b"\xc2\xa01", b"1\xc2\xa0",
        b"\xe2\x80\xa81", b"\x1c1", b"[\n]", b"{\r}",
    ]),
    ("literals", [
        b"true", b"false", b"null", b"NaN", b"Infinity", b"-Infinity",
        b"[NaN,Infinity,-Infinity,true,false,null]",
        b"nul", b"tru", b"fals", b"True", b"nan", b"-NaN", b"infinity", b"-Inf", b"+Infinity",
        b"nulll", b"null1", b"[null1]", b"NaNx", b"Infinityy",
    ]),
    ("numbers", [
        b"0", b"-0", b"[-0,0,-0.0,0.0]", b"01", b"-01", b"00", b"[01]", b"1.", b"1.5", b".5", b"+1",
        b"-", b"--1", b"-a", b"1e5", b"1E5", b"1e+5", b"1E-5", b"1e", b"1e+", b"1E-", b"[1e]", b"1.e5",
        b"1.5e", b"1.5.", b"0x1", b"1_000", b"\xef\xbc\x91", b"0e0", b"-0e0", b"0.0e-0",
        b"123456789012345678901234567890", b"-123456789012345678901234567890",
        b"9007199254740993", b"[1,-1,10,-10]",
    ]),
    ("float repr", [
        b"1.0", b"1.5", b"-1.5", b"0.1", b"0.30000000000000004", b"1e16", b"1e15", b"9999999999999998.0",
        b"1.0e15", b"123456789012345.678", b"1234567890123456.7", b"12345678901234567.0",
        b"0.0001", b"0.00001", b"1e-4", b"1e-5", b"0.000123", b"0.0000123", b"100000.0", b"1e5",
        b"1.5e300", b"-1.5e300", b"1.5e-300", b"1e22", b"1e23", b"1e100", b"5e-324", b"4.9e-324",
        b"2e-324", b"3e-324", b"2.2250738585072014e-308", b"1.7976931348623157e308",
        b"1.7976931348623158e308", b"1.7976931348623159e308", b"1e308", b"1e309", b"1e400",
        b"-1e400", b"1e-400", b"-1e-400", b"1e99999999999999999999", b"-1e-99999999999999999999",
        b"0.1e1", b"10.0e-1", b"123e-2", b"9007199254740993.0", b"0.3e0", b"2.5E+3",
        b"3.141592653589793238462643383279502884197",
        b"1" * 400 + b".5", b"0." + b"0" * 400 + b"1", b"1.00000000000000011102230246251565404236316680908203125",
        b"1.00000000000000011102230246251565404236316680908203124",
        HALF_ONE + b"0" * 900, HALF_ONE + b"0" * 900 + b"1", HALF_SUB, HALF_SUB + b"0" * 10 + b"1",
        b"-" + HALF_SUB + b"e0", HALF_SUB[:-1] + b"4" + b"9" * 300,
        b"1.00000000000000011102230246251565404236316680908203126",
    ]),
    ("integer digit limit", [
        b"1" * 4300, b"-" + b"1" * 4300, b"1" * 4301, b"-" + b"1" * 4301, b"[" + b"9" * 5000 + b"]",
        b"1" * 4301 + b".0", b"1" * 4301 + b"e0", b"[1" + b"0" * 4300 + b", x]",
    ]),
    ("strings", [
        b'""', b'"abc"', b'"a/b"', b'"a\\/b"', b'"\\"\\\\\\/\\b\\f\\n\\r\\t"',
        b'"\\u0041\\u0062"', b'"\\u00e9\\u00E9"', b'"\\u0000\\u0001\\u001f\\u001F"',
        b'"\\u0008\\u000c\\u000a\\u000d\\u0009"', b'"\\u0022\\u005c\\u002f"', b'"\\u007f\\u0080"',
        b'"\x7f"', b'"\xc3\xa9"', b'"\xe6\x97\xa5\xe6\x9c\xac"', b'"\xf0\x9f\x98\x80"',
        b'"\xf4\x8f\xbf\xbf"', b'"\xef\xbb\xbf"', b'"\xe2\x80\xa8"', b'"\xc2\x85"',
        b'"\\ud83d\\ude00"', b'"\\uD83D\\uDE00"', b'"\\ud800"', b'"\\udc00"', b'"\\udc00\\ud800"',
        b'"\\ud800\\ud800\\udc00"', b'"\\ud800x"', b'"\\ud800\\u0041"', b'"\\ud800\\n"',
        b'"\\uDBFF\\uDFFF"', b'"a\\ud800"', b'"\\ud800\\\\"',
        b'" tab\there"', b'"a\x00b"', b'"a\x1fb"', b'"a\nb"', b'"a\rb"',
        b'"\\x"', b'"\\U0041"', b"\"\\'\"", b'"\\a"', b'"\\0"', b'"\\ "', b'"\\u12"', b'"\\u12g4"',
        b'"\\uzzzz"', b'"\\u 123"', b'"\\ud800\\uzzzz"', b'"\\ud800\\u12"',
        b'"abc', b'"\\', b'"\\"', b'"\\u0041', b'"\\u004', b'"\\ud800\\udc00', b'"\\ud800\\udc0',
        b'"a\\', b"'a'",
    ]),
    ("invalid UTF-8", [
        b'"\xff"', b'"\xc3"', b'"\xc3x"', b'"\xe2\x82"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"',
        b'"\xc0\xaf"', b'"\x80"', b"\xff", b"[1,\xff]", b"[1,2 \xff]", b'[1 2, "\xff"]', b"1 \xc3",
        b'{"a":1}\xff', b'"abc\xff', b'"\\x\xff"', b'"\\u00\xff"',
        b"\xef\xbb\xbf1", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xff", b"\xef\xbb",
    ]),
    ("objects", [
        b"{}", b'{"a":1}', b'{"b":1,"a":2}', b'{"a":1,}', b'{"a":1 "b":2}', b'{"a" 1}', b'{"a":}',
        b"{1:2}", b"{'a':1}", b'{"a":1', b'{"a"', b"{", b'{"a":1,"a":2}', b'{"a":1,"b":2,"a":3}',
        b'{"a":1,"b":2,"a":3,"b":4,"a":5}', b'{"a":1,"\\u0061":2}', b'{"\xc3\xa9":1,"\\u00E9":2}',
        b'{"\xf0\x9f\x98\x80":1,"\\ud83d\\ude00":2}', b'{"\\ud800":1,"\\uD800":2,"\\udc00":3}',
        b'{"x/y":1,"x\\/y":2}', b'{"":1,"":2}', b'{"a":{"b":1,"b":2},"a":{"c":3,"c":4}}',
        b'{"a":[{"k":1,"k":[2]}],"b":1}', b'[{"a":1,"a":2},{"a":3}]',
        b'{"k":{"x":1},"k":2}', b'{"k":2,"k":{"x":1,"y":{"x":1,"x":2}}}',
        b'{' + b','.join(b'"k%d":%d' % (i, i) for i in range(40)) + b',"k7":"dup"}',
        b'{' + b','.join(b'"k%d":%d' % (i, i) for i in range(40)) + b'}',
        b'{"a": 1, "b": {"c": [1, 2, {"d": null}]}}',
    ]),
    ("arrays", [
        b"[]", b"[ ]", b"[1]", b"[1,2]", b"[1,]", b"[,1]", b"[1 2]", b"[1", b"[", b"]", b"[[]]",
        b"[[],[[]]]", b"[1]]", b"[[1]", b'["a",["b",["c"]]]',
    ]),
    ("extra data", [
        b"1 2", b"[] []", b"{}x", b'"a""b"', b"1,", b"null null", b"[]\x00",
    ]),
    ("nesting", [
        b"[" * 100 + b"]" * 100, b'{"a":' * 100 + b"1" + b"}" * 100, b"[" * 100, b"[" * 50 + b"]" * 49,
    ]),
    ("tetragon", [
        TETRAGON_ARGS,
        b'[{"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",'
        b' "saddr": "10.0.0.1", "daddr": "1.1.1.1", "sport": 51234, "dport": 443}}, {"size_arg": "4096"}]',
        b'[{"string_arg": "caf\xc3\xa9 \\"quoted\\" \\\\ tab\\t"}, {"bytes_arg": "AAEC/w=="}, {"int_arg": -1}]',
        b'[{"int_arg": 3, "int_arg": 4}, {"file_arg": {"path": "/a", "permission": "x", "path": "/b"}}]',
    ]),
]


def expect(b):
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return ("UnicodeDecodeError", e.start, "invalid UTF-8", None)
    try:
        v = json.loads(s)
    except json.JSONDecodeError as e:
        return ("JSONDecodeError", len(s[: e.pos].encode("utf-8")), e.msg, None)
    except ValueError as e:
        return ("ValueError", 0, str(e), None)
    return ("", 0, "", json.dumps(v, separators=(",", ":")).encode("ascii"))


def go_bytes_lit(b):
    out = []
    for c in b:
        if c == 0x22:
            out.append('\\"')
        elif c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        elif c == 0x0A:
            out.append("\\n")
        elif c == 0x09:
            out.append("\\t")
        elif c == 0x0D:
            out.append("\\r")
        else:
            out.append("\\x%02x" % c)
    return '"' + "".join(out) + '"'


def go_str(b):
    """A Go string expression for b; runs of 32+ equal bytes use strings.Repeat."""
    parts = []
    i = 0
    lit = bytearray()
    while i < len(b):
        j = i
        while j < len(b) and b[j] == b[i]:
            j += 1
        if j - i >= 32:
            if lit:
                parts.append(go_bytes_lit(bytes(lit)))
                lit = bytearray()
            parts.append("strings.Repeat(%s, %d)" % (go_bytes_lit(b[i : i + 1]), j - i))
        else:
            lit += b[i:j]
        i = j
    if lit or not parts:
        parts.append(go_bytes_lit(bytes(lit)))
    return " + ".join(parts)


def main():
    w = sys.stdout.write
    w("// Code generated by testdata/gen.py from CPython %s; DO NOT EDIT.\n" % sys.version.split()[0])
    w("// Rerun: python3 testdata/gen.py > golden_test.go && gofmt -w golden_test.go\n\n")
    w("package pyjson\n\nimport \"strings\"\n\n")
    w("var _ = strings.Repeat\n\n")
    w("// goldenCases: exc is \"\" when json.loads succeeds (out is then the\n")
    w("// json.dumps output), else the Python exception, msg and byte offset.\n")
    w("var goldenCases = []goldenCase{\n")
    seen = set()
    for group, inputs in GROUPS:
        w("\t// %s\n" % group)
        for b in inputs:
            if b in seen:
                continue
            seen.add(b)
            exc, off, msg, out = expect(b)
            if exc:
                w("\t{group: %s, in: %s, exc: %s, msg: %s, off: %d},\n"
                  % (json.dumps(group), go_str(b), json.dumps(exc), go_bytes_lit(msg.encode()), off))
            else:
                w("\t{group: %s, in: %s, out: %s},\n" % (json.dumps(group), go_str(b), go_str(out)))
    w("}\n")


if __name__ == "__main__":
    main()
