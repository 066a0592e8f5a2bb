package encode

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// arrivals is the test's own model of what a stream has shown by a given
// row: the row at which each process was first seen (seed rows count as
// -1) and its resolved parent as that first row gives it (the graph's
// first write wins).
type arrivals struct {
	first  map[string]int
	parent map[string]string
}

func newArrivals() *arrivals {
	return &arrivals{first: map[string]int{}, parent: map[string]string{}}
}

func resolvedParent(procParent, parent string) string {
	if procParent != "" {
		return procParent
	}
	return parent
}

func (a *arrivals) add(execID, procParent, parent string, row int) {
	if execID == "" {
		return
	}
	if _, ok := a.first[execID]; !ok {
		a.first[execID] = row
		a.parent[execID] = resolvedParent(procParent, parent)
	}
}

// Causes of a row whose lineage the live path cannot know yet.
const (
	causeNone     = ""
	causeParent   = "its parent's first event comes later"
	causeAncestor = "an earlier ancestor's first event comes later"
)

// cause tells whether every process row i's lineage depends on had been
// seen by row i: its resolved parent, and every process on its ancestor
// walk in the final graph (at most lineage.MaxWalk steps).
func (a *arrivals) cause(execID, parent string, row int) string {
	if f, ok := a.first[parent]; parent != "" && ok && f > row {
		return causeParent
	}
	seen := map[string]bool{}
	cur := execID
	for step := 0; step < lineage.MaxWalk && !seen[cur]; step++ {
		seen[cur] = true
		p := a.parent[cur]
		f, ok := a.first[p]
		if p == "" || !ok {
			break // a root: no parent, or one never seen
		}
		if f > row {
			if step == 0 {
				return causeParent
			}
			return causeAncestor
		}
		cur = p
	}
	return causeNone
}

func goldenStr(c goldentest.Columns, name string) string {
	s, _ := c.Values[name].(string)
	return s
}

// lineageColumns are the encoded columns computed from the graph.
func lineageColumns(defs *schema.Definitions) map[string]bool {
	graph := map[string]bool{"parent_basename": true, "root_basename": true, "root_exec_id": true, "parent_child_pair": true,
		"token": true, "lineage_depth": true, "lineage_fallback_used": true, "lineage_missing_parent": true, "lineage_cycle": true}
	out := map[string]bool{}
	for _, c := range schemadoc.Of(defs).Encoded.Columns {
		if graph[c.Derive.Input.Derived] {
			out[c.Name] = true
		}
	}
	return out
}

// liveRun streams the lines of sample-small through a Live seeded with the
// graph of sample-train, its clock the replay clock (the largest event
// time so far), and returns the emitted Features (cloned).
func liveRun(t *testing.T, opts ...LiveOption) (feats []*Features, l *Live) {
	t.Helper()
	g := lineage.New()
	for _, rec := range parseShared(t, "tetragon/sample-train.jsonl", 1000) {
		require.NoError(t, g.AddBatch(rec))
	}
	enc, err := New(schema.Default(), g)
	require.NoError(t, err)
	cfg := sharedConfig(t, "tetragon/sample-small.jsonl", 0)
	cfg.Columns = enc.RawColumns()
	p, err := tetraparse.New(cfg)
	require.NoError(t, err)
	l, err = NewLive(p, enc, "sample-small.jsonl", opts...)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	var now time.Time
	l.now = func() time.Time { return now }
	keep := func(fs []Features, err error) {
		require.NoError(t, err)
		for i := range fs {
			feats = append(feats, fs[i].Clone())
		}
	}
	for _, line := range sharedLines(t, "tetragon/sample-small.jsonl") {
		if ev, err := tetraparse.Decode(line); err == nil && ev.Time.Valid && time.Unix(0, ev.Time.Value).After(now) {
			now = time.Unix(0, ev.Time.Value)
		}
		keep(l.Line(line))
	}
	keep(l.Flush())
	return feats, l
}

