package tetraparse_test

import (
	"fmt"
	"strings"

	"github.com/tetrahids/tetrahids/tetraparse"
)

// Tetragon on Kubernetes without process namespaces enabled: events carry
// pod metadata but no ns block. KeepWithoutNamespace keeps them, and a
// selector picks the target pod by namespace and label.
func ExampleParseSelector() {
	sel, err := tetraparse.ParseSelector("pod-namespace=shop,pod-label=app=cart")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := tetraparse.New(tetraparse.Config{Select: []tetraparse.Selector{sel}, KeepWithoutNamespace: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	pod := func(ns, app string) string {
		return `{"process_exec":{"process":{"exec_id":"x","binary":"/bin/sh","pod":{"namespace":"` + ns +
			`","name":"` + app + `-7d9f","pod_labels":{"app":"` + app + `"}}}},"time":"2026-04-19T21:48:02Z"}`
	}
	in := strings.Join([]string{pod("shop", "cart"), pod("shop", "db"), pod("kube-system", "cart"),
		`{"process_exec":{"process":{"exec_id":"y","binary":"/usr/sbin/sshd"}},"time":"2026-04-19T21:48:03Z"}`}, "\n")
	for rec, err := range p.Records(strings.NewReader(in), "export.json") {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(rec.NumRows(), "row")
	}
	st := p.Stats()
	fmt.Println(sel)
	fmt.Println(st.SelectedBy, st.DroppedBy(tetraparse.DropNotSelected), st.KeptWithoutNamespace)
	fmt.Println(st.Selection)
	// Output:
	// 1 row
	// pod-namespace=shop,pod-label=app=cart
	// [1] 3 1
	// selectors [pod-namespace=shop,pod-label=app=cart]; host-namespace events dropped; events without a PID-namespace inum kept (host and container events cannot be told apart); events without a process dropped
}
