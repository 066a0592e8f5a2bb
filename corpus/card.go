package corpus

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
)

// The columns the card's tables read, besides the hash columns.
const (
	colEventTime    = "event_time"
	colEventType    = "f_event_type"
	colActionFamily = "f_action_family"
	colProcfsWalk   = "f_is_procfs_walk"
)

// distColumns are the categorical columns whose class distribution the
// card shows.
var distColumns = []string{colEventType, colActionFamily}

// Card is the datacard stage: it accumulates, from the batches exactly as
// they are written to the shards, the numbers of datacard.md (per split
// the row count and span, the pre-window rows, class distributions,
// hash-bucket use and, with labels, the attack events per technique) and
// renders it. Make one with Plan.NewCard. Add may be called for different
// splits concurrently, never for one split from two goroutines at once.
type Card struct {
	defs     *schema.Definitions
	set      *labels.Set // nil without labels
	hashCols []hashCol
	splits   []*cardSplit
	// what the card says about the build besides the data
	tool         string
	anonymized   bool
	labelCols    bool
	shardRows    int64
	rowGroupRows int64
	// what README.md says besides: the licence, why the build is not a
	// release (nil: it is one), the policy digest
	license      string
	blockers     []releaseBlocker
	policyDigest string
	// redactedAliases counts the alias-map entries published as keyed
	// digests (their full map is kept outside the release).
	redactedAliases int
}

type hashCol struct {
	name     string
	capacity int
}

// cardSplit holds one split's numbers.
type cardSplit struct {
	name   string
	rows   int64
	shards int
	bytes  int64
	files  []string      // the shards' paths relative to the corpus (data/…)
	fields []arrow.Field // the columns of the written shards

	nullTime   int64
	minT, maxT int64
	hasT       bool
	// minRegular is the earliest event_time of a row that is not a
	// procfs-walk exec; procfs holds the times of procfs-walk rows. Rows
	// before the corpus-wide minRegular are pre-window rows.
	minRegular int64
	hasRegular bool
	procfs     []int64

	dist map[string][]int64  // column → count by code
	used map[string][]uint64 // hash column → bitset of used buckets

	tally   *labels.Tally
	times   []int64
	valid   []bool
	scratch []int32
}

func newCard(defs *schema.Definitions, set *labels.Set, names ...string) *Card {
	c := &Card{defs: defs, set: set, tool: defaultTool, labelCols: true, shardRows: defaultShardRows, rowGroupRows: defaultRowGroupRows}
	for _, col := range defs.Columns() {
		if h, ok := col.Hash(); ok && h.Capacity > 0 {
			c.hashCols = append(c.hashCols, hashCol{col.Name(), h.Capacity})
		}
	}
	for _, n := range names {
		s := &cardSplit{name: n, dist: map[string][]int64{}, used: map[string][]uint64{}}
		for _, h := range c.hashCols {
			s.used[h.name] = make([]uint64, (h.capacity+63)/64)
		}
		if set != nil {
			s.tally = labels.NewTally(set, nil)
		}
		c.splits = append(c.splits, s)
	}
	return c
}

func (c *Card) split(name string) *cardSplit {
	for _, s := range c.splits {
		if s.name == name {
			return s
		}
	}
	return nil
}

// eachInt calls fn with every non-null value of an integer column.
func eachInt(a arrow.Array, fn func(i int, v int64)) error {
	switch x := a.(type) {
	case *array.Uint8:
		for i, v := range x.Uint8Values() {
			if x.IsValid(i) {
				fn(i, int64(v))
			}
		}
	case *array.Uint16:
		for i, v := range x.Uint16Values() {
			if x.IsValid(i) {
				fn(i, int64(v))
			}
		}
	case *array.Uint32:
		for i, v := range x.Uint32Values() {
			if x.IsValid(i) {
				fn(i, int64(v))
			}
		}
	case *array.Int32:
		for i, v := range x.Int32Values() {
			if x.IsValid(i) {
				fn(i, int64(v))
			}
		}
	case *array.Int64:
		for i, v := range x.Int64Values() {
			if x.IsValid(i) {
				fn(i, v)
			}
		}
	default:
		return fmt.Errorf("column of type %s is not an integer code", a.DataType())
	}
	return nil
}

func colByName(rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return nil
	}
	return rec.Column(idx[0])
}

