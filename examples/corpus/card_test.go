package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
)

// mdTable is a parsed Markdown table: the header and the rows' cells.
type mdTable struct {
	header []string
	rows   [][]string
}

// parseTables returns the tables of a Markdown document by the heading
// above them ("Splits", "f_event_type", …).
func parseTables(t *testing.T, md string) map[string]mdTable {
	t.Helper()
	tables := map[string]mdTable{}
	heading := ""
	var cur *mdTable
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
				tables[heading] = mdTable{header: cells}
				tb := tables[heading]
				cur = &tb
			case strings.HasPrefix(cells[0], "---"):
			default:
				cur.rows = append(cur.rows, cells)
			}
			tables[heading] = *cur
		default:
			cur = nil
		}
	}
	return tables
}

// cell returns the named column of a row.
func (tb mdTable) cell(t *testing.T, row []string, col string) string {
	t.Helper()
	for i, h := range tb.header {
		if h == col {
			return row[i]
		}
	}
	t.Fatalf("no column %q in %v", col, tb.header)
	return ""
}

func (tb mdTable) row(t *testing.T, first string) []string {
	t.Helper()
	for _, r := range tb.rows {
		if r[0] == first {
			return r
		}
	}
	t.Fatalf("no row %q", first)
	return nil
}

func mdInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	require.NoError(t, err, "number %q", s)
	return n
}

func mdPct(t *testing.T, s string) float64 {
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

func count(t *testing.T, recs []arrow.RecordBatch, defs *schema.Definitions, set *labels.Set) *recount {
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
			for _, c := range defs.Encoded.Columns {
				if c.Hash == nil {
					continue
				}
				if rc.used[c.Name] == nil {
					rc.used[c.Name] = map[int64]bool{}
				}
				rc.used[c.Name][intAt(col(c.Name), i)] = true
			}
		}
	}
	return rc
}

// checkCard recounts every table of out/datacard.md from the shards (and
// labels.csv) and compares.
func checkCard(t *testing.T, out string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(out, "datacard.md"))
	require.NoError(t, err)
	tables := parseTables(t, string(md))
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
	for _, r := range splitsTab.rows {
		if r[0] == "**total**" {
			continue
		}
		names = append(names, r[0])
		counts[r[0]] = count(t, readParquet(t, shards(t, out, r[0])), defs, set)
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
		row := splitsTab.row(t, name)
		assert.Equal(t, rc.rows, mdInt(t, splitsTab.cell(t, row, "rows")), "%s rows", name)
		assert.EqualValues(t, len(shards(t, out, name)), mdInt(t, splitsTab.cell(t, row, "shards")), "%s shards", name)
		assert.Equal(t, rc.null, mdInt(t, splitsTab.cell(t, row, "null event_time")), "%s null times", name)
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
		assert.Equal(t, pre, mdInt(t, splitsTab.cell(t, row, "pre-window rows")), "%s pre-window", name)
		if len(rc.times) > 0 {
			assert.Equal(t, fmtT(first)+" → "+fmtT(last), splitsTab.cell(t, row, "span (UTC)"), "%s span", name)
		}
		if set != nil {
			assert.Equal(t, rc.attacks, mdInt(t, splitsTab.cell(t, row, "attack events")), "%s attacks", name)
			if rc.rows > 0 {
				assert.InDelta(t, 100*float64(rc.attacks)/float64(rc.rows), mdPct(t, splitsTab.cell(t, row, "attack rate")), 0.006)
			}
		}
		totRows += rc.rows
		totAtt += rc.attacks
	}
	tot := splitsTab.row(t, "**total**")
	assert.Equal(t, totRows, mdInt(t, splitsTab.cell(t, tot, "rows")))

	for _, col := range []string{"f_event_type", "f_action_family"} {
		tab := tables[col]
		seen := 0
		for _, r := range tab.rows {
			code := mdInt(t, r[0])
			label, err := defs.Label(col, int(code))
			require.NoError(t, err)
			assert.Equal(t, label, r[1], "%s code %d", col, code)
			for _, name := range names {
				rc := counts[name]
				assert.Equal(t, rc.dist[col][code], mdInt(t, tab.cell(t, r, name)), "%s %s code %d", name, col, code)
				if rc.rows > 0 {
					assert.InDelta(t, 100*float64(rc.dist[col][code])/float64(rc.rows), mdPct(t, tab.cell(t, r, name+" %")), 0.006)
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
	for _, c := range defs.Encoded.Columns {
		if c.Hash == nil {
			continue
		}
		hashed++
		row := hashTab.row(t, c.Name)
		assert.EqualValues(t, c.Hash.Capacity, mdInt(t, hashTab.cell(t, row, "capacity")))
		all := map[int64]bool{}
		for _, name := range names {
			used := int64(len(counts[name].used[c.Name]))
			assert.Equal(t, used, mdInt(t, hashTab.cell(t, row, name+" used")), "%s %s", name, c.Name)
			assert.InDelta(t, 100*float64(used)/float64(c.Hash.Capacity), mdPct(t, hashTab.cell(t, row, name+" saturation")), 0.006)
			for v := range counts[name].used[c.Name] {
				all[v] = true
			}
		}
		assert.EqualValues(t, len(all), mdInt(t, hashTab.cell(t, row, "all used")), c.Name)
	}
	assert.Len(t, hashTab.rows, hashed)

	if set == nil {
		return
	}
	lt := tables["Labels"]
	trials := map[string]int{}
	for _, w := range set.Windows() {
		trials[w.TechniqueID]++
	}
	assert.Len(t, lt.rows, len(trials)+1, "one row per technique and a total")
	for id, n := range trials {
		row := lt.row(t, id)
		assert.EqualValues(t, n, mdInt(t, lt.cell(t, row, "trials")), id)
		for _, name := range names {
			rc := counts[name]
			assert.Equal(t, rc.techEvents[id], mdInt(t, lt.cell(t, row, name+" events")), "%s %s events", name, id)
			assert.EqualValues(t, len(rc.trialsSeen[id]), mdInt(t, lt.cell(t, row, "trials with "+name+" events")), "%s %s trials", name, id)
		}
	}
	total := lt.row(t, "**total**")
	var att int64
	for _, name := range names {
		att += mdInt(t, lt.cell(t, total, name+" events"))
	}
	assert.Equal(t, totAtt, att)
}
