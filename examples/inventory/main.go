// Command inventory prints the column inventory of a tetrahids schema
// version: every raw and encoded column with its Arrow type, group or tier,
// and, for coded columns, the vocabulary size or hash capacity.
//
//	go run ./examples/inventory            # schema 1.1
//	go run ./examples/inventory -schema 1.0
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/tetrahids/tetrahids/schema"
)

func main() {
	version := flag.String("schema", schema.DefaultVersion, "schema version (1.0 or 1.1) or a feature_definitions.json path")
	flag.Parse()
	defs, err := load(*version)
	if err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	raw, encoded := defs.RawColumns(), defs.Columns()
	fmt.Fprintf(w, "schema %s (%s): %d raw columns, %d encoded columns\n\n", defs.SchemaVersion(), defs.CorpusRelease(), len(raw), len(encoded))
	fmt.Fprintln(w, "RAW\tTYPE\tGROUP\tMEANING")
	for _, c := range raw {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Name(), c.TypeName(), c.Group(), c.Meaning())
	}
	fmt.Fprintln(w, "\nENCODED\tTYPE\tTIER\tCODES/BUCKETS")
	tiers := map[string]int{}
	for _, c := range encoded {
		size := ""
		if c.Categorical() {
			size = fmt.Sprintf("%d codes", len(c.Codes()))
		} else if h, ok := c.Hash(); ok {
			size = fmt.Sprintf("%d buckets", h.Capacity)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Name(), c.TypeName(), c.Tier(), size)
		tiers[c.Tier()]++
	}
	w.Flush()
	keys := make([]string, 0, len(tiers))
	for k := range tiers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Print("\nencoded columns by tier:")
	for _, k := range keys {
		fmt.Printf(" %s=%d", k, tiers[k])
	}
	fmt.Println()
}

func load(v string) (*schema.Definitions, error) {
	if f, err := os.Open(v); err == nil {
		defer f.Close()
		return schema.Load(f)
	}
	return schema.Version(v)
}