// TestLiveMatchesBatch streams the test split line by line through Live,
// its graph seeded from the training split, and compares every row with
// the corpus's (the golden rows, encoded over the whole split). Every
// event whose parent and ancestors were seen before it must match in all
// columns; the others may differ, in the lineage columns only, and are
// counted by cause. With hold-back, every row must match.
func TestLiveMatchesBatch(t *testing.T) {
	dir := goldentest.Dir()
	if dir == "" {
		t.Skip("../shared/golden not present")
	}
	train, err := goldentest.Read(filepath.Join(dir, "sample-train.golden.jsonl.gz"))
	require.NoError(t, err)
	rows, err := goldentest.Read(filepath.Join(dir, "sample-small.golden.jsonl.gz"))
	require.NoError(t, err)
	arr := newArrivals()
	for _, r := range train {
		arr.add(goldenStr(r.Raw, "proc_exec_id"), goldenStr(r.Raw, "proc_parent_exec_id"), goldenStr(r.Raw, "parent_exec_id"), -1)
	}
	for i, r := range rows {
		arr.add(goldenStr(r.Raw, "proc_exec_id"), goldenStr(r.Raw, "proc_parent_exec_id"), goldenStr(r.Raw, "parent_exec_id"), i)
	}
	defs := schema.Default()
	graphCols := lineageColumns(defs)
	// byLine finds the golden row of an input line.
	byLine := map[int64]int{}
	for i, r := range rows {
		n, err := r.Raw.Values["_source_line"].(interface{ Int64() (int64, error) }).Int64()
		require.NoError(t, err)
		byLine[n] = i
	}

	t.Run("streaming", func(t *testing.T) {
		feats, l := liveRun(t)
		require.Equal(t, len(rows), len(feats))
		st := l.Stats()
		require.EqualValues(t, len(rows), st.Kept())
		require.NoError(t, st.Check())
		differ := map[string]int{}     // by cause
		incomplete := map[string]int{} // by cause
		cols := map[string]int{}
		for i, f := range feats {
			require.Equal(t, i, byLine[f.Line()], "rows come out in input order")
			r := rows[i]
			cause := arr.cause(goldenStr(r.Raw, "proc_exec_id"), resolvedParent(goldenStr(r.Raw, "proc_parent_exec_id"), goldenStr(r.Raw, "parent_exec_id")), i)
			if cause != causeNone {
				incomplete[cause]++
			}
			var bad []string
			for _, c := range defs.Columns() {
				if goldenCell(f, c.Name()) != goldentest.Format(r.Encoded.Values[c.Name()]) {
					bad = append(bad, c.Name())
					cols[c.Name()]++
				}
			}
			if len(bad) == 0 {
				continue
			}
			differ[cause]++
			if cause == causeNone {
				t.Errorf("row %d (line %d): its lineage was complete, yet %v differ", i, f.Line(), bad)
			}
			for _, c := range bad {
				if !graphCols[c] {
					t.Errorf("row %d (line %d): %s, not a lineage column, differs", i, f.Line(), c)
				}
			}
		}
		t.Logf("compared %d rows x %d columns with the corpus (graph seeded with %d training rows)", len(feats), len(defs.Columns()), len(train))
		t.Logf("rows whose parent and ancestors were seen before them: %d, of which differ: %d", len(rows)-sum(incomplete), differ[causeNone])
		for _, c := range []string{causeParent, causeAncestor} {
			t.Logf("rows for which %s: %d, of which differ: %d", c, incomplete[c], differ[c])
		}
		t.Logf("differing cells by column: %v", sortedCounts(cols))
		require.Positive(t, sum(incomplete), "the sample has late parents; this test should see some")
	})

	t.Run("hold-back", func(t *testing.T) {
		// A bound above the latest parent of the sample (1.2 s of event
		// time after its child).
		const hold = 2 * time.Second
		feats, l := liveRun(t, WithHoldBack(hold))
		require.Zero(t, l.Held())
		require.Equal(t, len(rows), len(feats))
		seen := map[int64]bool{}
		var byParent []time.Duration
		atBound := 0
		for _, f := range feats {
			i, ok := byLine[f.Line()]
			require.True(t, ok)
			require.False(t, seen[f.Line()], "line %d emitted twice", f.Line())
			seen[f.Line()] = true
			counts, examples := featureMismatches([]Features{*f}, rows[i:i+1])
			reportMismatches(t, counts, examples, 1)
			if d, held := f.Held(); held {
				if d < hold {
					byParent = append(byParent, d)
				} else {
					atBound++
				}
			}
		}
		slices.Sort(byParent)
		t.Logf("hold-back %v: all %d rows match the corpus; held: %d released when their parent came (after %v to %v of replay time), %d released at the bound (Expire on a timer releases them %v after they came)",
			hold, len(feats), len(byParent), byParent[0], byParent[len(byParent)-1], atBound, hold)
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

// liveLine is a process_exec or process_kprobe line of process id, child
// of parent (none for ""), at second sec.
func liveLine(kind, id, parent, bin string, sec int) []byte {
	pp := ""
	if parent != "" {
		pp = fmt.Sprintf(`"parent_exec_id":%q,`, parent)
	}
	body := fmt.Sprintf(`"process":{"exec_id":%q,%s"binary":%q,"ns":{"pid":{"inum":7}}}`, id, pp, bin)
	if kind == "process_kprobe" {
		body += `,"function_name":"fd_install","args":[{"int_arg":3},{"file_arg":{"path":"/tmp/x"}}]`
	}
	return fmt.Appendf(nil, `{%q:{%s},"time":"2026-04-19T21:48:%02dZ"}`, kind, body, sec)
}

// TestLiveHoldBack follows held events through a stream whose children
// come before their parents: released when the parent comes, at the
// bound (Expire), at the end (Flush), each process's events in order.
func TestLiveHoldBack(t *testing.T) {
	enc, err := New(nil, nil)
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	l, err := NewLive(p, enc, "live", WithHoldBack(10*time.Second))
	require.NoError(t, err)
	defer l.Close()
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	lines := func(fs []Features, err error) []string {
		require.NoError(t, err)
		var out []string
		for i := range fs {
			depth, _ := fs[i].Value("f_lineage_depth")
			missing, _ := fs[i].Value("lineage_missing_parent")
			_, held := fs[i].Held()
			out = append(out, fmt.Sprintf("%d:%d:%v:%v", fs[i].Line(), depth.Int, missing.Bool, held))
		}
		return out
	}
	// 1: root, seen at once. 2, 3: a child whose parent "p" is unseen; 4:
	// an unrelated event, not held; 5: "p" comes, child of root: 2 and 3
	// come out after it, with the depth the whole stream gives.
	require.Equal(t, []string{"1:0:true:false"}, lines(l.Line(liveLine("process_exec", "root", "", "/sbin/init", 1))))
	require.Empty(t, lines(l.Line(liveLine("process_exec", "c", "p", "/bin/c", 2))))
	require.Empty(t, lines(l.Line(liveLine("process_kprobe", "c", "p", "/bin/c", 3))))
	require.Equal(t, 2, l.Held())
	require.Equal(t, []string{"4:1:false:false"}, lines(l.Event(tetraparse.Decode(liveLine("process_exec", "x", "root", "/bin/x", 4)))))
	require.Equal(t, []string{"5:1:false:false", "2:2:false:true", "3:2:false:true"}, lines(l.Line(liveLine("process_exec", "p", "root", "/bin/p", 5))))
	require.Zero(t, l.Held())
	// A child of a parent that never comes waits for the bound; a later
	// event of its process waits behind it even though it is a line for
	// which nothing else is missing.
	require.Empty(t, lines(l.Event(tetraparse.Decode(liveLine("process_exec", "d", "gone", "/bin/d", 6)))))
	require.Empty(t, lines(l.Line(liveLine("process_kprobe", "d", "", "/bin/d", 7))))
	require.Empty(t, lines(l.Line([]byte("not json"))))
	now = now.Add(9 * time.Second)
	require.Empty(t, lines(l.Expire()))
	now = now.Add(time.Second)
	require.Equal(t, []string{"6:0:true:true", "7:0:true:true"}, lines(l.Expire()))
	// Flush releases whatever waits.
	require.Empty(t, lines(l.Line(liveLine("process_exec", "e", "late", "/bin/e", 9))))
	require.Equal(t, []string{"10:0:true:false"}, lines(l.Line(liveLine("process_exec", "f", "", "/bin/f", 10))))
	require.Equal(t, []string{"9:0:true:true"}, lines(l.Flush()))
	require.Zero(t, l.Held())
	st := l.Stats()
	require.EqualValues(t, 10, st.LinesRead)
	require.EqualValues(t, 9, st.Kept())
	require.EqualValues(t, 1, st.JSONErrors)
	require.EqualValues(t, 9, enc.Stats().Rows)
}

// TestLiveWithoutHoldBack: the same stream comes out line by line, with
// the lineage known at each event.
func TestLiveWithoutHoldBack(t *testing.T) {
	enc, err := New(nil, nil)
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{})
	require.NoError(t, err)
	l, err := NewLive(p, enc, "live")
	require.NoError(t, err)
	defer l.Close()
	var got []string
	for i, line := range [][]byte{
		liveLine("process_exec", "root", "", "/sbin/init", 1),
		liveLine("process_exec", "c", "p", "/bin/c", 2),
		liveLine("process_exec", "p", "root", "/bin/p", 3),
		liveLine("process_kprobe", "c", "p", "/bin/c", 4),
	} {
		fs, err := l.Line(line)
		require.NoError(t, err)
		require.Len(t, fs, 1)
		require.EqualValues(t, i+1, fs[0].Line())
		depth, _ := fs[0].Value("f_lineage_depth")
		got = append(got, fmt.Sprint(depth.Int))
	}
	require.Equal(t, []string{"0", "0", "1", "2"}, got)
	fs, err := l.Flush()
	require.NoError(t, err)
	require.Empty(t, fs)
}

func TestNewLiveChecksColumns(t *testing.T) {
	enc, err := New(nil, nil)
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: []string{"event_type"}})
	require.NoError(t, err)
	_, err = NewLive(p, enc, "live")
	require.ErrorIs(t, err, ErrColumn)
}

