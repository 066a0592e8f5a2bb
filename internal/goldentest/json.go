package goldentest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// JSONDiff compares the JSON document got with the golden document want:
// every leaf of want (numbers, strings, booleans, nulls) must be present
// in got at the same path, numbers equal within relative tolerance rel
// (integers exactly), other leaves equal; keys only in got are ignored,
// as are want's top-level keys listed in skip. It returns the differences
// (at most 20), the number of leaves compared and the largest relative
// difference of numbers.
func JSONDiff(got, want []byte, rel float64, skip ...string) (diffs []string, leaves int, maxRel float64, err error) {
	decode := func(b []byte) (any, error) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v)
	}
	g, err := decode(got)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("got: %w", err)
	}
	w, err := decode(want)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("want: %w", err)
	}
	add := func(format string, args ...any) {
		if len(diffs) < 20 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	var walk func(path string, g, w any, top bool)
	walk = func(path string, g, w any, top bool) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				add("%s: got %v, want an object", path, g)
				return
			}
			for k, x := range wv {
				if top && slices.Contains(skip, k) {
					continue
				}
				y, ok := gv[k]
				if !ok {
					add("%s/%s: missing", path, k)
					continue
				}
				walk(path+"/"+k, y, x, false)
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				add("%s: got %v, want %d elements", path, g, len(wv))
				return
			}
			for i := range wv {
				walk(fmt.Sprintf("%s/%d", path, i), gv[i], wv[i], false)
			}
		case json.Number:
			leaves++
			gn, ok := g.(json.Number)
			if !ok {
				add("%s: got %v, want %s", path, g, wv)
				return
			}
			if wi, err := strconv.ParseInt(wv.String(), 10, 64); err == nil {
				if gi, err := strconv.ParseInt(gn.String(), 10, 64); err != nil || gi != wi {
					add("%s: got %s, want %s", path, gn, wv)
				}
				return
			}
			wf, _ := wv.Float64()
			gf, err := gn.Float64()
			if err != nil {
				add("%s: got %s, want %s", path, gn, wv)
				return
			}
			d := math.Abs(gf - wf)
			if wf != 0 {
				d /= math.Abs(wf)
			}
			maxRel = max(maxRel, d)
			if d > rel {
				add("%s: got %s, want %s (relative difference %.3g)", path, gn, wv, d)
			}
		default:
			leaves++
			if g != w {
				add("%s: got %v, want %v", path, g, w)
			}
		}
	}
	walk("", g, w, true)
	return diffs, leaves, maxRel, nil
}
