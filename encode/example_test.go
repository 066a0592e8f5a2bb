package encode_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// exampleLines is a bash shell that runs curl, which connects out and
// opens a file in /tmp, then one line that is not JSON.
var exampleLines = strings.Join([]string{
	`{"process_exec":{"process":{"exec_id":"YmFzaA==","pid":4100,"uid":1000,"binary":"/usr/bin/bash","cwd":"/home/dev","flags":"execve","start_time":"2026-04-19T21:47:00Z","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:47:00.001Z"}`,
	`{"process_exec":{"process":{"exec_id":"c2g=","parent_exec_id":"YmFzaA==","pid":4242,"uid":1000,"binary":"/usr/bin/curl","arguments":"-fsSL https://example.invalid/x.sh -o /tmp/x.sh","cwd":"/home/dev","flags":"execve clone","start_time":"2026-04-19T21:48:02Z","ns":{"pid":{"inum":4026533329}}},"parent":{"exec_id":"YmFzaA==","binary":"/usr/bin/bash","uid":1000}},"time":"2026-04-19T21:48:02.001Z"}`,
	`{"process_kprobe":{"process":{"exec_id":"c2g=","parent_exec_id":"YmFzaA==","pid":4242,"uid":1000,"binary":"/usr/bin/curl","cwd":"/home/dev","ns":{"pid":{"inum":4026533329}}},"function_name":"tcp_connect","policy_name":"network-monitor","action":"KPROBE_ACTION_POST","args":[{"sock_arg":{"family":"AF_INET","daddr":"140.82.112.3","dport":443}}]},"time":"2026-04-19T21:48:02.150Z"}`,
	`{"process_kprobe":{"process":{"exec_id":"c2g=","parent_exec_id":"YmFzaA==","pid":4242,"uid":1000,"binary":"/usr/bin/curl","cwd":"/home/dev","ns":{"pid":{"inum":4026533329}}},"function_name":"fd_install","policy_name":"file-monitor","action":"KPROBE_ACTION_POST","args":[{"int_arg":3},{"file_arg":{"path":"/tmp/x.sh"}}]},"time":"2026-04-19T21:48:02.400Z"}`,
	`not json`,
}, "\n")

// A live service: Tetragon lines in (here from a string; a service reads
// its stdin or a socket the same way), each event's features out at once.
// The graph would be seeded with the training split's (lineage.ReadFrom).
func Example() {
	defs := schema.Default()
	enc, _ := encode.New(defs, lineage.New())
	p, _ := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329}, NodeName: "prox1", Columns: enc.RawColumns()})
	live, _ := encode.NewLive(p, enc, "stdin")
	defer live.Close()

	fmt.Println(len(enc.CodeColumns()), "codes,", len(enc.FloatColumns()), "floats,", len(enc.StringColumns()), "strings")
	sc := bufio.NewScanner(strings.NewReader(exampleLines))
	for sc.Scan() {
		feats, err := live.Line(sc.Bytes())
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, f := range feats { // the line's event; none for a dropped line
			family, _ := f.Value("f_action_family")
			label, _ := defs.Label("f_action_family", int(family.Int))
			depth, _ := f.Value("f_lineage_depth")
			token, _ := f.Value("token")
			fmt.Printf("line %d: %s depth %d %s codes[:4]=%v\n", f.Line(), label, depth.Int, token.Str, f.Codes()[:4])
		}
	}
	st := live.Stats()
	fmt.Println(st.String())
	// Output:
	// 33 codes, 9 floats, 11 strings
	// line 1: PROC_EXEC depth 0 PROC_EXEC:unknown->bash codes[:4]=[0 12 6 1]
	// line 2: PROC_EXEC depth 1 PROC_EXEC:bash->curl codes[:4]=[0 12 6 1]
	// line 3: NET_CONNECT depth 1 NET_CONNECT:curl:PUBLIC:WEB codes[:4]=[2 3 3 0]
	// line 4: FILE_OPEN depth 1 FILE_OPEN:curl:TEMP_STAGING codes[:4]=[2 0 0 0]
	// errors_json_parse=1 kept_process_exec=2 kept_process_kprobe=2 lines_kept=4 lines_read=5
}

// The JSON form of a row, for a model served in another language.
func ExampleFeatures_AppendJSON() {
	enc, _ := encode.New(nil, nil)
	p, _ := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	live, _ := encode.NewLive(p, enc, "stdin")
	defer live.Close()
	line := strings.SplitN(exampleLines, "\n", 2)[0]
	feats, _ := live.Line([]byte(line))
	js := feats[0].AppendJSON(nil)
	fmt.Println(string(js[:120]), "…")
	// Output:
	// {"event_time":1776635220001000000,"proc_exec_id":"YmFzaA==","proc_pid":4100,"f_event_type":0,"f_kprobe_function":12,"f_k …
}

