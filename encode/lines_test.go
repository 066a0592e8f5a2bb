package encode

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// liveOutcome is what a run of a Live leaves: the emitted rows with their
// line numbers, the counters, the graph and the process state.
type liveOutcome struct {
	rows         []string
	stats        tetraparse.Stats
	graph, state []byte
}

// runLive feeds lines to a new Live (graph seeded with seed) one at a
// time (chunk 0) or chunk lines per Lines call.
func runLive(t *testing.T, seed []byte, lines [][]byte, chunk int, opts ...Option) liveOutcome {
	t.Helper()
	g := lineage.New(lineage.WithMaxProcesses(40))
	_, err := g.ReadFrom(bytes.NewReader(seed))
	require.NoError(t, err)
	enc, err := New(nil, g, opts...)
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	l, err := NewLive(p, enc, "gen")
	require.NoError(t, err)
	defer l.Close()
	var o liveOutcome
	add := func(fs []Features) {
		for i := range fs {
			o.rows = append(o.rows, fmt.Sprintf("%d %s", fs[i].Line(), fs[i].AppendJSON(nil)))
		}
	}
	for k := 0; k < len(lines); {
		if chunk == 0 {
			fs, err := l.Line(lines[k])
			require.NoError(t, err)
			add(fs)
			k++
			continue
		}
		end := min(len(lines), k+chunk)
		fs, err := l.Lines(lines[k:end])
		require.NoError(t, err)
		add(fs)
		k = end
	}
	o.stats = l.Stats()
	var gb, sb bytes.Buffer
	g.WriteTo(&gb)
	enc.WriteProcessState(&sb)
	o.graph, o.state = gb.Bytes(), sb.Bytes()
	return o
}

// TestLiveLinesEqualsLine: Lines gives, for any chunking, exactly what
// successive Line calls give: the same rows with the same line numbers,
// counters, graph (bounded, so eviction order matters too) and process
// state; the stream holds junk, blank lines and host events.
func TestLiveLinesEqualsLine(t *testing.T) {
	n := 8000
	if testing.Short() {
		n = 3000
	}
	all := stateLines(n)
	seedG := lineage.New()
	probe, err := New(nil, seedG)
	require.NoError(t, err)
	liveRows(t, probe, all[:n/4])
	var seed bytes.Buffer
	seedG.WriteTo(&seed)
	lines := all[n/4:]
	lines = append(lines[:100:100], append([][]byte{[]byte("not json"), nil, []byte(`{"node_name":"x"}`)}, lines[100:]...)...)
	// Children whose parent's first event comes a few lines later: a
	// batch that registered its rows before looking them up would give
	// them their parent.
	for k := range 20 {
		c, p := fmt.Sprintf("child-%d", k), fmt.Sprintf("parent-%d", k)
		late := [][]byte{
			liveLine("process_exec", c, p, "/bin/c", 1),
			liveLine("process_kprobe", c, p, "/bin/c", 2),
			liveLine("process_exec", p, "", "/bin/p", 3),
			liveLine("process_kprobe", c, p, "/bin/c", 4),
		}
		at := 200 + k*(len(lines)-300)/20
		lines = append(lines[:at:at], append(late, lines[at:]...)...)
	}
	want := runLive(t, seed.Bytes(), lines, 0, WithMaxProcesses(16))
	require.Greater(t, len(want.rows), n/2)
	require.Positive(t, want.stats.JSONErrors)
	for _, chunk := range []int{1, 3, 64, 1000, len(lines)} {
		got := runLive(t, seed.Bytes(), lines, chunk, WithMaxProcesses(16))
		require.Equal(t, want.rows, got.rows, "chunk %d", chunk)
		require.Equal(t, want.stats, got.stats, "chunk %d", chunk)
		require.Equal(t, want.graph, got.graph, "chunk %d: graph", chunk)
		require.Equal(t, want.state, got.state, "chunk %d: process state", chunk)
	}
	t.Logf("%d lines, %d rows: equal for every chunking", len(lines), len(want.rows))
}

// TestLiveLinesHoldBack: with hold-back, Lines takes the lines one by one,
// releasing what successive Line calls release.
func TestLiveLinesHoldBack(t *testing.T) {
	lines := [][]byte{
		liveLine("process_exec", "c", "p", "/bin/c", 1),
		liveLine("process_kprobe", "c", "p", "/bin/c", 2),
		[]byte("junk"),
		liveLine("process_exec", "x", "", "/bin/x", 3),
		liveLine("process_exec", "p", "", "/bin/p", 4),
		liveLine("process_kprobe", "c", "p", "/bin/c", 5),
	}
	run := func(chunk int) []string {
		enc, err := New(nil, nil)
		require.NoError(t, err)
		p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
		require.NoError(t, err)
		l, err := NewLive(p, enc, "live", WithHoldBack(time.Minute))
		require.NoError(t, err)
		defer l.Close()
		l.now = func() time.Time { return time.Unix(1000, 0) }
		var out []string
		for k := 0; k < len(lines); k += chunk {
			fs, err := l.Lines(lines[k:min(len(lines), k+chunk)])
			require.NoError(t, err)
			for i := range fs {
				_, held := fs[i].Held()
				out = append(out, fmt.Sprintf("%d:%v:%s", fs[i].Line(), held, fs[i].AppendJSON(nil)))
			}
		}
		return out
	}
	want := run(1)
	require.Len(t, want, 5)
	require.Equal(t, want, run(4))
	require.Equal(t, want, run(len(lines)))
}
