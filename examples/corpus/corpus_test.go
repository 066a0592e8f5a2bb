package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/corpus"
	"github.com/tetrahids/tetrahids/internal/corpustest"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
)

// The shared checks of a built corpus (package corpus's tests use them
// too).
var (
	shards          = corpustest.Shards
	readParquet     = corpustest.ReadParquet
	rowCount        = corpustest.RowCount
	readStats       = corpustest.ReadStats
	num             = corpustest.Num
	encodedNames    = corpustest.EncodedNames
	sortedKeys      = corpustest.SortedKeys[int]
	readGoldenStats = corpustest.ReadGoldenStats
	readLabeled     = corpustest.ReadLabeled
	checkAccounting = corpustest.CheckAccounting
	checkCard       = corpustest.CheckCard
)

// build runs the command in-process with args plus -q -out <temp>/out and
// returns the output directory.
func build(t *testing.T, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	var stderr strings.Builder
	err := run(context.Background(), append(args, "-q", "-out", out), io.Discard, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	return out
}

// goldenArgs are the exact corpus-builder flags of ../shared/golden/README.md.
func goldenArgs(shared string) []string {
	s := filepath.Join(shared, "tetragon")
	return []string{
		"-train-in", filepath.Join(s, "sample-train.jsonl"),
		"-test-in", filepath.Join(s, "sample-small.jsonl"),
		"-labels", filepath.Join(s, "sample-small.labels.csv"),
		"-target-inums", "4026533329,4026533387",
		"-sentinels", filepath.Join(s, "sample.sentinels.csv"),
		"-no-anonymize", "-force",
	}
}

// TestGoldenParity builds the shared samples with the golden README's
// flags and checks every column of schema 1.1 of every row, in order,
// against the reference pipeline's output, the label columns against the
// reference labelling, and the counters against the reference's stats.
func TestGoldenParity(t *testing.T) {
	t.Parallel()
	gdir := goldentest.Dir()
	if gdir == "" {
		t.Skip("../shared/golden not present")
	}
	out := build(t, goldenArgs(goldentest.SharedTestdata())...)
	names := encodedNames(schema.Default())
	for _, c := range []struct{ split, golden string }{
		{"train", "sample-train.golden.jsonl.gz"},
		{"test", "sample-small.golden.jsonl.gz"},
	} {
		t.Run(c.split, func(t *testing.T) {
			rows, err := goldentest.Read(filepath.Join(gdir, c.golden))
			require.NoError(t, err)
			recs := readParquet(t, shards(t, out, c.split))
			require.EqualValues(t, len(rows), rowCount(recs))
			counts, examples := goldentest.Mismatches(recs, rows, "encoded", names)
			for _, k := range sortedKeys(counts) {
				t.Errorf("column %s: %d mismatches of %d rows", k, counts[k], len(rows))
			}
			for _, e := range examples {
				t.Log(e)
			}
			t.Logf("%s: %d rows × %d columns equal the golden file", c.split, len(rows), len(names))
		})
	}

	t.Run("labels", func(t *testing.T) {
		want := readLabeled(t, filepath.Join(gdir, "sample-small.labeled.csv.gz"))
		recs := readParquet(t, shards(t, out, "test"))
		var got [][3]string
		for _, r := range recs {
			et := r.Column(r.Schema().FieldIndices("event_time")[0])
			att := r.Column(r.Schema().FieldIndices("is_attack")[0]).(*array.Boolean)
			tech := r.Column(r.Schema().FieldIndices("technique_id")[0]).(*array.String)
			for i := range int(r.NumRows()) {
				row := [3]string{"", strconv.FormatBool(att.Value(i)), ""}
				if et.IsValid(i) {
					row[0] = strconv.FormatInt(int64(et.(*array.Timestamp).Value(i)), 10)
				}
				if tech.IsValid(i) {
					row[2] = tech.Value(i)
				}
				got = append(got, row)
			}
		}
		require.Equal(t, len(want), len(got))
		bad := 0
		for i := range want {
			if want[i] != got[i] {
				if bad < 5 {
					t.Errorf("row %d: got %v, want %v", i, got[i], want[i])
				}
				bad++
			}
		}
		require.Zero(t, bad, "label mismatches")
		for _, r := range readParquet(t, shards(t, out, "train")) {
			att := r.Column(r.Schema().FieldIndices("is_attack")[0]).(*array.Boolean)
			for i := range int(r.NumRows()) {
				require.False(t, att.Value(i), "train row labelled attack")
			}
		}
	})

	t.Run("stats", func(t *testing.T) {
		st := readStats(t, out)
		test := readGoldenStats(t, filepath.Join(gdir, "sample-small.stats.json"))
		for _, x := range []struct {
			split, key string
		}{{"test", "parser_stats"}, {"train", "seed_parser_stats"}} {
			ref := test[x.key].(map[string]any)
			for k, v := range ref {
				assert.EqualValues(t, v, num(t, st, "parser", x.split, k), "%s parser %s", x.split, k)
			}
		}
		lin := test["lineage"].(map[string]any)
		assert.EqualValues(t, lin["unique_processes"], num(t, st, "lineage", "unique_processes"))
		assert.EqualValues(t, lin["seed_processes"], num(t, st, "lineage", "seed_processes"))
		assert.EqualValues(t, lin["duplicate_exec_ids"], num(t, st, "lineage", "duplicate_exec_ids"))
		for k, v := range test["batch_stats"].(map[string]any) {
			assert.EqualValues(t, v, num(t, st, "encoder", "test", k), "test encoder %s", k)
		}
		checkAccounting(t, out)
	})
	t.Run("datacard", func(t *testing.T) {
		checkCard(t, out)
		corpustest.CheckFrontMatter(t, out)
		corpustest.CheckColumns(t, out)
		assert.Contains(t, corpustest.Status(t, out), "NOT A RELEASE: NOT ANONYMIZED")
	})
}

// TestCLIMatchesAPI builds the golden corpus (the built-in sample when
// ../shared is absent) with the command and with corpus.Build: the shards
// must be the same bytes.
func TestCLIMatchesAPI(t *testing.T) {
	t.Parallel()
	args := []string{"-no-anonymize", "-force"}
	cfg := corpus.Config{Sample: true, NoAnonymize: true, AllowReleaseLike: true}
	if shared := goldentest.SharedTestdata(); shared != "" {
		args = goldenArgs(shared)
		s := filepath.Join(shared, "tetragon")
		cfg = corpus.Config{
			TrainIn: []string{filepath.Join(s, "sample-train.jsonl")}, TestIn: []string{filepath.Join(s, "sample-small.jsonl")},
			LabelsFile: filepath.Join(s, "sample-small.labels.csv"), TargetInums: []uint64{4026533329, 4026533387},
			SentinelsFile: filepath.Join(s, "sample.sentinels.csv"), NoAnonymize: true, AllowReleaseLike: true,
		}
	}
	cli := build(t, args...)
	cfg.Out, cfg.Tool = filepath.Join(t.TempDir(), "api"), tool
	res, err := corpus.Build(context.Background(), cfg)
	require.NoError(t, err)
	compared := 0
	for _, s := range res.Splits {
		want := shards(t, cli, s.Name)
		require.Len(t, s.Shards, len(want))
		for i := range want {
			a, err := os.ReadFile(want[i])
			require.NoError(t, err)
			b, err := os.ReadFile(s.Shards[i])
			require.NoError(t, err)
			require.Equal(t, a, b, "%s differs", filepath.Base(want[i]))
			compared++
		}
	}
	require.Positive(t, compared)
	st := readStats(t, cli)
	assert.Equal(t, tool, st["tool"])
}

// TestFlagErrors checks that bad flags and combinations fail before any
// work, naming the flag.
func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-in", "x", "-train-in", "y"}, "either -in"},
		{[]string{"-train-in", "x", "-cut", "2026-04-19T21:00:00Z"}, "-cut splits -in"},
		{[]string{"-in", "x", "-cut", "yesterday"}, "RFC 3339"},
		{[]string{"-labels", "l.csv"}, "need inputs"},
		{[]string{"-in", "x", "-target-inums", "12,abc"}, `"abc"`},
		{[]string{"-in", "x", "-order", "random"}, "-order"},
		{[]string{"-in", "x", "-shard-rows", "0"}, "-shard-rows"},
		{[]string{"-in", "x", "-spill-memory", "-1"}, "-spill-memory"},
		{[]string{"-no-anonymize", "-hmac-key-file", "k"}, "-no-anonymize skips"},
		{[]string{"-no-anonymize", "-private-alias-map", "m.json"}, "-no-anonymize skips"},
		{[]string{"stray"}, "unexpected arguments"},
	} {
		_, err := parseFlags(c.args, io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
	}
	// Errors found by corpus.NewPlan name the flag, before any output.
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	in := filepath.Join(dir, "tetragon.log")
	require.NoError(t, os.WriteFile(in, nil, 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-in", in, "-labels", filepath.Join(dir, "missing.csv"), "-no-anonymize"}, "-labels: "},
		{[]string{"-in", in, "-schema", "9.9", "-no-anonymize"}, "-schema: \"9.9\""},
		{[]string{"-in", in}, "-hmac-key-file: "},
		{[]string{"-in", filepath.Join(dir, "nope"), "-no-anonymize"}, "-in: "},
		{[]string{"-in", in, "-spill-compression", "gzip", "-no-anonymize"}, "-spill-compression: "},
		{[]string{"-no-anonymize", "-lineage-out", filepath.Join(out, "graph")}, "-lineage-out: "},
		{[]string{"-no-anonymize", "-license", "CC BY 4.0"}, "-license: "},
		{[]string{"-private-alias-map", filepath.Join(out, "full.json")}, "-private-alias-map: "},
	} {
		err := run(context.Background(), append(c.args, "-q", "-out", out), io.Discard, io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
		assert.NoDirExists(t, out)
	}
}

// TestPrivacyFlags checks that -private-alias-map reaches the Config,
// and that the full alias map is written where it says, mode 0600.
func TestPrivacyFlags(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-in", "x", "-hmac-key-file", "k", "-private-alias-map", "full.json"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "full.json", o.cfg.PrivateAliasMap)

	full := filepath.Join(t.TempDir(), "full.json")
	out := build(t, "-private-alias-map", full)
	fi, err := os.Stat(full)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	published, err := os.ReadFile(filepath.Join(out, "reproduction", "alias_map.json"))
	require.NoError(t, err)
	private, err := os.ReadFile(full)
	require.NoError(t, err)
	assert.Equal(t, string(published), string(private), "nothing to redact in the sample: the same map")
}

// TestProgress checks the progress line: a line per report on a
// non-terminal, with the ETA while the total is not reached, and the
// final line only for a stage that printed.
func TestProgress(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	p := newProgressLine(&b)
	assert.Equal(t, 10*time.Second, p.interval)
	p.report(corpus.Progress{Stage: corpus.StageParse, Split: "all", Rows: 42, Bytes: 500, TotalBytes: 1000, Elapsed: 2 * time.Second})
	p.report(corpus.Progress{Stage: corpus.StageParse, Split: "all", Rows: 84, Bytes: 1000, TotalBytes: 1000, Elapsed: 4 * time.Second, Done: true})
	p.report(corpus.Progress{Stage: corpus.StageEncode, Rows: 84, TotalRows: 84, Elapsed: time.Second, Done: true})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 2, b.String())
	assert.Equal(t, "corpus: parse all    42 events  21 events/s  0.0 MB/s  0:02 elapsed  ETA 0:02", lines[0])
	assert.Equal(t, "corpus: parse all    84 events  21 events/s  0.0 MB/s  0:04 elapsed", lines[1])
}

// TestLineageOut checks -lineage-out: the train split's graph, mode 0600.
func TestLineageOut(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "train.lineage")
	out := build(t, "-no-anonymize", "-lineage-out", path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	g := lineage.New()
	_, err = g.ReadFrom(f)
	require.NoError(t, err)
	assert.EqualValues(t, num(t, readStats(t, out), "lineage", "seed_processes"), g.Len())
}

// TestSampleRun checks the README's first command: the built-in sample,
// anonymized, its summary on stdout.
func TestSampleRun(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr strings.Builder
	require.NoError(t, run(context.Background(), []string{"-out", out}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "corpus: wrote "+out)
	assert.Contains(t, stdout.String(), "anonymized")
	assert.Empty(t, stderr.String())
	checkCard(t, out)
	fm := corpustest.CheckFrontMatter(t, out)
	assert.Equal(t, "cc-by-4.0", fm.License)
	assert.Contains(t, fm.Tags, "demo-key")
	assert.Contains(t, stdout.String(), filepath.Join(out, "README.md"))
	for _, r := range readParquet(t, shards(t, out, "train")) {
		ids := r.Column(r.Schema().FieldIndices("proc_exec_id")[0]).(*array.String)
		require.True(t, strings.HasPrefix(ids.Value(0), "exec_"), ids.Value(0))
	}
}
