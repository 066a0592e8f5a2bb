// Package corpustest holds the checks that the tests of package corpus
// and of its command (examples/corpus) share: reading a built corpus back
// (Shards, stats.json, the golden label file) and recounting every table
// of its datacard from the shards.
package corpustest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Shards lists a split's shards in name order.
func Shards(t testing.TB, out, split string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(out, "data", split+"-*.parquet"))
	require.NoError(t, err)
	sort.Strings(paths)
	return paths
}

// ReadParquet reads shards back with pqarrow, one batch per row group.
func ReadParquet(t testing.TB, paths []string) []arrow.RecordBatch {
	t.Helper()
	var recs []arrow.RecordBatch
	for _, p := range paths {
		pf, err := file.OpenParquetFile(p, false)
		require.NoError(t, err)
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
		require.NoError(t, err)
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		require.NoError(t, err)
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		rr.Release()
		require.NoError(t, pf.Close())
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// RowCount is the number of rows of recs.
func RowCount(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// ReadStats reads out/stats.json.
func ReadStats(t testing.TB, out string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// Num reads a JSON number at a path of keys.
func Num(t testing.TB, m map[string]any, keys ...string) int64 {
	t.Helper()
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		require.True(t, ok, "stats path %v", keys)
		v = mm[k]
	}
	f, ok := v.(float64)
	require.True(t, ok, "stats path %v is %v", keys, v)
	return int64(f)
}

// EncodedNames lists the encoded columns of defs in order.
func EncodedNames(defs *schema.Definitions) []string {
	var names []string
	for _, c := range defs.Columns() {
		names = append(names, c.Name())
	}
	return names
}

// SortedKeys returns the keys of m, sorted.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReadGoldenStats reads a golden *.stats.json.
func ReadGoldenStats(t testing.TB, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// ReadLabeled reads sample-small.labeled.csv.gz as (event_time,
// is_attack, technique_id) triples in row order.
func ReadLabeled(t testing.TB, path string) [][3]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	recs, err := csv.NewReader(zr).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"row", "event_time", "is_attack", "technique_id"}, recs[0])
	var out [][3]string
	for i, r := range recs[1:] {
		require.Equal(t, strconv.Itoa(i), r[0])
		out = append(out, [3]string{r[1], r[2], r[3]})
	}
	return out
}

// CheckAccounting verifies stats.json: the parser's invariant for every
// input set, and every kept row written once or dropped for lack of time.
func CheckAccounting(t testing.TB, out string) {
	t.Helper()
	st := ReadStats(t, out)
	var kept, lines, errs int64
	for set := range st["parser"].(map[string]any) {
		var s tetraparse.Stats
		s.LinesRead = Num(t, st, "parser", set, "lines_read")
		s.Blank = Num(t, st, "parser", set, "lines_blank")
		s.JSONErrors = Num(t, st, "parser", set, "errors_json_parse")
		s.StructureErrors = Num(t, st, "parser", set, "errors_structure")
		s.LinesTooLong = Num(t, st, "parser", set, "errors_line_too_long")
		k := Num(t, st, "parser", set, "lines_kept")
		var dropped int64
		for key, v := range st["parser"].(map[string]any)[set].(map[string]any) {
			if strings.HasPrefix(key, "drop_") {
				dropped += int64(v.(float64))
			}
		}
		sum := s.Blank + k + dropped + s.Errors()
		assert.Equal(t, s.LinesRead, sum, "%s: lines_read = blank + kept + dropped + errors", set)
		kept += k
		lines += s.LinesRead
		errs += s.Errors()
	}
	var written int64
	for split := range st["output"].(map[string]any) {
		n := Num(t, st, "output", split, "rows")
		written += n
		assert.Equal(t, n, RowCount(ReadParquet(t, Shards(t, out, split))), "%s rows in stats.json vs shards", split)
	}
	assert.Equal(t, kept, written+Num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	assert.Equal(t, lines, Num(t, st, "accounting", "lines_read"))
	assert.Equal(t, errs, Num(t, st, "accounting", "lines_errors"), "lines_errors: JSON, structure and over-long lines")
}

// MdTable is a parsed Markdown table: the header and the rows' cells.
type MdTable struct {
	Header []string
	Rows   [][]string
}

// ParseTables returns the tables of a Markdown document by the heading
// above them ("Splits", "f_event_type", …).
func ParseTables(t testing.TB, md string) map[string]MdTable {
	t.Helper()
	tables := map[string]MdTable{}
	heading := ""
	var cur *MdTable
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
			cur = nil
		case strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			switch {
			case cur == nil:
				tables[heading] = MdTable{Header: cells}
				tb := tables[heading]
				cur = &tb
			case strings.HasPrefix(cells[0], "---"):
			default:
				cur.Rows = append(cur.Rows, cells)
			}
			tables[heading] = *cur
		default:
			cur = nil
		}
	}
	return tables
}

