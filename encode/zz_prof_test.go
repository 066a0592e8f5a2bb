package encode

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
)

func TestZZPlanTimes(t *testing.T) {
	raw := parseBench(&testing.B{}, benchInput(), nil)
	g := lineage.New()
	for _, r := range raw {
		g.AddBatch(r)
	}
	enc, _ := New(schema.Default(), g)
	times := make([]time.Duration, len(enc.plans))
	var tDerive, tLin, tBind time.Duration
	rows := 0
	for it := 0; it < 5; it++ {
		enc, _ = New(schema.Default(), g)
		for _, r := range raw {
			t0 := time.Now()
			enc.bind(r)
			lin, _ := enc.g.ForBatch(r)
			t1 := time.Now()
			n := int(r.NumRows())
			rows += n
			enc.n = n
			enc.gen++
			t2 := time.Now()
			enc.derive(lin, n)
			t3 := time.Now()
			for k, p := range enc.plans {
				s := time.Now()
				a, err := enc.run(p)
				if err != nil {
					t.Fatal(err)
				}
				a.Release()
				times[k] += time.Since(s)
			}
			tLin += t1.Sub(t0)
			tBind += t2.Sub(t1)
			tDerive += t3.Sub(t2)
		}
	}
	type kv struct {
		n string
		d time.Duration
	}
	var kvs []kv
	var tot time.Duration
	for k, p := range enc.plans {
		kvs = append(kvs, kv{p.col.Name + " " + p.col.Derive.Fn, times[k]})
		tot += times[k]
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].d > kvs[j].d })
	fmt.Printf("rows %d lin %v bind %v derive %v plans %v\n", rows, tLin, tBind, tDerive, tot)
	for _, x := range kvs {
		fmt.Printf("%-40s %6.1f ns/row\n", x.n, float64(x.d.Nanoseconds())/float64(rows))
	}
}
