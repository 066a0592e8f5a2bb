package encode

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// stateLines returns n generated lines.
func stateLines(n int) [][]byte {
	g := synth.New(synth.Config{Seed: 3, Events: n})
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Clone(bytes.TrimSuffix(g.Next(), []byte{'\n'}))
	}
	return out
}

// liveRows encodes lines through a new Live over enc and returns each
// emitted row as JSON.
func liveRows(t testing.TB, enc *Encoder, lines [][]byte) []string {
	t.Helper()
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	l, err := NewLive(p, enc, "gen")
	require.NoError(t, err)
	defer l.Close()
	var out []string
	for _, line := range lines {
		fs, err := l.Line(line)
		require.NoError(t, err)
		for i := range fs {
			out = append(out, string(fs[i].AppendJSON(nil)))
		}
	}
	return out
}

// TestProcessStateRestart: a stream encoded in two runs, the second
// starting from the first's saved graph and process state, gives the rows
// of one uninterrupted run, bounded or not; without the process state the
// second run's first event of every continuing process has no
// delta_t_prev_ns.
func TestProcessStateRestart(t *testing.T) {
	n := 6000
	if testing.Short() {
		n = 2000
	}
	lines := stateLines(n)
	half := len(lines) / 2
	for _, bound := range []int{0, 16} {
		opts := []Option{WithMaxProcesses(bound)}
		whole, err := New(nil, lineage.New(), opts...)
		require.NoError(t, err)
		want := liveRows(t, whole, lines)

		first, err := New(nil, lineage.New(), opts...)
		require.NoError(t, err)
		got := liveRows(t, first, lines[:half])
		var graph, st bytes.Buffer
		_, err = first.Graph().WriteTo(&graph)
		require.NoError(t, err)
		n, err := first.WriteProcessState(&st)
		require.NoError(t, err)
		require.EqualValues(t, st.Len(), n)

		restart := func(restore bool) []string {
			g := lineage.New()
			_, err := g.ReadFrom(bytes.NewReader(graph.Bytes()))
			require.NoError(t, err)
			second, err := New(nil, g, opts...)
			require.NoError(t, err)
			if restore {
				m, err := second.ReadProcessState(bytes.NewReader(st.Bytes()))
				require.NoError(t, err)
				require.EqualValues(t, st.Len(), m)
				var again bytes.Buffer
				second.WriteProcessState(&again)
				require.Equal(t, st.Bytes(), again.Bytes(), "a restored state is saved as it was read")
			}
			return liveRows(t, second, lines[half:])
		}
		require.Equal(t, want, append(got, restart(true)...), "bound %d", bound)
		differ := 0
		for i, row := range restart(false) {
			if row != want[len(got)+i] {
				differ++
			}
		}
		require.NotZero(t, differ, "without the state the second run differs")
		t.Logf("bound %d: %d rows equal to one run's; without the process state %d of the second run's %d rows differ (%d bytes of state)",
			bound, len(want), differ, len(want)-len(got), st.Len())
	}
}

// TestProcessStateBound: a state saved without a bound, read by an
// Encoder with one, is cut to the bound as the next event would cut it.
func TestProcessStateBound(t *testing.T) {
	e, err := New(nil, nil)
	require.NoError(t, err)
	liveRows(t, e, stateLines(3000))
	var st bytes.Buffer
	e.WriteProcessState(&st)
	require.Greater(t, len(e.prev), 20)
	b, err := New(nil, nil, WithMaxProcesses(40))
	require.NoError(t, err)
	_, err = b.ReadProcessState(&st)
	require.NoError(t, err)
	require.Empty(t, b.prev)
	require.Len(t, b.prevOld, len(e.prev))
}

// TestProcessStateDamage: every truncation and every flipped byte of a
// saved state is refused with ErrProcessState, leaving the Encoder as it
// was; the reader reads one encoding and no further.
func TestProcessStateDamage(t *testing.T) {
	src, err := New(nil, nil, WithMaxProcesses(30))
	require.NoError(t, err)
	liveRows(t, src, stateLines(500))
	var st bytes.Buffer
	src.WriteProcessState(&st)
	good := st.Bytes()

	dst, err := New(nil, nil)
	require.NoError(t, err)
	liveRows(t, dst, stateLines(50))
	var before bytes.Buffer
	dst.WriteProcessState(&before)
	unchanged := func() {
		var now bytes.Buffer
		dst.WriteProcessState(&now)
		require.Equal(t, before.Bytes(), now.Bytes())
	}
	for n := range len(good) {
		_, err := dst.ReadProcessState(bytes.NewReader(good[:n]))
		require.ErrorIs(t, err, ErrProcessState, "cut at %d", n)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", n)
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x41
		_, err := dst.ReadProcessState(bytes.NewReader(bad))
		require.ErrorIs(t, err, ErrProcessState, "byte %d flipped", i)
	}
	unchanged()

	r := bytes.NewReader(append(bytes.Clone(good), "next"...))
	_, err = dst.ReadProcessState(r)
	require.NoError(t, err)
	rest, _ := io.ReadAll(r)
	require.Equal(t, "next", string(rest))

	broken := errors.New("disk on fire")
	_, err = dst.ReadProcessState(io.MultiReader(bytes.NewReader(good[:30]), errReader{broken}))
	require.ErrorIs(t, err, broken)
	require.NotErrorIs(t, err, ErrProcessState)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// FuzzReadProcessState: no input makes ReadProcessState panic, and what it
// accepts it writes back byte for byte.
func FuzzReadProcessState(f *testing.F) {
	e, err := New(nil, nil, WithMaxProcesses(16))
	require.NoError(f, err)
	liveRows(f, e, stateLines(200))
	var st bytes.Buffer
	e.WriteProcessState(&st)
	f.Add(st.Bytes())
	var empty bytes.Buffer
	(&Encoder{}).WriteProcessState(&empty)
	f.Add(empty.Bytes())
	d, err := New(nil, nil) // New is costly; a read replaces the whole state
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := d.ReadProcessState(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrProcessState) {
				t.Fatalf("error without ErrProcessState: %v", err)
			}
			return
		}
		var out bytes.Buffer
		d.WriteProcessState(&out)
		if !bytes.Equal(out.Bytes(), b[:n]) {
			t.Fatalf("read %d bytes, wrote back %d other bytes", n, out.Len())
		}
	})
}
