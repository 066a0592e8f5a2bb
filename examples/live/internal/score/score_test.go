package score

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/state"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// TestScoresEqualBatch: on a generated stream, every event gets the batch
// path's score (the corpus's encoding of the test split, the n-gram scored
// in event-time order, the forest per row) whenever its process's events
// come in time order and the tokens of its process so far are the
// corpus's (n-gram), or its features are the corpus's (forest). The
// events that miss these conditions are counted by cause.
func TestScoresEqualBatch(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	for _, model := range []baseline.Model{f.ngram, f.forest} {
		t.Run(model.Kind().String(), func(t *testing.T) {
			p, c := newProcessor(t, f, Config{Model: model, Features: true, Threshold: math.Inf(1)})
			var out bytes.Buffer
			feed(t, p, f.test, 1000, &out)
			got := parseOut(t, out.Bytes())
			require.Len(t, got, len(f.rows))
			prefixSame := map[string]bool{} // the process's tokens so far equal the batch's
			equal, causes := 0, map[string]int{}
			for i, g := range got {
				w := f.rows[i]
				require.Equal(t, w.time, *g.EventTime, "row %d", i)
				require.Equal(t, w.pid, *g.PID, "row %d", i)
				sameSoFar, seen := prefixSame[w.pid]
				sameSoFar = (sameSoFar || !seen) && g.Token == w.token
				prefixSame[w.pid] = sameSoFar
				var want float32
				var cause string
				if model.Kind() == baseline.KindNgram {
					want = w.ngram
					switch {
					case !w.procInTimeOrder:
						cause = "its process's events are not in time order"
					case g.Token != w.token:
						cause = "its token differs (a parent seen after it)"
					case !sameSoFar:
						cause = "an earlier token of its process differs"
					}
				} else {
					want = w.forest
					if string(g.Features) != w.features {
						cause = "its features differ (a parent seen after it)"
					}
				}
				if cause == "" {
					require.Equal(t, want, *g.Score, "row %d (%s): score", i, w.pid)
					equal++
					continue
				}
				causes[cause]++
				if *g.Score == want {
					equal++
				}
			}
			s := c.Snapshot(statsZero)
			require.EqualValues(t, len(got), s.Kept)
			require.EqualValues(t, len(f.test)-len(got), sumCounts(s.Dropped))
			t.Logf("%s: %d of %d events (%.4f %%) have the batch score; not comparable: %v", model.Kind(), equal, len(got), 100*float64(equal)/float64(len(got)), causes)
		})
	}
}

// TestDropsCounted: every line is counted once, kept or dropped by reason.
func TestDropsCounted(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	sentinel := tetraparse.Window{Start: 1, End: 2}
	lines := [][]byte{
		nil,
		[]byte("   "),
		[]byte("{not json"),
		[]byte(`{"process_exec":[1,2]}`),
		[]byte(`{"node_name":"x"}`),
		[]byte(`{"process_exec":{"process":{"exec_id":"e","binary":"/bin/x","ns":{"pid":{"inum":99}}}},"time":"2026-04-14T01:41:13Z"}`),
		[]byte(`{"process_exec":{"process":{"exec_id":"h","binary":"/bin/x","ns":{"pid":{"inum":5,"is_host":true}}}},"time":"2026-04-14T01:41:13Z"}`),
		[]byte(`{"process_exec":{"process":{"exec_id":"s","binary":"/bin/x","ns":{"pid":{"inum":4026533329}}}},"time":"1970-01-01T00:00:00.000000001Z"}`),
		[]byte(`{"process_exec":{"process":{"exec_id":"k","binary":"/bin/x","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-14T01:41:13Z"}`),
		bytes.Repeat([]byte("x"), 5000),
	}
	want := map[string]uint64{
		"blank": 2, "json_error": 1, "structure_error": 1, "drop_wrong_event_type": 1,
		"drop_container_filter_wrong_inum": 1, "drop_container_filter_is_host": 1,
		"drop_sentinel_interval": 1, "line_too_long": 1,
	}
	for _, hold := range []time.Duration{0, time.Minute} {
		var log bytes.Buffer
		p, c := newProcessor(t, f, Config{HoldBack: hold, Log: slog.New(slog.NewTextHandler(&log, nil)), Parser: tetraparse.Config{
			TargetInums: []uint64{4026533329}, Sentinels: []tetraparse.Window{sentinel}, MaxLineBytes: 4096}})
		var out bytes.Buffer
		feed(t, p, append(lines, []byte("{not json again")), 0, &out)
		s := c.Snapshot(statsZero)
		want["json_error"] = 2
		require.Equal(t, want, s.Dropped, "hold-back %v", hold)
		require.EqualValues(t, 1, s.Kept)
		require.Len(t, parseOut(t, out.Bytes()), 1)
		// The first unreadable line of each kind is logged, with its line.
		require.Equal(t, 3, strings.Count(log.String(), "not readable"), log.String())
		require.Contains(t, log.String(), "stdin:3:")
	}
}