// A batch: raw Arrow batches from a Parser, encoded Arrow batches out, the
// graph built from all of them first as the corpus is.
func ExampleEncoder_Encode() {
	defs := schema.Default()
	probe, _ := encode.New(defs, nil)
	p, _ := tetraparse.New(tetraparse.Config{NodeName: "prox1", Columns: probe.RawColumns()})
	g := lineage.New()
	var raw []arrow.RecordBatch
	for rec, err := range p.Records(strings.NewReader(exampleLines), "example.json") {
		if err != nil {
			fmt.Println(err)
			return
		}
		rec.Retain() // kept past the loop body
		raw = append(raw, rec)
		g.AddBatch(rec)
	}
	enc, _ := encode.New(defs, g)
	for _, rec := range raw {
		out, err := enc.Encode(rec)
		rec.Release()
		if err != nil {
			fmt.Println(err)
			return
		}
		family := out.Column(out.Schema().FieldIndices("f_action_family")[0]).(*array.Uint8)
		pair := out.Column(out.Schema().FieldIndices("parent_child_pair")[0]).(*array.String)
		for i := range family.Len() {
			label, _ := defs.Label("f_action_family", int(family.Value(i)))
			fmt.Printf("%s %q\n", label, pair.Value(i))
		}
		out.Release()
	}
	// Output:
	// PROC_EXEC "->bash"
	// PROC_EXEC "bash->curl"
	// NET_CONNECT "bash->curl"
	// FILE_OPEN "bash->curl"
}

// A service that only encodes builds just the raw columns the Encoder
// reads: the parser still decodes and counts every line.
func ExampleEncoder_RawColumns() {
	enc, _ := encode.New(nil, nil, encode.WithIncrementalLineage())
	cols := enc.RawColumns()
	p, _ := tetraparse.New(tetraparse.Config{Columns: cols})
	fmt.Printf("the parser builds %d of %d raw columns\n", p.Schema().NumFields(), len(schema.Default().RawColumns()))
	line := `{"process_exec":{"process":{"exec_id":"c2g=","pid":4242,"binary":"/usr/bin/curl","start_time":"2026-04-19T21:48:02Z","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:02.001Z"}`
	for raw, err := range p.Records(strings.NewReader(line), "live") {
		if err != nil {
			fmt.Println(err)
			return
		}
		out, err := enc.Encode(raw)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(out.NumRows(), "row,", out.NumCols(), "encoded columns")
		out.Release()
	}
	// Output:
	// the parser builds 32 of 126 raw columns
	// 1 row, 61 encoded columns
}

// A service that restarts keeps its features continuous: it saves the
// graph and the per-process times at a checkpoint and loads both in the
// next run, so the curl process's next event still has its time since the
// previous one (delta_t_prev_ns) rather than a null.
func ExampleEncoder_WriteProcessState() {
	lines := strings.Split(exampleLines, "\n")
	run := func(g *lineage.Graph, state []byte, lines []string) (*encode.Encoder, []string) {
		enc, _ := encode.New(nil, g)
		if state != nil {
			enc.ReadProcessState(bytes.NewReader(state))
		}
		p, _ := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
		live, _ := encode.NewLive(p, enc, "stdin")
		defer live.Close()
		var out []string
		for _, l := range lines {
			feats, _ := live.Line([]byte(l))
			for _, f := range feats {
				dt, _ := f.Value("delta_t_prev_ns")
				out = append(out, fmt.Sprintf("%s null=%v %d", f.Strings()[0], dt.Null, dt.Int))
			}
		}
		return enc, out
	}
	// The first run stops after the curl process's first kprobe.
	g := lineage.New()
	first, out := run(g, nil, lines[:3])
	var graph, state bytes.Buffer
	g.WriteTo(&graph)
	first.WriteProcessState(&state)
	fmt.Println(out)
	// The next run starts from the checkpoint.
	g2 := lineage.New()
	g2.ReadFrom(&graph)
	_, out = run(g2, state.Bytes(), lines[3:])
	fmt.Println(out)
	// Output:
	// [bash null=true 0 curl null=true 0 curl null=false 149000000]
	// [curl null=false 250000000]
}

// Lines that are waiting together (a backlog, a burst) are taken in one
// call, with the events and line numbers successive Line calls give.
func ExampleLive_Lines() {
	enc, _ := encode.New(nil, lineage.New())
	p, _ := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	live, _ := encode.NewLive(p, enc, "stdin")
	defer live.Close()
	var waiting [][]byte
	for _, l := range strings.Split(exampleLines, "\n") {
		waiting = append(waiting, []byte(l))
	}
	feats, _ := live.Lines(waiting)
	for _, f := range feats {
		token, _ := f.Value("token")
		fmt.Println(f.Line(), token.Str)
	}
	// Output:
	// 1 PROC_EXEC:unknown->bash
	// 2 PROC_EXEC:bash->curl
	// 3 NET_CONNECT:curl:PUBLIC:WEB
	// 4 FILE_OPEN:curl:TEMP_STAGING
}