// liveEventsEnv names the environment variable that sets the number of
// generated events TestLiveMatchesBatchGenerated streams (off when unset).
const liveEventsEnv = "TETRAHIDS_LIVE_EVENTS"

// TestLiveMatchesBatchGenerated is TestLiveMatchesBatch on a generated
// stream (internal/synth) of $TETRAHIDS_LIVE_EVENTS test events after a
// quarter as many training events, with the batch encoding of the same
// library as the reference (its parity is what the golden tests prove).
// It is opt-in: a million events take minutes.
func TestLiveMatchesBatchGenerated(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(liveEventsEnv))
	if n <= 0 {
		t.Skipf("set %s to the number of events to run it", liveEventsEnv)
	}
	train := n / 4
	gen := func() func() []byte {
		g := synth.New(synth.Config{Seed: 7, Events: train + n})
		return func() []byte { return bytes.TrimSuffix(g.Next(), []byte{'\n'}) }
	}
	probe, err := New(nil, nil)
	require.NoError(t, err)
	cfg := tetraparse.Config{Columns: probe.RawColumns()}
	p, err := tetraparse.New(cfg)
	require.NoError(t, err)
	cols := func(b *tetraparse.Builder) (id, pp, par tetraparse.RowsColumn) {
		sc := b.Rows().Schema()
		get := func(name string) tetraparse.RowsColumn { return b.Rows().Column(sc.FieldIndices(name)[0]) }
		return get(lineage.ColProcExecID), get(lineage.ColProcParentExecID), get(lineage.ColParentExecID)
	}
	str := func(c tetraparse.RowsColumn, i int) string {
		if c.IsNull(i) {
			return ""
		}
		return strings.Clone(c.Str(i)) // the view's strings are reused
	}

	// The whole stream's graph, as the reference builds it, and the test's
	// model of when each process is first seen.
	full := lineage.New()
	arr := newArrivals()
	b, err := p.NewBuilder("gen")
	require.NoError(t, err)
	next, row := gen(), -1
	addAll := func(b *tetraparse.Builder) {
		id, pp, par := cols(b)
		for i := range b.Len() {
			if row >= 0 {
				row++
			}
			arr.add(str(id, i), str(pp, i), str(par, i), max(row-1, -1))
		}
		rec := b.Flush()
		require.NoError(t, full.AddBatch(rec))
		rec.Release()
	}
	for k := range train + n {
		if k == train {
			addAll(b)
			row = 0
		}
		if b.AddLine(next()) && b.Len() == 1<<14 {
			addAll(b)
		}
	}
	addAll(b)
	b.Close()

	// Live, seeded with the training events; the batch reference encodes
	// the same rows over the whole graph.
	seeded := lineage.New()
	liveEnc, err := New(nil, seeded)
	require.NoError(t, err)
	batchEnc, err := New(nil, full)
	require.NoError(t, err)
	l, err := NewLive(p, liveEnc, "gen")
	require.NoError(t, err)
	defer l.Close()
	ref, err := p.NewBuilder("gen")
	require.NoError(t, err)
	defer ref.Close()
	next = gen()
	for range train {
		if b := ref; b.AddLine(next()) && b.Len() == 1<<14 {
			rec := b.Flush()
			require.NoError(t, seeded.AddBatch(rec))
			rec.Release()
		}
	}
	if rec := ref.Flush(); rec != nil {
		require.NoError(t, seeded.AddBatch(rec))
		rec.Release()
	}
	graphCols := lineageColumns(schema.Default())
	var pending []*Features
	var batch []Features
	rows, differ, incomplete := 0, map[string]int{}, map[string]int{}
	cellsByCol := map[string]int{}
	compare := func() {
		id, pp, par := cols(ref)
		var ids, parents []string
		for i := range ref.Len() {
			ids = append(ids, str(id, i))
			parents = append(parents, resolvedParent(str(pp, i), str(par, i)))
		}
		batch, err = batchEnc.EncodeRows(ref.Rows(), batch)
		require.NoError(t, err)
		require.Len(t, pending, len(batch))
		for i := range batch {
			cause := arr.cause(ids[i], parents[i], rows)
			if cause != causeNone {
				incomplete[cause]++
			}
			bad := false
			for _, name := range batchEnc.lay.names {
				if goldenCell(pending[i], name) != goldenCell(&batch[i], name) {
					bad = true
					cellsByCol[name]++
					if cause == causeNone || !graphCols[name] {
						t.Errorf("row %d: %s differs (%s vs %s) with its lineage complete=%v", rows, name, goldenCell(pending[i], name), goldenCell(&batch[i], name), cause == causeNone)
					}
				}
			}
			if bad {
				differ[cause]++
			}
			rows++
		}
		pending = pending[:0]
		ref.Reset()
	}
	for range n {
		line := next()
		fs, err := l.Line(line)
		require.NoError(t, err)
		for i := range fs {
			pending = append(pending, fs[i].Clone())
		}
		if ref.AddLine(line) && ref.Len() == 4096 {
			compare()
		}
	}
	compare()
	total := differ[causeNone] + differ[causeParent] + differ[causeAncestor]
	t.Logf("compared %d rows x %d columns (graph seeded with %d training events)", rows, len(batchEnc.lay.names), train)
	t.Logf("rows whose parent and ancestors were seen before them: %d, of which differ: %d", rows-sum(incomplete), differ[causeNone])
	for _, c := range []string{causeParent, causeAncestor} {
		t.Logf("rows for which %s: %d, of which differ: %d", c, incomplete[c], differ[c])
	}
	t.Logf("rows that differ from the batch encoding: %d of %d (%.4f %%); cells by column: %v", total, rows, 100*float64(total)/float64(max(rows, 1)), sortedCounts(cellsByCol))
}