// TestThreshold: numbers and stored quantiles; alerts are the events
// scoring at least the threshold.
func TestThreshold(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	q, ok := f.ngram.ScoreQuantile(0.99)
	require.True(t, ok)
	for _, c := range []struct {
		in   string
		want float64
		err  string
	}{
		{"q0.99", q, ""}, {"7.5", 7.5, ""}, {"-1e3", -1000, ""},
		{"q0.42", 0, "no quantile at 0.42 (it has q0.5, q0.9"}, {"qx", 0, "not a number"},
		{"NaN", 0, "want a number"}, {"", 0, "want a number"},
	} {
		got, err := ParseThreshold(c.in, f.ngram)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	p, cs := newProcessor(t, f, Config{Threshold: q})
	var out bytes.Buffer
	feed(t, p, f.test, 0, &out)
	alerts := 0
	for _, l := range parseOut(t, out.Bytes()) {
		require.Equal(t, float64(*l.Score) >= q, l.Alert)
		if l.Alert {
			alerts++
		}
	}
	require.Positive(t, alerts)
	require.EqualValues(t, alerts, cs.Snapshot(statsZero).Alerts)
}

// checkpoint saves p's sections (with the counters) into a new state
// directory and loads them back.
func checkpoint(t *testing.T, p *Processor, c *metrics.Counters) *state.Checkpoint {
	t.Helper()
	st, err := state.Open(filepath.Join(t.TempDir(), "state"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	counts, _ := c.MarshalBinary()
	require.NoError(t, st.Save(append(p.Sections(), state.BytesSection("counters", counts))...))
	cp, err := st.Load()
	require.NoError(t, err)
	t.Cleanup(func() { cp.Close() })
	return cp
}

// restarted continues p's run in a new Processor from a checkpoint of p.
func restarted(t *testing.T, f *fixture, p *Processor, c *metrics.Counters, cfg Config) (*Processor, *metrics.Counters) {
	t.Helper()
	cp := checkpoint(t, p, c)
	c2 := new(metrics.Counters)
	b, err := cp.Bytes("counters")
	require.NoError(t, err)
	require.NoError(t, c2.UnmarshalBinary(b))
	cfg.Counters = c2
	q, _ := newProcessor(t, f, cfg)
	require.NoError(t, q.Restore(cp))
	return q, c2
}

// TestRestartContinues: a run stopped at checkpoints and restarted from
// them writes exactly what one uninterrupted run writes, line for line:
// the graph, the encoder's per-process times and the n-gram's contexts
// carry over. Bounded memories too, as long as nothing is evicted after
// a restart in an order the checkpoint does not keep; with eviction the
// differences are counted.
func TestRestartContinues(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	for _, bound := range []int{-1, 2000, 40} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			cfg := Config{MaxProcesses: bound, Threshold: 6, Features: true}
			p, c := newProcessor(t, f, cfg)
			var want bytes.Buffer
			feed(t, p, f.test, 0, &want)
			wantCounts := c.Snapshot(statsZero)

			var got bytes.Buffer
			p, c = newProcessor(t, f, cfg)
			n := len(f.test)
			cuts := []int{0, n / 10, n/10 + 1, n * 4 / 10, n * 7 / 10, n}
			for k := 1; k < len(cuts); k++ {
				if k > 1 {
					p, c = restarted(t, f, p, c, cfg)
				}
				for _, l := range f.test[cuts[k-1]:cuts[k]] {
					require.NoError(t, p.Process(l, &got))
				}
				require.NoError(t, p.Flush(&got))
			}
			gotCounts := c.Snapshot(statsZero)
			require.Equal(t, wantCounts.Kept, gotCounts.Kept)
			require.Equal(t, wantCounts.Dropped, gotCounts.Dropped)
			require.Equal(t, wantCounts.Alerts, gotCounts.Alerts)
			w, g := strings.Split(want.String(), "\n"), strings.Split(got.String(), "\n")
			require.Len(t, g, len(w))
			differ := 0
			for i := range w {
				if w[i] != g[i] {
					differ++
				}
			}
			if bound < 0 || bound >= 2000 {
				require.Zero(t, differ, "lines differ from one run's")
			}
			t.Logf("max processes %d: %d lines, %d differ from one uninterrupted run's (graph evictions %d)", bound, len(w)-1, differ, p.Stats().Graph.Evicted)
		})
	}
}

