package encode_test

import (
	"fmt"
	"strings"

	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func Example() {
	lines := strings.Join([]string{
		`{"process_exec":{"process":{"exec_id":"c2g=","parent_exec_id":"YmFzaA==","pid":4242,"uid":1000,"binary":"/usr/bin/curl","arguments":"-fsSL https://example.invalid/x.sh -o /tmp/x.sh","cwd":"/home/dev","flags":"execve clone","start_time":"2026-04-19T21:48:02Z","ns":{"pid":{"inum":4026533329}}},"parent":{"exec_id":"YmFzaA==","binary":"/usr/bin/bash","uid":1000}},"time":"2026-04-19T21:48:02.001Z"}`,
		`{"process_kprobe":{"process":{"exec_id":"c2g=","pid":4242,"uid":1000,"binary":"/usr/bin/curl","cwd":"/home/dev","ns":{"pid":{"inum":4026533329}}},"function_name":"tcp_connect","policy_name":"network-monitor","action":"KPROBE_ACTION_POST","args":[{"sock_arg":{"family":"AF_INET","daddr":"140.82.112.3","dport":443}}]},"time":"2026-04-19T21:48:02.150Z"}`,
		`{"process_kprobe":{"process":{"exec_id":"c2g=","pid":4242,"uid":1000,"binary":"/usr/bin/curl","cwd":"/home/dev","ns":{"pid":{"inum":4026533329}}},"function_name":"fd_install","policy_name":"file-monitor","action":"KPROBE_ACTION_POST","args":[{"int_arg":3},{"file_arg":{"path":"/tmp/x.sh"}}]},"time":"2026-04-19T21:48:02.400Z"}`,
	}, "\n")
	defs := schema.Default()
	p, _ := tetraparse.New(tetraparse.Config{NodeName: "prox1"})
	enc, _ := encode.New(defs, lineage.New(), encode.WithIncrementalLineage())
	defer enc.Release()
	show := []string{"f_action_family", "f_path_category", "f_dst_ip_category", "f_dst_port_category", "f_kp_fd_install_path_sensitivity"}
	for raw, err := range p.Records(strings.NewReader(lines), "example.json") {
		if err != nil {
			fmt.Println(err)
			return
		}
		out, err := enc.Encode(raw)
		if err != nil {
			fmt.Println(err)
			return
		}
		token := out.Column(out.Schema().FieldIndices("token")[0])
		for i := range int(out.NumRows()) {
			fmt.Print(token.ValueStr(i))
			for _, name := range show {
				code, _ := strconvAtoi(out.Column(out.Schema().FieldIndices(name)[0]).ValueStr(i))
				label, _ := defs.Label(name, code)
				fmt.Printf(" %s=%d(%s)", strings.TrimPrefix(name, "f_"), code, label)
			}
			fmt.Println()
		}
		out.Release()
	}
	// Output:
	// PROC_EXEC:bash->curl action_family=0(PROC_EXEC) path_category=5(USR_BIN) dst_ip_category=5(NONE) dst_port_category=6(NONE) kp_fd_install_path_sensitivity=7(NONE)
	// NET_CONNECT:curl:PUBLIC:WEB action_family=2(NET_CONNECT) path_category=7(USER_HOME) dst_ip_category=4(PUBLIC) dst_port_category=1(WEB) kp_fd_install_path_sensitivity=7(NONE)
	// FILE_OPEN:curl:TEMP_STAGING action_family=6(FILE_OPEN) path_category=2(TEMP_STAGING) dst_ip_category=5(NONE) dst_port_category=6(NONE) kp_fd_install_path_sensitivity=1(STAGING)
}

func strconvAtoi(s string) (int, error) {
	n := 0
	_, err := fmt.Sscan(s, &n)
	return n, err
}

// A service that only encodes builds just the raw columns the Encoder
// reads: the parser still decodes and counts every line.
func ExampleEncoder_RawColumns() {
	enc, _ := encode.New(nil, nil, encode.WithIncrementalLineage())
	cols := enc.RawColumns()
	p, _ := tetraparse.New(tetraparse.Config{Columns: cols})
	fmt.Printf("the parser builds %d of %d raw columns\n", p.Schema().NumFields(), len(schema.Default().Raw.Columns))
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
