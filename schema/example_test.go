package schema_test

import (
	"fmt"

	"github.com/tetrahids/tetrahids/schema"
)

func ExampleDefault() {
	defs := schema.Default()
	fmt.Println("schema", defs.SchemaVersion, "release", defs.Release)
	fmt.Println(len(defs.Raw.Columns), "raw columns,", len(defs.Encoded.Columns), "encoded columns")
	col, _ := defs.Column("f_proc_name_hash")
	fmt.Println(col.Name, col.Type, col.Hash.Algorithm, col.Hash.Capacity)
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
