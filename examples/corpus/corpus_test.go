package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
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

// shards lists a split's shards in name order.
func shards(t *testing.T, out, split string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(out, "data", split+"-*.parquet"))
	require.NoError(t, err)
	sort.Strings(paths)
	return paths
}

// readParquet reads shards back with pqarrow, one batch per row group.
func readParquet(t *testing.T, paths []string) []arrow.RecordBatch {
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

func rowCount(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

func readStats(t *testing.T, out string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// num reads a JSON number at a path of keys.
func num(t *testing.T, m map[string]any, keys ...string) int64 {
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

func encodedNames(defs *schema.Definitions) []string {
	var names []string
	for _, c := range defs.Encoded.Columns {
		names = append(names, c.Name)
	}
	return names
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
	t.Run("datacard", func(t *testing.T) { checkCard(t, out) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readGoldenStats(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// readLabeled reads sample-small.labeled.csv.gz as (event_time,
// is_attack, technique_id) triples in row order.
func readLabeled(t *testing.T, path string) [][3]string {
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

// checkAccounting verifies stats.json: the parser's invariant for every
// input set, and every kept row written once or dropped for lack of time.
func checkAccounting(t *testing.T, out string) {
	t.Helper()
	st := readStats(t, out)
	var kept, lines int64
	for set := range st["parser"].(map[string]any) {
		var s tetraparse.Stats
		s.LinesRead = num(t, st, "parser", set, "lines_read")
		s.Blank = num(t, st, "parser", set, "lines_blank")
		s.JSONErrors = num(t, st, "parser", set, "errors_json_parse")
		s.StructureErrors = num(t, st, "parser", set, "errors_structure")
		k := num(t, st, "parser", set, "lines_kept")
		var dropped int64
		for key, v := range st["parser"].(map[string]any)[set].(map[string]any) {
			if strings.HasPrefix(key, "drop_") {
				dropped += int64(v.(float64))
			}
		}
		sum := s.Blank + k + dropped + s.JSONErrors + s.StructureErrors
		assert.Equal(t, s.LinesRead, sum, "%s: lines_read = blank + kept + dropped + errors", set)
		kept += k
		lines += s.LinesRead
	}
	var written int64
	for split := range st["output"].(map[string]any) {
		n := num(t, st, "output", split, "rows")
		written += n
		assert.Equal(t, n, rowCount(readParquet(t, shards(t, out, split))), "%s rows in stats.json vs shards", split)
	}
	assert.Equal(t, kept, written+num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	assert.Equal(t, lines, num(t, st, "accounting", "lines_read"))
}

// TestSample builds the built-in sample (anonymized) and checks the
// layout, the accounting and the datacard.
func TestSample(t *testing.T) {
	t.Parallel()
	out := build(t)
	for _, p := range []string{
		"data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet", "labels.csv",
		"reproduction/feature_definitions.json", "reproduction/alias_map.json", "reproduction/PARSER_VERSION",
		"stats.json", "datacard.md",
	} {
		assert.FileExists(t, filepath.Join(out, p))
	}
	assert.NoFileExists(t, filepath.Join(out, "reproduction", "NOT_ANONYMIZED"))
	defs, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	assert.Equal(t, string(schema.Default().Document()), string(defs))
	pv, err := os.ReadFile(filepath.Join(out, "reproduction", "PARSER_VERSION"))
	require.NoError(t, err)
	assert.Equal(t, schema.Default().Raw.ParserVersion+"\n", string(pv))
	lbl, err := os.ReadFile(filepath.Join(out, "labels.csv"))
	require.NoError(t, err)
	embedded, _ := sampleFS.ReadFile("sample/labels.csv")
	assert.Equal(t, string(embedded), string(lbl))

	// The shards: schema 1.1 then the two label columns; anonymized ids.
	wantCols := append(encodedNames(schema.Default()), "is_attack", "technique_id")
	execID := regexp.MustCompile(`^exec_[0-9a-f]{32}$`)
	for _, split := range []string{"train", "test"} {
		recs := readParquet(t, shards(t, out, split))
		require.NotEmpty(t, recs)
		var got []string
		for _, f := range recs[0].Schema().Fields() {
			got = append(got, f.Name)
		}
		assert.Equal(t, wantCols, got)
		pf, err := file.OpenParquetFile(shards(t, out, split)[0], false)
		require.NoError(t, err)
		v := pf.MetaData().KeyValueMetadata().FindValue(schema.MetadataVersionKey)
		require.NotNil(t, v)
		assert.Equal(t, "1.1", *v)
		pf.Close()
		for _, r := range recs {
			ids := r.Column(r.Schema().FieldIndices("proc_exec_id")[0]).(*array.String)
			for i := range ids.Len() {
				require.Regexp(t, execID, ids.Value(i))
			}
			cwd := r.Column(r.Schema().FieldIndices("proc_cwd_normalized")[0]).(*array.String)
			for i := range cwd.Len() {
				require.NotContains(t, cwd.Value(i), "rypow")
			}
		}
	}
	st := readStats(t, out)
	assert.Equal(t, true, st["anonymized"])
	rep, ok := st["anonymize"].(map[string]any)
	require.True(t, ok, "anonymize report")
	assert.Contains(t, rep, "exec_ids")
	assert.EqualValues(t, num(t, st, "accounting", "rows_kept"), num(t, st, "anonymize", "rows"))
	assert.Equal(t, "cwd_rewritten", snake("CwdRewritten"))
	assert.Equal(t, "http_server_url", snake("HTTPServerURL"))
	checkAccounting(t, out)
	checkCard(t, out)
}

// TestCutMode builds the shared samples as one input split by time and
// checks the routing; the cut falls between the two files, so the result
// must equal the golden run without the rows that have no event_time.
func TestCutMode(t *testing.T) {
	t.Parallel()
	shared := goldentest.SharedTestdata()
	if shared == "" {
		t.Skip("../shared not present")
	}
	s := filepath.Join(shared, "tetragon")
	cut := "2026-04-19T21:00:00Z"
	out := build(t, "-in", filepath.Join(s, "sample-train.jsonl"), "-in", filepath.Join(s, "sample-small.jsonl"),
		"-cut", cut, "-labels", filepath.Join(s, "sample-small.labels.csv"),
		"-target-inums", "4026533329,4026533387", "-sentinels", filepath.Join(s, "sample.sentinels.csv"),
		"-no-anonymize", "-workers", "1", "-batch-rows", "500", "-spill-compression", "none")
	cutNS, _ := time.Parse(time.RFC3339, cut)
	for _, split := range []string{"train", "test"} {
		for _, r := range readParquet(t, shards(t, out, split)) {
			et := r.Column(0).(*array.Timestamp)
			for i := range et.Len() {
				require.True(t, et.IsValid(i))
				before := int64(et.Value(i)) < cutNS.UnixNano()
				require.Equal(t, split == "train", before, "%s row at %d", split, et.Value(i))
			}
		}
	}
	checkAccounting(t, out)
	st := readStats(t, out)
	assert.Equal(t, num(t, st, "parser", "all", "unparseable_event_time"), num(t, st, "accounting", "rows_without_time_dropped_by_cut"))

	gdir := goldentest.Dir()
	rows, err := goldentest.Read(filepath.Join(gdir, "sample-small.golden.jsonl.gz"))
	require.NoError(t, err)
	var timed []goldentest.Row
	for _, r := range rows {
		if r.Encoded.Values["event_time"] != nil {
			timed = append(timed, r)
		}
	}
	counts, examples := goldentest.Mismatches(readParquet(t, shards(t, out, "test")), timed, "encoded", encodedNames(schema.Default()))
	for _, k := range sortedKeys(counts) {
		t.Errorf("column %s: %d mismatches of %d rows", k, counts[k], len(timed))
	}
	for _, e := range examples {
		t.Log(e)
	}
	checkCard(t, out)
}

// TestShardsAndOrder checks shard naming and sizes, row-group sizes and
// the time order.
func TestShardsAndOrder(t *testing.T) {
	t.Parallel()
	out := build(t, "-no-anonymize", "-shard-rows", "1500", "-row-group-rows", "700", "-order", "time", "-spill-compression", "zstd")
	st := readStats(t, out)
	for _, split := range []string{"train", "test"} {
		paths := shards(t, out, split)
		rows := num(t, st, "output", split, "rows")
		n := int((rows + 1499) / 1500)
		require.Len(t, paths, n)
		var prev int64
		for i, p := range paths {
			assert.Equal(t, filepath.Join(out, "data", split+"-"+pad5(i)+"-of-"+pad5(n)+".parquet"), p)
			pf, err := file.OpenParquetFile(p, false)
			require.NoError(t, err)
			if i < n-1 {
				assert.EqualValues(t, 1500, pf.NumRows())
			}
			for g := range pf.NumRowGroups() {
				assert.LessOrEqual(t, pf.MetaData().RowGroup(g).NumRows(), int64(700))
			}
			pf.Close()
			for _, r := range readParquet(t, []string{p}) {
				et := r.Column(0).(*array.Timestamp)
				for k := range et.Len() {
					v := int64(et.Value(k))
					require.GreaterOrEqual(t, v, prev, "time order")
					prev = v
				}
			}
		}
	}
	checkCard(t, out)
}

func pad5(i int) string { return strconv.Itoa(100000 + i)[1:] }

// TestSchema10 builds the sample with schema 1.0 and checks the written
// definitions and columns.
func TestSchema10(t *testing.T) {
	t.Parallel()
	out := build(t, "-schema", "1.0", "-no-label-columns")
	d, err := schema.Version("1.0")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	assert.Equal(t, string(d.Document()), string(got))
	recs := readParquet(t, shards(t, out, "train"))
	var names []string
	for _, f := range recs[0].Schema().Fields() {
		names = append(names, f.Name)
	}
	assert.Equal(t, encodedNames(d), names)
	checkCard(t, out)
}

// TestReleaseGuard checks that -no-anonymize refuses release-like outputs
// without -force, and that nothing but a corpus is ever replaced.
func TestReleaseGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	try := func(out string, args ...string) error {
		return run(ctx, append(args, "-q", "-out", out), io.Discard, io.Discard)
	}
	rel := filepath.Join(dir, "corpus-Release-2026")
	err := try(rel, "-no-anonymize")
	require.ErrorContains(t, err, "corpus-Release-2026")
	require.NoDirExists(t, rel)
	require.NoError(t, try(rel, "-no-anonymize", "-force"))
	assert.FileExists(t, filepath.Join(rel, "reproduction", "NOT_ANONYMIZED"))
	require.NoError(t, try(rel)) // anonymized builds may go anywhere

	// An anonymized corpus is not replaced by a plain build.
	anon := filepath.Join(dir, "corpus")
	require.NoError(t, try(anon))
	require.ErrorContains(t, try(anon, "-no-anonymize"), "alias_map.json")
	require.FileExists(t, filepath.Join(anon, "reproduction", "alias_map.json"))

	// A Git LFS checkout (a Hugging Face dataset clone).
	hf := filepath.Join(dir, "hf")
	require.NoError(t, os.MkdirAll(hf, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hf, ".gitattributes"), []byte("*.parquet filter=lfs diff=lfs merge=lfs -text\n"), 0o644))
	require.ErrorContains(t, try(filepath.Join(hf, "data-build"), "-no-anonymize"), "Git LFS")

	// A directory that is not a corpus is never replaced.
	other := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep me"), 0o644))
	require.ErrorContains(t, try(other), "not a corpus")
	require.FileExists(t, filepath.Join(other, "notes.txt"))
}

// TestFailureLeavesNothing checks that a failed build leaves neither -out
// nor a temporary directory behind, and keeps a previous corpus intact.
func TestFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json.gz")
	require.NoError(t, os.WriteFile(bad, []byte("not gzip"), 0o644))
	out := filepath.Join(dir, "out")
	err := run(context.Background(), []string{"-in", bad, "-no-anonymize", "-q", "-out", out}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "bad.json.gz")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "only the input is left: %v", entries)

	// A previous corpus survives a failed rebuild.
	require.NoError(t, run(context.Background(), []string{"-no-anonymize", "-q", "-out", out}, io.Discard, io.Discard))
	before, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	err = run(context.Background(), []string{"-in", bad, "-no-anonymize", "-q", "-out", out}, io.Discard, io.Discard)
	require.Error(t, err)
	after, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, _ = os.ReadDir(dir)
	require.Len(t, entries, 2, "input and the previous corpus: %v", entries)

	// A cancelled build cleans up too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out2 := filepath.Join(dir, "out2")
	require.ErrorIs(t, run(ctx, []string{"-no-anonymize", "-q", "-out", out2}, io.Discard, io.Discard), context.Canceled)
	require.NoDirExists(t, out2)
}

// TestFlagErrors checks that bad flag combinations fail before any work.
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
		{[]string{"-in", "x", "-spill-compression", "gzip"}, "-spill-compression"},
		{[]string{"-no-anonymize", "-hmac-key-file", "k"}, "-no-anonymize skips"},
		{[]string{"stray"}, "unexpected arguments"},
	} {
		_, err := parseFlags(c.args, io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
	}
	// Errors found while configuring name the culprit before any output.
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-in", dir, "-labels", filepath.Join(dir, "missing.csv"), "-no-anonymize"}, "missing.csv"},
		{[]string{"-in", dir, "-schema", "9.9", "-no-anonymize"}, "9.9"},
		{[]string{"-in", dir}, "-hmac-key-file"},
		{[]string{"-in", filepath.Join(dir, "nope"), "-no-anonymize"}, "nope"},
	} {
		err := run(context.Background(), append(c.args, "-q", "-out", out), io.Discard, io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
		assert.NoDirExists(t, out)
	}
}

// TestLabelsInTrain checks that a cut after the first window is refused
// (train must be benign-only).
func TestLabelsInTrain(t *testing.T) {
	t.Parallel()
	shared := goldentest.SharedTestdata()
	if shared == "" {
		t.Skip("../shared not present")
	}
	s := filepath.Join(shared, "tetragon")
	err := run(context.Background(), []string{"-in", filepath.Join(s, "sample-small.jsonl"), "-cut", "2026-04-19T23:00:00Z",
		"-labels", filepath.Join(s, "sample-small.labels.csv"), "-no-anonymize", "-q", "-out", filepath.Join(t.TempDir(), "o")}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "benign-only")
}

// TestProgress checks the progress line format on a non-terminal.
func TestProgress(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	p := newProgress(&b, false)
	p.interval = 10 * time.Millisecond
	pc := p.begin("parse all", 1000, 0)
	pc.bytes.Store(500)
	pc.rows.Store(42)
	time.Sleep(50 * time.Millisecond)
	p.end()
	assert.Contains(t, b.String(), "corpus: parse all")
	assert.Contains(t, b.String(), "42 events")
	assert.Contains(t, b.String(), "ETA")
	assert.Equal(t, "1,234,567", group(1234567))
	assert.Equal(t, "-1,000", group(-1000))
	assert.Equal(t, "1:01:01", clock(time.Hour+time.Minute+time.Second))
	var q strings.Builder
	p = newProgress(&q, true)
	p.begin("x", 0, 0)
	p.end()
	assert.Empty(t, q.String())
}

// TestReadKey checks the HMAC key file rules.
func TestReadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := filepath.Join(dir, "hex")
	require.NoError(t, os.WriteFile(text, []byte("00112233445566778899aabbccddeeff\n"), 0o600))
	k, err := readKey(text, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "00112233445566778899aabbccddeeff", string(k))
	raw := filepath.Join(dir, "raw")
	bin := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, '\n'}
	require.NoError(t, os.WriteFile(raw, bin, 0o644))
	var warn strings.Builder
	k, err = readKey(raw, &warn)
	require.NoError(t, err)
	assert.Equal(t, bin, k)
	assert.Contains(t, warn.String(), "readable by others")
}

// TestGzipAndRotatedInputs checks a directory of gzip'd rotated files.
func TestGzipAndRotatedInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, _, err := loadSampleParams()
	require.NoError(t, err)
	require.NoError(t, writeSample(dir, p))
	plain := build(t, "-in", dir, "-no-anonymize", "-no-label-columns")
	// Gzip every backup.
	files, err := tetraparse.Inputs(dir)
	require.NoError(t, err)
	for _, f := range files[:len(files)-1] {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out, err := os.Create(f + ".gz")
		require.NoError(t, err)
		zw := gzip.NewWriter(out)
		_, err = zw.Write(data)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.NoError(t, out.Close())
		require.NoError(t, os.Remove(f))
	}
	zipped := build(t, "-in", dir, "-no-anonymize", "-no-label-columns")
	a, b := readParquet(t, shards(t, plain, "train")), readParquet(t, shards(t, zipped, "train"))
	require.Equal(t, rowCount(a), rowCount(b))
	require.Positive(t, rowCount(a))
	for i := range a {
		require.True(t, array.RecordEqual(a[i], b[i]), "batch %d differs", i)
	}
}

// TestEmptySplit checks that a split without rows still gets one shard
// (with the schema) and that the card and stats handle it.
func TestEmptySplit(t *testing.T) {
	t.Parallel()
	key := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(key, []byte("a test key of thirty-two bytes!!"), 0o600))
	out := build(t, "-in", writeSampleDir(t), "-cut", "2030-01-01T00:00:00Z", "-hmac-key-file", key)
	paths := shards(t, out, "test")
	require.Len(t, paths, 1)
	assert.Equal(t, "test-00000-of-00001.parquet", filepath.Base(paths[0]))
	pf, err := file.OpenParquetFile(paths[0], false)
	require.NoError(t, err)
	assert.Zero(t, pf.NumRows())
	assert.Equal(t, len(encodedNames(schema.Default())), pf.MetaData().Schema.NumColumns())
	pf.Close()
	st := readStats(t, out)
	assert.Zero(t, num(t, st, "output", "test", "rows"))
	checkAccounting(t, out)
	checkCard(t, out)

	// Only test inputs: the test split is not seeded, and there is no train.
	out = build(t, "-test-in", writeSampleDir(t), "-no-anonymize")
	assert.Empty(t, shards(t, out, "train"))
	require.Len(t, shards(t, out, "test"), 1)
	st = readStats(t, out)
	assert.Zero(t, num(t, st, "lineage", "seed_processes"))
	checkAccounting(t, out)
	checkCard(t, out)
}

// writeSampleDir writes the built-in sample's rotated files to a new
// directory.
func writeSampleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p, _, err := loadSampleParams()
	require.NoError(t, err)
	require.NoError(t, writeSample(dir, p))
	return dir
}

