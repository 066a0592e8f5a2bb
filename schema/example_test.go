package schema_test

import (
	"fmt"

	"github.com/tetrahids/tetrahids/schema"
)

func ExampleDefault() {
	defs := schema.Default()
	fmt.Println("schema", defs.SchemaVersion(), "release", defs.CorpusRelease())
	fmt.Println(len(defs.RawColumns()), "raw columns,", len(defs.Columns()), "encoded columns")
	col, _ := defs.Column("f_proc_name_hash")
	h, _ := col.Hash()
	fmt.Println(col.Name(), col.TypeName(), h.Algorithm, h.Capacity)
	// Output:
	// schema 1.1 release v0.2.1
	// 126 raw columns, 61 encoded columns
	// f_proc_name_hash uint16 blake2b-64-be 2048
}

func ExampleDefinitions_Label() {
	defs := schema.Default()
	label, _ := defs.Label("f_action_family", 6)
	code, _ := defs.Code("f_action_family", "PRIV_CHANGE")
	fmt.Println(label, code)
	// Output: FILE_OPEN 9
}

func ExampleDiff() {
	v10, _ := schema.Version("1.0")
	for _, c := range schema.Diff(v10, schema.Default()) {
		if c.Kind == schema.ColumnAdded || c.Kind == schema.ColumnRemoved {
			fmt.Println(c)
		}
	}
	// Output:
	// - encoded f_in_init_tree (uint8, 2 codes)
	// - encoded f_args_truncated (uint8, 2 codes)
	// + encoded f_path_category (uint8, 11 codes)
	// + encoded f_dst_ip_category (uint8, 6 codes)
	// + encoded f_dst_port_category (uint8, 7 codes)
	// + encoded f_object_category (uint8, 8 codes)
}

// A data card lists every encoded column with its type, meaning and
// vocabulary or hash buckets.
func ExampleDefinitions_Columns() {
	defs := schema.Default()
	for _, c := range defs.Columns() {
		switch c.Name() {
		case "f_dst_port_category", "f_proc_name_hash", "proc_binary_basename":
		default:
			continue
		}
		fmt.Printf("%s (%s, tier %s)\n", c.Name(), c.TypeName(), c.Tier())
		if c.Categorical() {
			null, _ := c.NullCode()
			oov, _ := c.OOVCode()
			fmt.Printf("  %d codes, null=%d oov=%d, first %v\n", len(c.Codes()), null, oov, c.Codes()[0])
		}
		if h, ok := c.Hash(); ok {
			fmt.Printf("  %d %s buckets of %s\n", h.Capacity, h.Algorithm, h.Input)
		}
	}
	// Output:
	// f_proc_name_hash (uint16, tier 3)
	//   2048 blake2b-64-be buckets of basename of proc_binary
	// proc_binary_basename (utf8, tier side)
	// f_dst_port_category (uint8, tier builder)
	//   7 codes, null=6 oov=6, first {0 DNS}
}
