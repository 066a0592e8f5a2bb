package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// readGraph loads a lineage file.
func readGraph(t *testing.T, path string) *lineage.Graph {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	g := lineage.New()
	_, err = g.ReadFrom(f)
	require.NoError(t, err)
	return g
}

// execIDs collects the exec ids (own and parents') of raw batches.
func execIDs(recs []arrow.RecordBatch) map[string]bool {
	ids := map[string]bool{}
	for _, r := range recs {
		for _, name := range []string{lineage.ColProcExecID, lineage.ColProcParentExecID, lineage.ColParentExecID} {
			col, ok := colByName(r, name).(*array.String)
			if !ok {
				continue
			}
			for i := range col.Len() {
				if col.IsValid(i) && col.Value(i) != "" {
					ids[col.Value(i)] = true
				}
			}
		}
	}
	return ids
}

// requireSameGraph checks that got answers as want does for every exec id
// of ids: the same registered processes, lineage and counters.
func requireSameGraph(t *testing.T, want, got *lineage.Graph, ids map[string]bool) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len())
	require.Equal(t, want.Stats(), got.Stats())
	for id := range ids {
		require.Equal(t, want.Contains(id), got.Contains(id), id)
		require.Equal(t, want.Lookup(id), got.Lookup(id), id)
	}
}

// TestLineageOut builds with LineageOut, split by time (the sample) and
// from separate inputs (the golden samples), and checks that the file
// holds the train split's graph: every train row registered, no test row,
// mode 0600, nothing else left beside it.
func TestLineageOut(t *testing.T) {
	t.Parallel()
	t.Run("cut", func(t *testing.T) {
		t.Parallel()
		dir := writeSampleDir(t)
		_, cut, err := loadSampleParams()
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "train.lineage")
		out := build(t, Config{In: []string{dir}, Cut: cut, NoAnonymize: true, LineageOut: path})

		// The train graph, independently: the rows before the cut.
		plan, err := NewPlan(Config{NoAnonymize: true})
		require.NoError(t, err)
		p, err := tetraparse.New(plan.ParserConfig())
		require.NoError(t, err)
		files, err := tetraparse.Inputs(dir)
		require.NoError(t, err)
		train, full := lineage.New(), lineage.New()
		var trainRecs, testRecs []arrow.RecordBatch
		for rec, err := range Parse(context.Background(), p, files, full) {
			require.NoError(t, err)
			before, after, _, err := CutBatch(context.Background(), rec, cut, plan.mem)
			require.NoError(t, err)
			if before != nil {
				require.NoError(t, train.AddBatch(before))
				trainRecs = append(trainRecs, before)
			}
			if after != nil {
				testRecs = append(testRecs, after)
			}
		}
		defer func() {
			for _, r := range append(trainRecs, testRecs...) {
				r.Release()
			}
		}()
		got := readGraph(t, path)
		ids := execIDs(append(trainRecs, testRecs...))
		requireSameGraph(t, train, got, ids)
		// Test-only processes are not in it.
		testOnly := 0
		for id := range execIDs(testRecs) {
			if full.Contains(id) && !train.Contains(id) {
				testOnly++
				require.False(t, got.Contains(id), id)
			}
		}
		require.Positive(t, testOnly, "the sample's test rows bring processes of their own")
		require.Less(t, got.Len(), full.Len())
		assert.EqualValues(t, num(t, readStats(t, out), "lineage", "seed_processes"), got.Len())
		t.Logf("train graph: %d processes (%d in the whole corpus, %d seen only in test)", got.Len(), full.Len(), testOnly)

		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		entries, err := os.ReadDir(filepath.Dir(path))
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary file left: %v", entries)

		// A rebuild replaces the file.
		require.NoError(t, os.Chmod(path, 0o644))
		build(t, Config{In: []string{dir}, Cut: cut, NoAnonymize: true, LineageOut: path, Out: out})
		fi, err = os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		requireSameGraph(t, train, readGraph(t, path), ids)
	})
	t.Run("separate inputs", func(t *testing.T) {
		t.Parallel()
		shared := goldentest.SharedTestdata()
		if shared == "" {
			t.Skip("../shared not present")
		}
		cfg := goldenConfig(shared)
		cfg.LineageOut = filepath.Join(t.TempDir(), "train.lineage")
		out := build(t, cfg)
		plan, err := NewPlan(cfg)
		require.NoError(t, err)
		p, err := tetraparse.New(plan.ParserConfig())
		require.NoError(t, err)
		train := lineage.New()
		var recs []arrow.RecordBatch
		for rec, err := range Parse(context.Background(), p, cfg.TrainIn, train) {
			require.NoError(t, err)
			rec.Retain()
			recs = append(recs, rec)
		}
		defer func() {
			for _, r := range recs {
				r.Release()
			}
		}()
		got := readGraph(t, cfg.LineageOut)
		requireSameGraph(t, train, got, execIDs(recs))
		st := readStats(t, out)
		assert.EqualValues(t, num(t, st, "lineage", "seed_processes"), got.Len())
		assert.Less(t, int64(got.Len()), num(t, st, "lineage", "unique_processes"))
	})
	t.Run("no train split", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "train.lineage")
		build(t, Config{TestIn: []string{writeSampleDir(t)}, NoAnonymize: true, LineageOut: path})
		assert.Zero(t, readGraph(t, path).Len())
	})
}