// cell returns the named column of a row.
func (tb MdTable) Cell(t testing.TB, row []string, col string) string {
	t.Helper()
	for i, h := range tb.Header {
		if h == col {
			return row[i]
		}
	}
	t.Fatalf("no column %q in %v", col, tb.Header)
	return ""
}

// Row returns the row whose first cell is first.
func (tb MdTable) Row(t testing.TB, first string) []string {
	t.Helper()
	for _, r := range tb.Rows {
		if r[0] == first {
			return r
		}
	}
	t.Fatalf("no row %q", first)
	return nil
}

// MdInt reads a table's count (with thousands separators).
func MdInt(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	require.NoError(t, err, "number %q", s)
	return n
}

// MdPct reads a table's percentage.
func MdPct(t testing.TB, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, " %"), 64)
	require.NoError(t, err, "percentage %q", s)
	return f
}

// intAt reads row i of an integer column of any width.
func intAt(a arrow.Array, i int) int64 {
	switch x := a.(type) {
	case *array.Uint8:
		return int64(x.Value(i))
	case *array.Uint16:
		return int64(x.Value(i))
	case *array.Uint32:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	}
	panic("not an integer column: " + a.DataType().String())
}

// recount is the test's own tally of one split, straight from the shards.
type recount struct {
	rows, null, attacks int64
	times               []int64
	procfs              []bool
	dist                map[string]map[int64]int64
	used                map[string]map[int64]bool
	techEvents          map[string]int64
	trialsSeen          map[string]map[string]bool
}

func count(t testing.TB, recs []arrow.RecordBatch, defs *schema.Definitions, set *labels.Set) *recount {
	rc := &recount{dist: map[string]map[int64]int64{}, used: map[string]map[int64]bool{}, techEvents: map[string]int64{}, trialsSeen: map[string]map[string]bool{}}
	for _, r := range recs {
		col := func(name string) arrow.Array {
			idx := r.Schema().FieldIndices(name)
			if len(idx) == 0 {
				return nil
			}
			return r.Column(idx[0])
		}
		et := col("event_time").(*array.Timestamp)
		pw := col("f_is_procfs_walk")
		att, _ := col("is_attack").(*array.Boolean)
		tech, _ := col("technique_id").(*array.String)
		for i := range int(r.NumRows()) {
			rc.rows++
			if et.IsNull(i) {
				rc.null++
			} else {
				rc.times = append(rc.times, int64(et.Value(i)))
				rc.procfs = append(rc.procfs, intAt(pw, i) != 0)
			}
			var id string
			isAttack := false
			if att != nil {
				isAttack = att.Value(i)
				if tech.IsValid(i) {
					id = tech.Value(i)
				}
			} else if set != nil && et.IsValid(i) {
				if l := set.Find(int64(et.Value(i))); l >= 0 {
					isAttack, id = true, set.Technique(l)
				}
			}
			if isAttack {
				rc.attacks++
				rc.techEvents[id]++
				// The trial: the window of this technique holding the time.
				for _, w := range set.Windows() {
					if w.TechniqueID == id && w.Start <= int64(et.Value(i)) && int64(et.Value(i)) < w.End {
						if rc.trialsSeen[id] == nil {
							rc.trialsSeen[id] = map[string]bool{}
						}
						rc.trialsSeen[id][w.Trial] = true
					}
				}
			}
			for _, name := range []string{"f_event_type", "f_action_family"} {
				if rc.dist[name] == nil {
					rc.dist[name] = map[int64]int64{}
				}
				rc.dist[name][intAt(col(name), i)]++
			}
			for _, c := range defs.Columns() {
				if _, ok := c.Hash(); !ok {
					continue
				}
				if rc.used[c.Name()] == nil {
					rc.used[c.Name()] = map[int64]bool{}
				}
				rc.used[c.Name()][intAt(col(c.Name()), i)] = true
			}
		}
	}
	return rc
}

// CheckCard recounts every table of out/datacard.md and of out/README.md
// (the same tables) from the shards (and labels.csv) and compares.
func CheckCard(t testing.TB, out string) {
	t.Helper()
	for _, name := range []string{"datacard.md", "README.md"} {
		checkCardFile(t, out, name)
	}
}