// TestPolicyFile builds with a policy file and a key file, and checks
// that a leak found by the post-write assertions fails the build and
// leaves nothing behind.
func TestPolicyFile(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "anonymize", "testdata", "policy.default.json"))
	if err != nil {
		t.Skip("anonymize/testdata/policy.default.json not found")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte("another test key, 32 bytes long\n"), 0o600))
	policy := func(forbidden ...string) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(tmpl, &m))
		m["forbidden"] = forbidden
		data, err := json.Marshal(m)
		require.NoError(t, err)
		path := filepath.Join(dir, strings.Join(forbidden, "_")+".json")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		return path
	}
	in := filepath.Join(t.TempDir(), "export-of-host-zebra9")
	p, _, err := loadSampleParams()
	require.NoError(t, err)
	require.NoError(t, writeSample(in, p))
	out := build(t, "-in", in, "-policy", policy("rypow", "webapp"), "-hmac-key-file", key, "-node-name", "zebra9")
	assert.FileExists(t, filepath.Join(out, "reproduction", "alias_map.json"))
	st := readStats(t, out)
	assert.Equal(t, "rypow_webapp.json", st["config"].(map[string]any)["policy"])
	// Input paths and the node name stay out of what is published.
	for _, f := range []string{"stats.json", "datacard.md"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		assert.NotContains(t, string(data), "zebra9", f)
	}

	// sshd is an allowlisted basename, released verbatim: forbidding it
	// makes the output leak, so the build must fail.
	bad := filepath.Join(dir, "out")
	err = run(context.Background(), []string{"-in", in, "-policy", policy("sshd"), "-hmac-key-file", key, "-q", "-out", bad}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "leak")
	require.NoDirExists(t, bad)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".out.tmp"), "temporary directory left: %s", e.Name())
	}
}