// TestLiveSeededFromFile runs a service's set-up: the training graph
// written with WriteTo and loaded with ReadFrom into a bounded graph.
// With a bound above the stream's processes the features are those of a
// graph seeded in memory; with a small bound the graph and the encoder's
// state stay within it for the whole stream.
func TestLiveSeededFromFile(t *testing.T) {
	if goldentest.Dir() == "" {
		t.Skip("../shared/golden not present")
	}
	want, _ := liveRun(t)
	train := lineage.New()
	for _, rec := range parseShared(t, "tetragon/sample-train.jsonl", 1000) {
		require.NoError(t, train.AddBatch(rec))
	}
	var saved bytes.Buffer
	_, err := train.WriteTo(&saved)
	require.NoError(t, err)
	for _, bound := range []int{1 << 20, 100} {
		g := lineage.New(lineage.WithMaxProcesses(bound))
		_, err := g.ReadFrom(bytes.NewReader(saved.Bytes()))
		require.NoError(t, err)
		enc, err := New(nil, g, WithMaxProcesses(bound))
		require.NoError(t, err)
		cfg := sharedConfig(t, "tetragon/sample-small.jsonl", 0)
		cfg.Columns = enc.RawColumns()
		p, err := tetraparse.New(cfg)
		require.NoError(t, err)
		l, err := NewLive(p, enc, "sample-small.jsonl")
		require.NoError(t, err)
		differ, k := 0, 0
		for _, line := range sharedLines(t, "tetragon/sample-small.jsonl") {
			fs, err := l.Line(line)
			require.NoError(t, err)
			require.LessOrEqual(t, g.Len(), bound)
			require.LessOrEqual(t, len(enc.prev)+len(enc.prevOld), bound)
			for i := range fs {
				if string(fs[i].AppendJSON(nil)) != string(want[k].AppendJSON(nil)) {
					differ++
				}
				k++
			}
		}
		l.Close()
		require.Equal(t, len(want), k)
		if bound > len(want) {
			require.Zero(t, differ, "a graph loaded with ReadFrom gives the features of one seeded in memory")
		}
		t.Logf("bound %d: %d of %d rows differ from the unbounded run; graph %+v", bound, differ, k, g.Stats())
	}
}