func checkCardFile(t testing.TB, out, name string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(out, name))
	require.NoError(t, err)
	tables := ParseTables(t, string(md))
	defData, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	defs, err := schema.Load(bytes.NewReader(defData))
	require.NoError(t, err)
	var set *labels.Set
	if _, err := os.Stat(filepath.Join(out, "labels.csv")); err == nil {
		set, err = labels.LoadFile(filepath.Join(out, "labels.csv"))
		require.NoError(t, err)
	}

	splitsTab := tables["Splits"]
	var names []string
	counts := map[string]*recount{}
	for _, r := range splitsTab.Rows {
		if r[0] == "**total**" {
			continue
		}
		names = append(names, r[0])
		counts[r[0]] = count(t, ReadParquet(t, Shards(t, out, r[0])), defs, set)
	}
	require.NotEmpty(t, names)
	// The window start: the earliest time of a row that is not a
	// procfs-walk exec, over every split.
	ws := int64(math.MaxInt64)
	for _, rc := range counts {
		for i, v := range rc.times {
			if !rc.procfs[i] && v < ws {
				ws = v
			}
		}
	}
	fmtT := func(ns int64) string { return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05") }
	var totRows, totAtt int64
	for _, name := range names {
		rc := counts[name]
		row := splitsTab.Row(t, name)
		assert.Equal(t, rc.rows, MdInt(t, splitsTab.Cell(t, row, "rows")), "%s rows", name)
		assert.EqualValues(t, len(Shards(t, out, name)), MdInt(t, splitsTab.Cell(t, row, "shards")), "%s shards", name)
		assert.Equal(t, rc.null, MdInt(t, splitsTab.Cell(t, row, "null event_time")), "%s null times", name)
		var pre int64
		first, last := int64(math.MaxInt64), int64(math.MinInt64)
		for _, v := range rc.times {
			if v < ws {
				pre++
			} else {
				first = min(first, v)
			}
			last = max(last, v)
		}
		assert.Equal(t, pre, MdInt(t, splitsTab.Cell(t, row, "pre-window rows")), "%s pre-window", name)
		if len(rc.times) > 0 {
			assert.Equal(t, fmtT(first)+" → "+fmtT(last), splitsTab.Cell(t, row, "span (UTC)"), "%s span", name)
		}
		if set != nil {
			assert.Equal(t, rc.attacks, MdInt(t, splitsTab.Cell(t, row, "attack events")), "%s attacks", name)
			if rc.rows > 0 {
				assert.InDelta(t, 100*float64(rc.attacks)/float64(rc.rows), MdPct(t, splitsTab.Cell(t, row, "attack rate")), 0.006)
			}
		}
		totRows += rc.rows
		totAtt += rc.attacks
	}
	tot := splitsTab.Row(t, "**total**")
	assert.Equal(t, totRows, MdInt(t, splitsTab.Cell(t, tot, "rows")))

	for _, col := range []string{"f_event_type", "f_action_family"} {
		tab := tables[col]
		seen := 0
		for _, r := range tab.Rows {
			code := MdInt(t, r[0])
			label, err := defs.Label(col, int(code))
			require.NoError(t, err)
			assert.Equal(t, label, r[1], "%s code %d", col, code)
			for _, name := range names {
				rc := counts[name]
				assert.Equal(t, rc.dist[col][code], MdInt(t, tab.Cell(t, r, name)), "%s %s code %d", name, col, code)
				if rc.rows > 0 {
					assert.InDelta(t, 100*float64(rc.dist[col][code])/float64(rc.rows), MdPct(t, tab.Cell(t, r, name+" %")), 0.006)
				}
			}
			seen++
		}
		distinct := map[int64]bool{}
		for _, rc := range counts {
			for c := range rc.dist[col] {
				distinct[c] = true
			}
		}
		assert.Equal(t, len(distinct), seen, "%s: every used code has a row", col)
	}

	hashTab := tables["Hash buckets"]
	hashed := 0
	for _, c := range defs.Columns() {
		h, ok := c.Hash()
		if !ok {
			continue
		}
		hashed++
		row := hashTab.Row(t, c.Name())
		assert.EqualValues(t, h.Capacity, MdInt(t, hashTab.Cell(t, row, "capacity")))
		all := map[int64]bool{}
		for _, name := range names {
			used := int64(len(counts[name].used[c.Name()]))
			assert.Equal(t, used, MdInt(t, hashTab.Cell(t, row, name+" used")), "%s %s", name, c.Name())
			assert.InDelta(t, 100*float64(used)/float64(h.Capacity), MdPct(t, hashTab.Cell(t, row, name+" saturation")), 0.006)
			for v := range counts[name].used[c.Name()] {
				all[v] = true
			}
		}
		assert.EqualValues(t, len(all), MdInt(t, hashTab.Cell(t, row, "all used")), c.Name())
	}
	assert.Len(t, hashTab.Rows, hashed)

	if set == nil {
		return
	}
	lt := tables["Labels"]
	trials := map[string]int{}
	for _, w := range set.Windows() {
		trials[w.TechniqueID]++
	}
	assert.Len(t, lt.Rows, len(trials)+1, "one row per technique and a total")
	for id, n := range trials {
		row := lt.Row(t, id)
		assert.EqualValues(t, n, MdInt(t, lt.Cell(t, row, "trials")), id)
		for _, name := range names {
			rc := counts[name]
			assert.Equal(t, rc.techEvents[id], MdInt(t, lt.Cell(t, row, name+" events")), "%s %s events", name, id)
			assert.EqualValues(t, len(rc.trialsSeen[id]), MdInt(t, lt.Cell(t, row, "trials with "+name+" events")), "%s %s trials", name, id)
		}
	}
	total := lt.Row(t, "**total**")
	var att int64
	for _, name := range names {
		att += MdInt(t, lt.Cell(t, total, name+" events"))
	}
	assert.Equal(t, totAtt, att)
}
