package lineage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// goldenRow is the part of a golden line the lineage columns depend on.
type goldenRow struct {
	Raw struct {
		ProcExecID       *string `json:"proc_exec_id"`
		ProcParentExecID *string `json:"proc_parent_exec_id"`
		ParentExecID     *string `json:"parent_exec_id"`
		ProcBinary       *string `json:"proc_binary"`
		ParentBinary     *string `json:"parent_binary"`
	} `json:"raw"`
	Encoded struct {
		Depth          int    `json:"f_lineage_depth"`
		RootBasename   string `json:"root_ancestor_basename"`
		RootExecID     string `json:"process_tree_root_exec_id"`
		FallbackUsed   bool   `json:"lineage_parent_fallback_used"`
		MissingParent  bool   `json:"lineage_missing_parent"`
		Cycle          bool   `json:"lineage_cycle_detected"`
		ParentBasename string `json:"parent_binary_basename"`
	} `json:"encoded"`
}

func (r *goldenRow) want() BatchRow {
	e := r.Encoded
	return BatchRow{
		Row:            Row{Lineage{e.Depth, e.RootExecID, e.RootBasename, e.Cycle}, e.FallbackUsed, e.MissingParent},
		ParentBasename: e.ParentBasename,
	}
}

type goldenStats struct {
	Lineage struct {
		UniqueProcesses  int `json:"unique_processes"`
		DuplicateExecIDs int `json:"duplicate_exec_ids"`
		SeedProcesses    int `json:"seed_processes"`
	} `json:"lineage"`
	BatchStats struct {
		Fallback int `json:"lineage_parent_fallback_used"`
		Missing  int `json:"lineage_missing_parent"`
		Cycle    int `json:"lineage_cycle_detected"`
	} `json:"batch_stats"`
}

