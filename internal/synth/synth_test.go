package synth_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func TestDeterministicAndParseable(t *testing.T) {
	gen := func(seed uint64) []byte {
		var b bytes.Buffer
		_, err := synth.New(synth.Config{Seed: seed, Events: 5000}).WriteTo(&b)
		require.NoError(t, err)
		return b.Bytes()
	}
	a, b := gen(7), gen(7)
	require.Equal(t, a, b, "same seed, same bytes")
	require.NotEqual(t, a, gen(8))
	p, err := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329, 4026533387}})
	require.NoError(t, err)
	rows := 0
	for rec, err := range p.Records(bytes.NewReader(a), "synth.json") {
		require.NoError(t, err)
		rows += int(rec.NumRows())
	}
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 5000, st.LinesRead)
	require.Zero(t, st.JSONErrors)
	require.Zero(t, st.StructureErrors)
	require.Zero(t, st.FieldErrors)
	require.Positive(t, st.DroppedBy(tetraparse.DropHostNamespace), "host noise")
	require.Positive(t, st.ProcfsWalkTagged)
	require.Positive(t, st.KeptBy(tetraparse.KindExit))
	require.Greater(t, rows, 4500)
}

// TestWriteExportNames: a rotated set holds one file per perFile events,
// backups named by strictly increasing rotation times (moved on by a
// millisecond where two rotations share one, so none replaces another),
// compressed only when asked, and the active file last.
func TestWriteExportNames(t *testing.T) {
	dir := t.TempDir()
	// At a million events a second, most rotations of one-event files
	// share a millisecond with the one before.
	var lines int
	g := synth.New(synth.Config{Seed: 2, Events: 40, Rate: 1e6})
	require.NoError(t, g.WriteExport(dir, 1, true, func([]byte) { lines++ }))
	require.Equal(t, 40, lines)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 40)
	var prev time.Time
	for i, e := range entries[:39] { // ReadDir sorts by name
		stamp, ok := strings.CutPrefix(e.Name(), "tetragon-")
		require.True(t, ok, e.Name())
		stamp, ok = strings.CutSuffix(stamp, ".log.gz")
		require.True(t, ok, e.Name())
		at, err := time.Parse(synth.BackupTimeFormat, stamp)
		require.NoError(t, err)
		if i > 0 {
			require.True(t, at.After(prev), "%s after %s", at, prev)
		}
		prev = at
	}
	require.Equal(t, synth.ActiveName, entries[39].Name())
	require.Equal(t, "tetragon-2026-04-14T01-41-13.000.log", synth.BackupName(time.Date(2026, 4, 14, 1, 41, 13, 999, time.UTC), false))

	// Without compression, and an exact multiple: the active file is full.
	dir = t.TempDir()
	require.NoError(t, synth.New(synth.Config{Seed: 2, Events: 6}).WriteExport(dir, 3, false, nil))
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Regexp(t, `^tetragon-2026-04-14T01-41-13\.\d{3}\.log$`, entries[0].Name())
	require.Equal(t, synth.ActiveName, entries[1].Name())
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "Tetragon's default export permission")
	}
	data, err := os.ReadFile(filepath.Join(dir, synth.ActiveName))
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(data), "\n"))

	require.Error(t, synth.New(synth.Config{Events: 1}).WriteExport(t.TempDir(), 0, false, nil))
}