// TestPipeLinesReachEncoder writes five lines into a pipe 200 ms apart;
// Parser.Records feeds the Encoder, and each line must have been encoded
// before the next is written.
func TestPipeLinesReachEncoder(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	enc, err := New(nil, nil, WithIncrementalLineage())
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	encoded := make(chan int64, 8)
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		for raw, rerr := range p.Records(r, "pipe") {
			if rerr != nil {
				err = rerr
				return
			}
			out, eerr := enc.Encode(raw)
			if eerr != nil {
				err = eerr
				return
			}
			times := out.Column(out.Schema().FieldIndices("event_time")[0]).(*array.Timestamp)
			for i := range times.Len() {
				encoded <- times.Value(i).ToTime(arrow.Nanosecond).Unix()
			}
			out.Release()
		}
	}()
	for k := 1; k <= 5; k++ {
		if k > 1 {
			time.Sleep(200 * time.Millisecond)
		}
		_, err := w.Write(liveLine("process_exec", fmt.Sprintf("e%d", k), "", "/bin/sh", k))
		require.NoError(t, err)
		_, err = w.Write([]byte("\n"))
		require.NoError(t, err)
		// Nothing more is written before the line comes out of the
		// encoder; a parser waiting for a full batch would never deliver
		// it.
		select {
		case sec := <-encoded:
			require.Equal(t, int64(k), sec%60)
		case <-time.After(20 * time.Second):
			t.Fatalf("line %d was not encoded before line %d was written", k, k+1)
		}
	}
	w.Close()
	require.NoError(t, <-done)
	require.EqualValues(t, 5, enc.Stats().Rows)
}

// TestLiveCloseTwice: Close ends a Live's life and may be called again,
// as Close does elsewhere in the module.
func TestLiveCloseTwice(t *testing.T) {
	enc, err := New(schema.Default(), nil, WithIncrementalLineage())
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	live, err := NewLive(p, enc, "x")
	require.NoError(t, err)
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 1, Events: 20}).WriteTo(&b)
	for _, line := range bytes.Split(b.Bytes(), []byte("\n")) {
		_, err := live.Line(line)
		require.NoError(t, err)
	}
	live.Close()
	live.Close()
	st := p.Stats()
	require.EqualValues(t, 21, st.LinesRead, "the Live's counters reach the Parser once")
}