// readGolden reads a golden file of src: ../shared/golden (see its
// README.md), or the slice committed under testdata/parity.
func readGolden(t *testing.T, src goldentest.Source, name string) []goldenRow {
	t.Helper()
	f, err := os.Open(filepath.Join(src.Golden, name+".golden.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var rows []goldenRow
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r goldenRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", name, len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// readStats returns the reference's counters of a golden run. The slice
// has none: its lineage counters are left unchecked (ok false), and its
// batch counters are those of its rows.
func readStats(t *testing.T, src goldentest.Source, name string, rows []goldenRow) (st goldenStats, ok bool) {
	t.Helper()
	if !src.Full {
		for _, r := range rows {
			st.BatchStats.Fallback += b2i(r.Encoded.FallbackUsed)
			st.BatchStats.Missing += b2i(r.Encoded.MissingParent)
			st.BatchStats.Cycle += b2i(r.Encoded.Cycle)
		}
		return st, false
	}
	b, err := os.ReadFile(filepath.Join(src.Golden, name+".stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st, true
}

// goldenRecord builds the raw lineage columns of the golden rows as an
// Arrow batch, nulls included.
func goldenRecord(t *testing.T, mem memory.Allocator, rows []goldenRow) arrow.RecordBatch {
	t.Helper()
	cols := []col{{name: ColProcExecID}, {name: ColProcParentExecID}, {name: ColParentExecID}, {name: ColProcBinary}, {name: ColParentBinary}}
	for _, r := range rows {
		for k, v := range []*string{r.Raw.ProcExecID, r.Raw.ProcParentExecID, r.Raw.ParentExecID, r.Raw.ProcBinary, r.Raw.ParentBinary} {
			cols[k].vals = append(cols[k].vals, v)
		}
	}
	return makeRecord(t, mem, cols...)
}

// compareGolden checks every row and the batch counters.
func compareGolden(t *testing.T, g *Graph, rec arrow.RecordBatch, rows []goldenRow, st goldenStats) {
	t.Helper()
	got, err := g.ForBatch(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	mismatches, fallback, missing, cycle := 0, 0, 0, 0
	for i := range rows {
		if want := rows[i].want(); got[i] != want {
			if mismatches++; mismatches <= 10 {
				t.Errorf("row %d: got %+v\n\twant %+v", i, got[i], want)
			}
		}
		fallback += b2i(got[i].FallbackUsed)
		missing += b2i(got[i].MissingParent)
		cycle += b2i(got[i].Cycle)
	}
	if mismatches > 0 {
		t.Errorf("%d of %d rows differ", mismatches, len(rows))
	}
	bs := st.BatchStats
	if fallback != bs.Fallback || missing != bs.Missing || cycle != bs.Cycle {
		t.Errorf("fallback/missing/cycle = %d/%d/%d, want %d/%d/%d", fallback, missing, cycle, bs.Fallback, bs.Missing, bs.Cycle)
	}
	t.Logf("%d rows compared, %d mismatches; fallback/missing/cycle %d/%d/%d", len(rows), mismatches, fallback, missing, cycle)
}

func checkLineageStats(t *testing.T, g *Graph, seeded int, st goldenStats, ok bool) {
	t.Helper()
	if !ok {
		return
	}
	l := st.Lineage
	if g.Len() != l.UniqueProcesses || g.Stats().ConflictingDuplicates != l.DuplicateExecIDs || seeded != l.SeedProcesses {
		t.Errorf("unique/duplicates/seeded = %d/%d/%d, want %d/%d/%d",
			g.Len(), g.Stats().ConflictingDuplicates, seeded, l.UniqueProcesses, l.DuplicateExecIDs, l.SeedProcesses)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestGolden(t *testing.T) {
	src := goldentest.Parity()
	t.Log("parity against", src.Describe())
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	trainRows, smallRows := readGolden(t, src, "sample-train"), readGolden(t, src, "sample-small")
	train, small := goldenRecord(t, mem, trainRows), goldenRecord(t, mem, smallRows)
	defer train.Release()
	defer small.Release()

	t.Run("sample-train", func(t *testing.T) {
		st, ok := readStats(t, src, "sample-train", trainRows)
		g := New()
		if err := g.AddBatch(train); err != nil {
			t.Fatal(err)
		}
		checkLineageStats(t, g, 0, st, ok)
		compareGolden(t, g, train, trainRows, st)
	})

	st, ok := readStats(t, src, "sample-small", smallRows)
	t.Run("sample-small seeded", func(t *testing.T) {
		g := New()
		if err := g.AddBatch(train); err != nil {
			t.Fatal(err)
		}
		seeded := g.Len()
		if err := g.AddBatch(small); err != nil {
			t.Fatal(err)
		}
		checkLineageStats(t, g, seeded, st, ok)
		compareGolden(t, g, small, smallRows, st)
	})

	t.Run("sample-small seeded through WriteTo/ReadFrom", func(t *testing.T) {
		seed := New()
		if err := seed.AddBatch(train); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := seed.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		g := New()
		if _, err := g.ReadFrom(&buf); err != nil {
			t.Fatal(err)
		}
		seeded := g.Len()
		if err := g.AddBatch(small); err != nil {
			t.Fatal(err)
		}
		checkLineageStats(t, g, seeded, st, ok)
		compareGolden(t, g, small, smallRows, st)
	})

	// Streaming: register and look up row by row. The answers must equal
	// the reference wherever the documented condition holds: every node of
	// the row's final walk, and its resolved parent, registered already.
	t.Run("sample-small seeded, streaming", func(t *testing.T) {
		final, g := New(), New()
		for _, err := range []error{final.AddBatch(train), final.AddBatch(small), g.AddBatch(train)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		same, differ := 0, 0
		for i, r := range smallRows {
			ns := func(p *string) NullString {
				if p == nil {
					return NullString{}
				}
				return Str(*p)
			}
			raw := r.Raw
			g.AddNullable(ns(raw.ProcExecID), ns(raw.ProcParentExecID), ns(raw.ParentExecID), ns(raw.ProcBinary))
			pbin := ""
			if raw.ParentBinary != nil {
				pbin = *raw.ParentBinary
			}
			got := BatchRow{
				g.ForNullable(ns(raw.ProcExecID), ns(raw.ProcParentExecID), ns(raw.ParentExecID)),
				g.ParentBasename(ns(raw.ProcParentExecID).String, ns(raw.ParentExecID).String, pbin),
			}
			if got == r.want() {
				same++
				continue
			}
			differ++
			if complete(final, g, raw.ProcExecID, or(ns(raw.ProcParentExecID), ns(raw.ParentExecID))) {
				t.Errorf("row %d: streaming %+v differs from %+v although its ancestry was complete", i, got, r.want())
			}
		}
		t.Logf("streaming: %d rows equal the two-pass reference, %d differ (late parents)", same, differ)
	})
}

// complete reports whether every node of exec's walk in the final graph
// and the row's resolved parent are registered in g.
func complete(final, g *Graph, exec *string, parent NullString) bool {
	if truthy(parent) && final.Contains(parent.String) && !g.Contains(parent.String) {
		return false
	}
	if exec == nil {
		return true
	}
	i, ok := final.registered(*exec)
	for steps := 0; ok && steps <= MaxWalk; steps++ {
		if !g.Contains(final.name(i)) {
			return false
		}
		p := final.nodes[i].parent
		if !final.isRegistered(p) {
			break
		}
		i = p
	}
	return true
}