// Add accumulates one batch of a split as it is written (after
// anonymization and labelling), which the caller keeps.
func (c *Card) Add(split string, rec arrow.RecordBatch) error {
	s := c.split(split)
	if s == nil {
		return fmt.Errorf("datacard: no split %q", split)
	}
	n := int(rec.NumRows())
	s.rows += int64(n)
	et, _ := colByName(rec, colEventTime).(*array.Timestamp)
	if et == nil {
		return fmt.Errorf("datacard: the %s batch has no timestamp %s column", s.name, colEventTime)
	}
	var procfs *array.Uint8
	if a, ok := colByName(rec, colProcfsWalk).(*array.Uint8); ok {
		procfs = a
	}
	for i, v := range et.TimestampValues() {
		if et.IsNull(i) {
			s.nullTime++
			continue
		}
		t := int64(v)
		if !s.hasT || t < s.minT {
			s.minT = t
		}
		if !s.hasT || t > s.maxT {
			s.maxT = t
		}
		s.hasT = true
		if procfs != nil && procfs.IsValid(i) && procfs.Value(i) != 0 {
			s.procfs = append(s.procfs, t)
		} else if !s.hasRegular || t < s.minRegular {
			s.minRegular, s.hasRegular = t, true
		}
	}
	for _, name := range distColumns {
		a := colByName(rec, name)
		if a == nil {
			continue
		}
		counts := s.dist[name]
		err := eachInt(a, func(_ int, v int64) {
			if v < 0 || v > math.MaxUint16 {
				return
			}
			if int(v) >= len(counts) {
				counts = append(counts, make([]int64, int(v)+1-len(counts))...)
			}
			counts[v]++
		})
		if err != nil {
			return fmt.Errorf("datacard: %s: %w", name, err)
		}
		s.dist[name] = counts
	}
	for _, h := range c.hashCols {
		a := colByName(rec, h.name)
		if a == nil {
			continue
		}
		set := s.used[h.name]
		err := eachInt(a, func(_ int, v int64) {
			if v >= 0 && v < int64(h.capacity) {
				set[v/64] |= 1 << (v % 64)
			}
		})
		if err != nil {
			return fmt.Errorf("datacard: %s: %w", h.name, err)
		}
	}
	if s.tally == nil {
		return nil
	}
	if colByName(rec, labels.ColIsAttack) != nil {
		// The shards carry the labels: the tally relabels and checks them.
		return s.tally.AddRecord(rec)
	}
	var err error
	s.scratch, err = c.set.LabelColumn(s.scratch, et)
	if err != nil {
		return err
	}
	s.times, s.valid = s.times[:0], s.valid[:0]
	for i, v := range et.TimestampValues() {
		s.times = append(s.times, int64(v))
		s.valid = append(s.valid, et.IsValid(i))
	}
	return s.tally.Add(s.times, s.valid, s.scratch)
}

// attacks returns the split's attack events (0 without labels).
func (s *cardSplit) attacks() int64 {
	if s.tally == nil {
		return 0
	}
	var n int64
	for _, r := range s.tally.Splits() {
		n += r.Attacks
	}
	return n
}

// windowStart is the corpus-wide earliest event_time of a row that is not
// a procfs-walk exec: the start of the collection window.
func (c *Card) windowStart() (int64, bool) {
	var w int64
	ok := false
	for _, s := range c.splits {
		if s.hasRegular && (!ok || s.minRegular < w) {
			w, ok = s.minRegular, true
		}
	}
	return w, ok
}

// preWindow returns the split's rows stamped before the window start, and
// the earliest time at or after it.
func (c *Card) preWindow(s *cardSplit) (n int64, first int64, hasFirst bool) {
	w, ok := c.windowStart()
	if !ok {
		return 0, s.minT, s.hasT
	}
	first, hasFirst = s.minRegular, s.hasRegular
	for _, t := range s.procfs {
		if t < w {
			n++
		} else if !hasFirst || t < first {
			first, hasFirst = t, true
		}
	}
	return n, first, hasFirst
}

func fmtCardTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05")
}

func pct(n, d int64) string {
	if d == 0 {
		return "0.00 %"
	}
	return fmt.Sprintf("%.2f %%", 100*float64(n)/float64(d))
}

// AddShards records a split's written shards, once Close has named them:
// their count, size on disk and names (README.md's metadata lists them
// as data/<name>, where Build writes them) and the columns of the first.
func (c *Card) AddShards(split string, paths []string) error {
	s := c.split(split)
	if s == nil {
		return fmt.Errorf("datacard: no split %q", split)
	}
	s.shards += len(paths)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		s.bytes += fi.Size()
		s.files = append(s.files, path.Join(shardDir, filepath.Base(p)))
	}
	if len(paths) > 0 && s.fields == nil {
		sc, err := shardSchema(paths[0])
		if err != nil {
			return fmt.Errorf("datacard: %w", err)
		}
		s.fields = sc.Fields()
	}
	return nil
}