// childFirst is a stream whose child processes' first events come before
// their parent's, for hold-back: process c (child of p) twice, an
// unrelated process, then p, then c again.
func childFirst(k int) [][]byte {
	line := func(kind, id, parent, bin string, sec int) []byte {
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
	c, p := fmt.Sprintf("c%d", k), fmt.Sprintf("p%d", k)
	return [][]byte{
		line("process_exec", c, p, "/bin/c", 1),
		line("process_kprobe", c, p, "/bin/c", 2),
		line("process_exec", fmt.Sprintf("x%d", k), "", "/bin/x", 3),
		line("process_exec", p, "", "/usr/bin/parent", 4),
		line("process_kprobe", c, p, "/bin/c", 5),
	}
}

// TestHoldBackAcrossRestart: events held for their parent are saved in
// the checkpoint, held again after the restart, and released when the
// parent comes, with the lineage the parent gives them (parent basename
// in the token); each event is written once.
func TestHoldBackAcrossRestart(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	lines := childFirst(1)
	cfg := Config{HoldBack: time.Hour, Features: true}
	p, c := newProcessor(t, f, cfg)
	var out bytes.Buffer
	for _, l := range lines[:3] {
		require.NoError(t, p.Process(l, &out))
	}
	require.NoError(t, p.Flush(&out))
	require.Equal(t, 2, p.Stats().Held)
	require.Len(t, parseOut(t, out.Bytes()), 1, "only the unrelated process's event")
	p, c = restarted(t, f, p, c, cfg)
	require.Equal(t, 2, p.Stats().Held, "held again after the restart")
	for _, l := range lines[3:] {
		require.NoError(t, p.Process(l, &out))
	}
	require.NoError(t, p.Drain(&out))
	got := parseOut(t, out.Bytes())
	require.Len(t, got, 5)
	var order []string
	for _, l := range got {
		order = append(order, fmt.Sprintf("%s %d", *l.PID, *l.EventTime/1e9%60))
		if *l.PID == "c1" {
			require.Contains(t, string(l.Features), `"parent_binary_basename":"parent"`, "lineage from the parent that came later")
		}
	}
	require.Equal(t, []string{"x1 3", "p1 4", "c1 1", "c1 2", "c1 5"}, order)
	require.EqualValues(t, 5, c.Snapshot(statsZero).Kept)
}

// TestBoundedMemory: with a small bound, the graph, the encoder's
// per-process times and the n-gram's contexts stay within it over a
// stream with many more processes.
func TestBoundedMemory(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	const bound = 30
	p, _ := newProcessor(t, f, Config{MaxProcesses: bound})
	var out bytes.Buffer
	for i, l := range f.test {
		require.NoError(t, p.Process(l, &out))
		if i%500 == 0 {
			require.NoError(t, p.Flush(&out))
			s := p.Stats()
			require.LessOrEqual(t, s.GraphProcesses, bound)
			require.LessOrEqual(t, s.Contexts, bound)
			out.Reset()
		}
	}
	s := p.Stats()
	require.Positive(t, s.Evictions)
	require.Positive(t, s.Graph.Evicted)
	var st bytes.Buffer
	_, err := p.enc.WriteProcessState(&st)
	require.NoError(t, err)
	require.Less(t, st.Len(), bound*80, "encoder state of at most %d processes", bound)
	t.Logf("bound %d: graph %d processes (%d evicted), %d contexts (%d evicted), encoder state %d bytes", bound, s.GraphProcesses, s.Graph.Evicted, s.Contexts, s.Evictions, st.Len())
}

// TestRestoreRefusesDamage: a damaged section stops the restore; a
// checkpoint of another model's scorer is passed over.
func TestRestoreRefusesDamage(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	p, c := newProcessor(t, f, Config{})
	var out bytes.Buffer
	feed(t, p, f.test[:2000], 0, &out)
	secs := p.Sections()
	for _, bad := range []string{SectionLineage, SectionEncoder, SectionScorer} {
		st, err := state.Open(filepath.Join(t.TempDir(), "state"))
		require.NoError(t, err)
		var saved []state.Section
		for _, s := range secs {
			if s.Name == bad {
				var b bytes.Buffer
				s.Data.WriteTo(&b)
				b.Truncate(b.Len() / 2)
				s = state.BytesSection(s.Name, b.Bytes())
			}
			saved = append(saved, s)
		}
		require.NoError(t, st.Save(saved...))
		cp, err := st.Load()
		require.NoError(t, err)
		q, _ := newProcessor(t, f, Config{})
		err = q.Restore(cp)
		require.ErrorContains(t, err, "section "+bad, bad)
		cp.Close()
		st.Close()
	}
	// Another model: the contexts are not used.
	tr, _ := baseline.NewNgramTrainer()
	tr.Add("a", "x")
	other, err := tr.Fit()
	require.NoError(t, err)
	cp := checkpoint(t, p, c)
	q, _ := newProcessor(t, f, Config{Model: other})
	require.NoError(t, q.Restore(cp))
	require.Zero(t, q.Stats().Contexts)
	require.Positive(t, q.Stats().GraphProcesses)
}

func TestNewErrors(t *testing.T) {
	f := newFixture(t, fixtureEvents())
	_, err := New(Config{})
	require.ErrorContains(t, err, "no model")
	_, err = New(Config{Model: f.ngram, Seed: strings.NewReader("not a graph")})
	require.ErrorContains(t, err, "seed graph")
	_, err = New(Config{Model: f.ngram, Parser: tetraparse.Config{TargetInums: []uint64{1}, Select: []tetraparse.Selector{{PIDNamespace: 1}}}})
	require.Error(t, err)
}

// FuzzDecodeHeld: no input makes the held lines' decoder panic, and what
// it accepts encodes back to the same bytes.
func FuzzDecodeHeld(f *testing.F) {
	p := &Processor{held: map[int64][]byte{3: []byte("a"), 9: []byte(`{"x":1}`), 12: nil}}
	f.Add(p.heldBytes())
	f.Add([]byte{1, 0})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := decodeHeld(b, 100)
		if err != nil {
			if !errors.Is(err, ErrHeld) {
				t.Fatalf("error without ErrHeld: %v", err)
			}
			return
		}
		q := &Processor{held: map[int64][]byte{}}
		for i, l := range lines {
			q.held[int64(i)] = l
		}
		if !bytes.Equal(q.heldBytes(), b) {
			t.Fatalf("%q decodes to %d lines that encode to %q", b, len(lines), q.heldBytes())
		}
	})
}

func sumCounts(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
