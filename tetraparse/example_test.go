package tetraparse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetrahids/tetrahids/tetraparse"
)

func ExampleDecode() {
	line := `{"process_exec":{"process":{"exec_id":"cHJveDE6MTIz","pid":"4242","uid":1000,
	  "binary":"/usr/bin/curl","arguments":"-fsSL https://example.invalid","flags":"execve clone",
	  "ns":{"pid":{"inum":"4026533329"}}}},"node_name":"prox1","time":"2026-04-19T21:48:02.652Z"}`
	ev, err := tetraparse.Decode([]byte(line))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := ev.Process
	fmt.Println(ev.Kind, ev.Time.Value, p.Binary.Value, p.PID.Value, p.NS.PID.Inum.Value, p.FlagExecve)
	// Output: process_exec 1776635282652000000 /usr/bin/curl 4242 4026533329 true
}

func ExampleParser_Files() {
	dir, _ := os.MkdirTemp("", "tetraparse-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.json")
	lines := []string{
		`{"process_exec":{"process":{"exec_id":"a","binary":"/usr/bin/bash","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:02Z"}`,
		`not json`,
		`{"process_kprobe":{"process":{"exec_id":"a","ns":{"pid":{"inum":4026533329}}},"function_name":"fd_install",` +
			`"args":[{"int_arg":3},{"file_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}}]},"time":"2026-04-19T21:48:03Z"}`,
		`{"process_exec":{"process":{"exec_id":"h","ns":{"pid":{"inum":4026531836,"is_host":true}}}}}`,
	}
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	p, err := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329}, NodeName: "prox1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for rec, err := range p.Files([]string{path}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		// rec is released when the loop body returns; Retain it to keep it.
		fn := rec.Column(rec.Schema().FieldIndices("kp_fd_install_path")[0])
		for i := range int(rec.NumRows()) {
			fmt.Println(rec.Column(0).ValueStr(i), fn.ValueStr(i))
		}
	}
	st := p.Stats()
	fmt.Println(st.String())
	fmt.Println(st.Check())
	// Output:
	// process_exec (null)
	// process_kprobe /etc/passwd
	// drop_container_filter_is_host=1 errors_json_parse=1 files_read=1 kept_process_exec=1 kept_process_kprobe=1 lines_kept=2 lines_read=4
	// <nil>
}

// A service that decodes each event (to look at it, route it, log it)
// hands the decoded event to a Builder, which builds its row without
// parsing the line again and counts every line as the Parser does.
func ExampleBuilder() {
	p, _ := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329}, NodeName: "prox1"})
	b, _ := p.NewBuilder("stdin")
	defer b.Close()
	for _, line := range []string{
		`{"process_exec":{"process":{"exec_id":"a","binary":"/usr/bin/bash","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:02Z"}`,
		`{"process_kprobe":{"process":{"exec_id":"a","ns":{"pid":{"inum":4026533329}}},"function_name":"fd_install",` +
			`"args":[{"int_arg":3},{"file_arg":{"path":"/etc/passwd"}}]},"time":"2026-04-19T21:48:03Z"}`,
		`{"process_exec":{"process":{"exec_id":"h","ns":{"pid":{"inum":4026531836,"is_host":true}}}}}`,
		``,
	} {
		ev, err := tetraparse.Decode([]byte(line))
		if err == nil {
			fmt.Println("decoded", ev.Kind)
		}
		b.AddEvent(ev, err)
	}
	rows := b.Rows() // the pending rows, without Arrow
	path := rows.Column(rows.Schema().FieldIndices("kp_fd_install_path")[0])
	fmt.Println(rows.Len(), "rows; row 2 opened", path.Str(1))
	rec := b.Flush() // or as a record batch
	fmt.Println(rec.NumRows(), "rows flushed")
	rec.Release()
	st := b.Stats()
	fmt.Println(st.String())
	// Output:
	// decoded process_exec
	// decoded process_kprobe
	// decoded process_exec
	// 2 rows; row 2 opened /etc/passwd
	// 2 rows flushed
	// drop_container_filter_is_host=1 kept_process_exec=1 kept_process_kprobe=1 lines_blank=1 lines_kept=2 lines_read=4
}