// CardInfo is what the card says about the build besides the data.
type CardInfo struct {
	Built     time.Time // when the build started
	Inputs    string    // what was read, in a phrase ("train: 3 files (1.2 MB); …")
	SplitRule string    // how rows were split into train and test, in a sentence
	Selection string    // which events were the target, in a sentence or two (optional)
	// Filters says which input lines became rows and which were dropped,
	// one sentence each, for README.md's provenance. It must not name
	// people or hosts (an anonymized build's card is checked for leaks).
	Filters []string
}

// WriteMarkdown renders datacard.md: what the build was, its status, and
// the computed tables (the same tables as WriteDatasetCard's README.md).
func (c *Card) WriteMarkdown(w io.Writer, m CardInfo) error {
	var b strings.Builder
	d := c.defs
	b.WriteString("# Datacard\n\n")
	fmt.Fprintf(&b, "Built by %s on %s from %s. ", c.toolText(), m.Built.UTC().Format(time.RFC3339), m.Inputs)
	fmt.Fprintf(&b, "Feature schema %s (release %s), parser %s: `reproduction/feature_definitions.json` maps every code to its label.\n\n",
		d.SchemaVersion(), d.CorpusRelease(), d.ParserVersion())
	c.writeStatus(&b)
	if m.Selection != "" {
		b.WriteString(m.Selection + "\n\n")
	}
	c.writeTables(&b, m)
	_, err := io.WriteString(w, b.String())
	return err
}

// toolText names the program that built the corpus, in Markdown.
func (c *Card) toolText() string {
	if rel, ok := strings.CutPrefix(c.tool, module+"/"); ok {
		return "`" + rel + "` of " + module
	}
	return "`" + c.tool + "`"
}

// writeTables renders the computed sections: how rows were split, then
// Splits, Class distributions, Hash buckets and, with labels, Labels.
func (c *Card) writeTables(b *strings.Builder, m CardInfo) {
	d := c.defs
	// Splits.
	fmt.Fprintf(b, "## Splits\n\n%s Every number below is computed from the Parquet shards in `data/` as written (%s rows per shard at most, row groups of %s rows).\n\n",
		m.SplitRule, numfmt.Group(c.shardRows), numfmt.Group(c.rowGroupRows))
	hasLabels := c.set != nil
	b.WriteString("| split | rows | shards | span (UTC) | pre-window rows | null event_time |")
	if hasLabels {
		b.WriteString(" attack events | attack rate |")
	}
	b.WriteString("\n|---|---:|---:|---|---:|---:|")
	if hasLabels {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	var tot struct{ rows, shards, pre, null, att int64 }
	for _, s := range c.splits {
		pre, first, ok := c.preWindow(s)
		span := "–"
		if ok {
			span = fmtCardTime(first) + " → " + fmtCardTime(s.maxT)
		}
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s |", s.name, numfmt.Group(s.rows), s.shards, span, numfmt.Group(pre), numfmt.Group(s.nullTime))
		if hasLabels {
			fmt.Fprintf(b, " %s | %s |", numfmt.Group(s.attacks()), pct(s.attacks(), s.rows))
		}
		b.WriteString("\n")
		tot.rows += s.rows
		tot.shards += int64(s.shards)
		tot.pre += pre
		tot.null += s.nullTime
		tot.att += s.attacks()
	}
	fmt.Fprintf(b, "| **total** | %s | %d | | %s | %s |", numfmt.Group(tot.rows), tot.shards, numfmt.Group(tot.pre), numfmt.Group(tot.null))
	if hasLabels {
		fmt.Fprintf(b, " %s | %s |", numfmt.Group(tot.att), pct(tot.att, tot.rows))
	}
	b.WriteString("\n\n")
	if ws, ok := c.windowStart(); ok {
		fmt.Fprintf(b, "The collection window starts at %s UTC, the earliest event_time of a row that is not a procfs-walk exec (`f_is_procfs_walk` = 0). "+
			"Pre-window rows carry earlier timestamps: execs that Tetragon synthesizes at start-up for processes already running, stamped with their original start time. "+
			"They are kept (they are lineage roots) and left out of the span.\n\n", fmtCardTime(ws))
	}
	// Class distributions.
	b.WriteString("## Class distributions\n")
	for _, name := range distColumns {
		fmt.Fprintf(b, "\n### %s\n\n| code | label |", name)
		for _, s := range c.splits {
			fmt.Fprintf(b, " %s | %s %% |", s.name, s.name)
		}
		b.WriteString("\n|---:|---|")
		for range c.splits {
			b.WriteString("---:|---:|")
		}
		b.WriteString("\n")
		type row struct {
			code  int
			total int64
		}
		var rows []row
		maxCode := 0
		for _, s := range c.splits {
			maxCode = max(maxCode, len(s.dist[name]))
		}
		for code := range maxCode {
			var t int64
			for _, s := range c.splits {
				if code < len(s.dist[name]) {
					t += s.dist[name][code]
				}
			}
			if t > 0 {
				rows = append(rows, row{code, t})
			}
		}
		slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.total, a.total) })
		for _, r := range rows {
			label, err := d.Label(name, r.code)
			if err != nil {
				label = "(unknown code)"
			}
			fmt.Fprintf(b, "| %d | %s |", r.code, mdCell(label))
			for _, s := range c.splits {
				var n int64
				if r.code < len(s.dist[name]) {
					n = s.dist[name][r.code]
				}
				fmt.Fprintf(b, " %s | %s |", numfmt.Group(n), pct(n, s.rows))
			}
			b.WriteString("\n")
		}
	}

	// Hash buckets.
	b.WriteString("\n## Hash buckets\n\nBuckets used (distinct values) of each hashed column, and saturation (used / capacity).\n\n| column | capacity |")
	for _, s := range c.splits {
		fmt.Fprintf(b, " %s used | %s saturation |", s.name, s.name)
	}
	b.WriteString(" all used | all saturation |\n|---|---:|")
	for range c.splits {
		b.WriteString("---:|---:|")
	}
	b.WriteString("---:|---:|\n")
	for _, h := range c.hashCols {
		fmt.Fprintf(b, "| %s | %s |", h.name, numfmt.Group(int64(h.capacity)))
		all := make([]uint64, (h.capacity+63)/64)
		for _, s := range c.splits {
			u := popcount(s.used[h.name])
			fmt.Fprintf(b, " %s | %s |", numfmt.Group(u), pct(u, int64(h.capacity)))
			for i, x := range s.used[h.name] {
				all[i] |= x
			}
		}
		u := popcount(all)
		fmt.Fprintf(b, " %s | %s |\n", numfmt.Group(u), pct(u, int64(h.capacity)))
	}

	if hasLabels {
		c.writeLabels(b)
	}
}

