package lineage_test

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/lineage"
)

func ExampleGraph() {
	g := lineage.New()
	// exec_id, proc_parent_exec_id, parent_exec_id, proc_binary
	g.Add("init", "", "", "/sbin/init")
	g.Add("sshd", "init", "init", "/usr/sbin/sshd")
	g.Add("bash", "sshd", "sshd", "/bin/bash")
	g.Add("curl", "bash", "bash", "/usr/bin/curl")
	g.Add("curl", "bash", "bash", "/usr/bin/curl") // the same process again

	fmt.Printf("%+v\n", g.Lookup("curl"))
	fmt.Printf("%+v\n", g.Lookup("unknown"))
	fmt.Printf("%+v\n", g.Stats())
	// Output:
	// {Depth:3 RootExecID:init RootBasename:init Cycle:false}
	// {Depth:0 RootExecID: RootBasename: Cycle:false}
	// {Processes:4 DanglingParents:0 ConflictingDuplicates:0 Repeats:1 SkippedRows:0 Evicted:0 Rejected:0}
}

func ExampleGraph_For() {
	g := lineage.New()
	g.Add("shell", "", "", "/bin/bash")
	g.Add("tool", "", "shell", "/usr/bin/tool") // only parent_exec_id is set

	fmt.Printf("%+v\n", g.For("tool", "", "shell"))
	fmt.Printf("%+v\n", g.For("shell", "", ""))
	fmt.Println(g.ParentBasename("", "shell", "/usr/bin/whatever"))
	fmt.Println(g.ParentBasename("gone", "", "/usr/bin/fromrow"))
	// Output:
	// {Lineage:{Depth:1 RootExecID:shell RootBasename:bash Cycle:false} FallbackUsed:true MissingParent:false}
	// {Lineage:{Depth:0 RootExecID:shell RootBasename:bash Cycle:false} FallbackUsed:false MissingParent:true}
	// bash
	// fromrow
}

func ExampleGraph_ForNullable() {
	g := lineage.New()
	g.Add("p", "", "", "/bin/p")
	null := lineage.NullString{}
	empty := lineage.Str("")

	// An empty proc_parent_exec_id is not null: the reference reports no
	// fallback and, with a null parent_exec_id, no missing parent.
	r := g.ForNullable(lineage.Str("p"), empty, null)
	fmt.Println(r.FallbackUsed, r.MissingParent)
	// For reads "" as null.
	r = g.For("p", "", "")
	fmt.Println(r.FallbackUsed, r.MissingParent)
	// Output:
	// false false
	// false true
}

func ExampleGraph_WriteTo() {
	train := lineage.New()
	train.Add("init", "", "", "/sbin/init")
	train.Add("cron", "init", "", "/usr/sbin/cron")
	var saved bytes.Buffer
	if _, err := train.WriteTo(&saved); err != nil {
		fmt.Println(err)
		return
	}

	// Later: seed the test graph from the saved training graph.
	test := lineage.New()
	if _, err := test.ReadFrom(&saved); err != nil {
		fmt.Println(err)
		return
	}
	seeded := test.Len()
	test.Add("job", "cron", "", "/usr/bin/job")
	fmt.Println(seeded, test.Len())
	fmt.Printf("%+v\n", test.For("job", "cron", ""))
	// Output:
	// 2 3
	// {Lineage:{Depth:2 RootExecID:init RootBasename:init Cycle:false} FallbackUsed:false MissingParent:false}
}

func ExampleGraph_AddBatch() {
	mem := memory.NewGoAllocator()
	str := func(vals ...string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, v := range vals {
			if v == "<null>" {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
		return b.NewArray()
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: lineage.ColProcExecID, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: lineage.ColProcParentExecID, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: lineage.ColParentExecID, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: lineage.ColProcBinary, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: lineage.ColParentBinary, Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{
		str("init", "sh", "ls"),
		str("<null>", "init", "<null>"),
		str("<null>", "init", "sh"),
		str("/sbin/init", "/bin/sh", "/bin/ls"),
		str("<null>", "/sbin/init", "/bin/dash"),
	}, 3)
	defer rec.Release()

	g := lineage.New()
	if err := g.AddBatch(rec); err != nil {
		fmt.Println(err)
		return
	}
	rows, err := g.ForBatch(rec)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Printf("%d %s %v %v %q\n", r.Depth, r.RootBasename, r.FallbackUsed, r.MissingParent, r.ParentBasename)
	}
	// Output:
	// 0 init false true ""
	// 1 init false false "init"
	// 2 init true false "sh"
}