// TestLineageOutRefused checks that a LineageOut inside Out is refused
// before any work, however the path gets there, and that a LineageOut
// that cannot be written is refused too.
func TestLineageOutRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "corpus")
	other := filepath.Join(dir, "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	// link → corpus, made before the corpus exists.
	require.NoError(t, os.Symlink(out, filepath.Join(dir, "link")))
	// other/up → dir, so other/up/corpus is corpus.
	require.NoError(t, os.Symlink(dir, filepath.Join(other, "up")))
	// real is where the output link points.
	real := filepath.Join(dir, "real")
	require.NoError(t, os.MkdirAll(real, 0o755))
	require.NoError(t, os.Symlink(real, filepath.Join(dir, "outlink")))
	wd, err := os.Getwd()
	require.NoError(t, err)
	relToOut, err := filepath.Rel(wd, filepath.Join(out, "x", "..", "graph"))
	require.NoError(t, err)

	for _, c := range []struct {
		name, out, path string
		inside          bool
	}{
		{"inside", out, filepath.Join(out, "graph"), true},
		{"the directory itself", out, out, true},
		{"deeper", out, filepath.Join(out, "reproduction", "graph"), true},
		{"dot-dot", out, filepath.Join(other, "..", "corpus", "graph"), true},
		{"relative", out, relToOut, true},
		{"through a link to out", out, filepath.Join(dir, "link", "graph"), true},
		{"through a link and dot-dot", out, filepath.Join(other, "up", "corpus", "graph"), true},
		{"out is a link", filepath.Join(dir, "outlink"), filepath.Join(real, "graph"), true},
		{"out through a link", filepath.Join(dir, "link"), filepath.Join(out, "graph"), true},
		{"directory missing", out, filepath.Join(dir, "missing", "graph"), false},
		{"a directory", out, other, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(context.Background(), Config{Sample: true, NoAnonymize: true, Out: c.out, LineageOut: c.path})
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "LineageOut", ce.Field)
			assert.Equal(t, c.inside, strings.Contains(err.Error(), ErrInsideOut.Error()), "%v", err)
			if c.inside {
				assert.ErrorIs(t, err, ErrInsideOut)
			}
			assert.NoDirExists(t, out)
			entries, err := os.ReadDir(real)
			require.NoError(t, err)
			assert.Empty(t, entries)
		})
	}
	// Beside Out is fine.
	build(t, Config{Sample: true, NoAnonymize: true, Out: out, LineageOut: filepath.Join(dir, "corpus.lineage")})
	assert.FileExists(t, filepath.Join(dir, "corpus.lineage"))
}