// writeLabels renders the per-technique table: trials, and attack events
// per split, sorted by test events (then technique id).
func (c *Card) writeLabels(b *strings.Builder) {
	ws := c.set.Windows()
	techs := map[string]bool{}
	for _, w := range ws {
		techs[w.TechniqueID] = true
	}
	fmt.Fprintf(b, "\n## Labels\n\n%d windows of %d techniques from `labels.csv`. An event belongs to the window with the largest start ≤ its event_time and is an attack iff its event_time is before that window's end (windows are half open; a null event_time is benign); background activity inside a window is labelled attack by association.",
		len(ws), len(techs))
	if c.labelCols {
		b.WriteString(" The shards end with `is_attack` (bool) and `technique_id` (string, null when benign).")
	} else {
		b.WriteString(" The shards carry no label columns (`-no-label-columns`); join `labels.csv` by time.")
	}
	b.WriteString("\n\n| technique_id | tactic | trials |")
	for _, s := range c.splits {
		fmt.Fprintf(b, " trials with %s events | %s events |", s.name, s.name)
	}
	b.WriteString("\n|---|---|---:|")
	for range c.splits {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	type row struct {
		id, tactic string
		trials     int
		seen       []int
		events     []int64
	}
	byID := map[string]*row{}
	var rows []*row
	for k, s := range c.splits {
		for _, t := range s.tally.Techniques() {
			r := byID[t.TechniqueID]
			if r == nil {
				r = &row{id: t.TechniqueID, tactic: t.Tactic, trials: t.Trials, seen: make([]int, len(c.splits)), events: make([]int64, len(c.splits))}
				byID[t.TechniqueID] = r
				rows = append(rows, r)
			}
			r.seen[k], r.events[k] = t.TrialsSeen, t.Events
		}
	}
	last := len(c.splits) - 1
	slices.SortStableFunc(rows, func(a, b *row) int {
		if x := cmp.Compare(b.events[last], a.events[last]); x != 0 {
			return x
		}
		return cmp.Compare(a.id, b.id)
	})
	trials := 0
	seen := make([]int, len(c.splits))
	events := make([]int64, len(c.splits))
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %d |", mdCell(r.id), mdCell(r.tactic), r.trials)
		trials += r.trials
		for k := range c.splits {
			fmt.Fprintf(b, " %d | %s |", r.seen[k], numfmt.Group(r.events[k]))
			seen[k] += r.seen[k]
			events[k] += r.events[k]
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "| **total** | | %d |", trials)
	for k := range c.splits {
		fmt.Fprintf(b, " %d | %s |", seen[k], numfmt.Group(events[k]))
	}
	b.WriteString("\n")
}

func popcount(set []uint64) int64 {
	n := 0
	for _, x := range set {
		n += bits.OnesCount64(x)
	}
	return int64(n)
}

// mdCell keeps a value from breaking a Markdown table.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
