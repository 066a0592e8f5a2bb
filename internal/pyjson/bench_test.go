package pyjson

import (
	"strings"
	"testing"
)

// tetragonArgs is a typical kprobe "args" value as the pipeline sees it.
const tetragonArgs = `[{"int_arg": 3}, {"file_arg": {"path": "/home/u/project/static/css/x.css", "permission": "-rw-r--r--"}}, {"size_arg": "4096"}]`

// tetragonLine is a typical Tetragon JSON-lines record.
const tetragonLine = `{"process_kprobe":{"process":{"exec_id":"OjEyMzQ1Njc4OTAxMjM0NTY3ODkwOjEyMzQ1Ng==","pid":123456,"uid":1000,"cwd":"/home/u/project","binary":"/usr/bin/cat","arguments":"static/css/x.css","flags":"execve clone","start_time":"2026-04-19T18:10:00.123456789Z","auid":1000,"parent_exec_id":"OjEyMzQ1Njc4OTAxMjM0NTY3ODkwOjEyMzQ1NQ==","refcnt":1,"tid":123456,"in_init_tree":false},"parent":{"exec_id":"OjEyMzQ1Njc4OTAxMjM0NTY3ODkwOjEyMzQ1NQ==","pid":123455,"uid":1000,"cwd":"/home/u/project","binary":"/usr/bin/bash","flags":"procFS auid","start_time":"2026-04-19T18:00:00.000000000Z","auid":1000,"parent_exec_id":"OjEyMzQ1Njc4OTAxMjM0NTY3ODkwOjEwMDA=","tid":123455,"in_init_tree":false},"function_name":"security_file_permission","args":` +
	tetragonArgs +
	`,"return":{"int_arg":0},"action":"KPROBE_ACTION_POST","policy_name":"file-monitoring","return_action":"KPROBE_ACTION_POST"},"node_name":"host-1","time":"2026-04-19T18:10:00.123456789Z"}`

func benchCompact(b *testing.B, in string) {
	src := []byte(in)
	dst := make([]byte, 0, 2*len(src)+64)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, err = AppendCompact(dst[:0], src)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendCompactArgs(b *testing.B) { benchCompact(b, tetragonArgs) }

func BenchmarkAppendCompactLine(b *testing.B) { benchCompact(b, tetragonLine) }

func BenchmarkAppendCompactUnicode(b *testing.B) {
	benchCompact(b, `[{"string_arg": "caf\u00e9 \"q\" 日本語 😀 \\ tab\t"}, {"path": "/tmp/ünïcödé"}]`)
}

func BenchmarkAppendCompactFloats(b *testing.B) {
	benchCompact(b, `[1.5, -0.0, 1e300, 0.0001, 1e-7, 3.141592653589793, 100000.0, 2.5e-308]`)
}

func BenchmarkAppendCompactDuplicateKeys(b *testing.B) {
	benchCompact(b, `[{"int_arg": 3, "int_arg": 4}, {"file_arg": {"path": "/a", "permission": "x", "path": "/b"}}]`)
}

func BenchmarkAppendCompactManyKeys(b *testing.B) {
	var s strings.Builder
	s.WriteString("{")
	for i := range 200 {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(`"key` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `": 1`)
	}
	s.WriteString("}")
	benchCompact(b, s.String())
}

func benchValid(b *testing.B, in string) {
	src := []byte(in)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Valid(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidLine(b *testing.B) { benchValid(b, tetragonLine) }

func BenchmarkValidArgs(b *testing.B) { benchValid(b, tetragonArgs) }