// TestDeterministic checks that the shards and the alias map are byte for
// byte the same whatever the parallelism, batch size and spill (batches
// in memory, on disk, or some of each).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := build(t)
	require.Zero(t, num(t, readStats(t, a), "throughput", "raw_spill_bytes"), "the sample fits the default spill memory")
	for _, args := range [][]string{
		{"-workers", "1", "-batch-rows", "999", "-spill-compression", "none", "-spill-memory", "0"},
		{"-batch-rows", "500", "-spill-memory", "1"},
	} {
		b := build(t, args...)
		st := readStats(t, b)
		require.Positive(t, num(t, st, "throughput", "raw_spill_bytes"), "%v", args)
		if args[len(args)-1] == "1" {
			require.Positive(t, num(t, st, "throughput", "raw_spill_in_memory"), "%v", args)
		}
		for _, f := range []string{"data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet", "reproduction/alias_map.json"} {
			x, err := os.ReadFile(filepath.Join(a, f))
			require.NoError(t, err)
			y, err := os.ReadFile(filepath.Join(b, f))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(x, y), "%s differs with %v", f, args)
		}
	}
}

// TestNullTimes checks rows whose time does not parse: dropped (and
// counted) when splitting by time, kept in their split otherwise.
func TestNullTimes(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	path := filepath.Join(dir, "tetragon-00002.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	last := regexp.MustCompile(`"time":"[^"]*"}\n$`)
	broken := 0
	for i := range lines {
		if i%50 == 0 && last.MatchString(lines[i]) {
			lines[i] = last.ReplaceAllString(lines[i], `"time":"not a time"}`+"\n")
			broken++
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))

	p, _, err := loadSampleParams()
	require.NoError(t, err)
	out := build(t, "-in", dir, "-cut", p.Cut, "-no-anonymize")
	st := readStats(t, out)
	unparseable := num(t, st, "parser", "all", "unparseable_event_time")
	assert.Positive(t, unparseable)
	assert.LessOrEqual(t, unparseable, int64(broken)) // host-namespace lines are dropped first
	assert.Equal(t, unparseable, num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	checkAccounting(t, out)
	checkCard(t, out)

	out = build(t, "-train-in", dir, "-no-anonymize")
	st = readStats(t, out)
	assert.Zero(t, num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	checkAccounting(t, out)
	checkCard(t, out) // the card's null event_time column
	md, err := os.ReadFile(filepath.Join(out, "datacard.md"))
	require.NoError(t, err)
	row := parseTables(t, string(md))["Splits"].row(t, "train")
	assert.Equal(t, unparseable, mdInt(t, row[5]))
}
