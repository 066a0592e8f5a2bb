package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/internal/corpustest"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// The shared checks of a built corpus.
var (
	shards          = corpustest.Shards
	readParquet     = corpustest.ReadParquet
	rowCount        = corpustest.RowCount
	readStats       = corpustest.ReadStats
	num             = corpustest.Num
	encodedNames    = corpustest.EncodedNames
	checkAccounting = corpustest.CheckAccounting
	checkCard       = corpustest.CheckCard
)

// build runs Build with cfg, into a new temporary Out unless cfg names
// one, and returns the output directory.
func build(t *testing.T, cfg Config) string {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = filepath.Join(t.TempDir(), "out")
	}
	if cfg.OnWarning == nil {
		cfg.OnWarning = func(msg string) { t.Log("warning:", msg) }
	}
	_, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	return cfg.Out
}

// goldenConfig is the corpus builder's configuration of
// ../shared/golden/README.md.
func goldenConfig(shared string) Config {
	s := filepath.Join(shared, "tetragon")
	return Config{
		TrainIn:          []string{filepath.Join(s, "sample-train.jsonl")},
		TestIn:           []string{filepath.Join(s, "sample-small.jsonl")},
		LabelsFile:       filepath.Join(s, "sample-small.labels.csv"),
		TargetInums:      []uint64{4026533329, 4026533387},
		SentinelsFile:    filepath.Join(s, "sample.sentinels.csv"),
		NoAnonymize:      true,
		AllowReleaseLike: true,
	}
}

// TestGoldenParity builds the shared samples through the API with the
// golden README's settings and checks every column of schema 1.1 of
// every row, in order, against the reference pipeline's output, and the
// counters against the reference's stats.
func TestGoldenParity(t *testing.T) {
	t.Parallel()
	src := goldentest.Parity()
	t.Log("parity against", src.Describe())
	gdir := src.Golden
	out := build(t, goldenConfig(src.Testdata))
	names := encodedNames(schema.Default())
	for _, c := range []struct{ split, golden string }{
		{SplitTrain, "sample-train.golden.jsonl.gz"},
		{SplitTest, "sample-small.golden.jsonl.gz"},
	} {
		rows, err := goldentest.Read(filepath.Join(gdir, c.golden))
		require.NoError(t, err)
		recs := readParquet(t, shards(t, out, c.split))
		require.EqualValues(t, len(rows), rowCount(recs))
		counts, examples := goldentest.Mismatches(recs, rows, "encoded", names)
		for _, k := range corpustest.SortedKeys(counts) {
			t.Errorf("%s column %s: %d mismatches of %d rows", c.split, k, counts[k], len(rows))
		}
		for _, e := range examples {
			t.Log(e)
		}
		t.Logf("%s: %d rows × %d columns equal the golden file", c.split, len(rows), len(names))
	}
	if src.Full { // the reference's counters exist for the full samples only
		st := readStats(t, out)
		ref := corpustest.ReadGoldenStats(t, filepath.Join(gdir, "sample-small.stats.json"))
		lin := ref["lineage"].(map[string]any)
		assert.EqualValues(t, lin["unique_processes"], num(t, st, "lineage", "unique_processes"))
		assert.EqualValues(t, lin["seed_processes"], num(t, st, "lineage", "seed_processes"))
	}
	checkAccounting(t, out)
	checkCard(t, out)
	corpustest.CheckFrontMatter(t, out)
	corpustest.CheckColumns(t, out)
}

// TestSample builds the built-in sample (anonymized) and checks the
// layout, the accounting and the datacard.
func TestSample(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	res, err := Build(context.Background(), Config{Sample: true, Out: out})
	require.NoError(t, err)
	for _, p := range []string{
		"data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet", "labels.csv",
		"reproduction/feature_definitions.json", "reproduction/alias_map.json", "reproduction/PARSER_VERSION",
		"stats.json", "datacard.md", "README.md",
	} {
		assert.FileExists(t, filepath.Join(out, p))
	}
	assert.NoFileExists(t, filepath.Join(out, "reproduction", "NOT_ANONYMIZED"))
	defs, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	assert.Equal(t, string(schema.Default().Document()), string(defs))
	pv, err := os.ReadFile(filepath.Join(out, "reproduction", "PARSER_VERSION"))
	require.NoError(t, err)
	assert.Equal(t, schema.Default().ParserVersion()+"\n", string(pv))
	// labels.csv is the release form of the embedded labels.
	lbl, err := os.ReadFile(filepath.Join(out, "labels.csv"))
	require.NoError(t, err)
	embedded, _ := sampleFS.ReadFile("sample/labels.csv")
	set, err := labels.Load(bytes.NewReader(embedded))
	require.NoError(t, err)
	var release bytes.Buffer
	require.NoError(t, set.WriteRelease(&release))
	assert.Equal(t, release.String(), string(lbl))

	// The result names what was written.
	assert.Equal(t, out, res.Out)
	assert.True(t, res.Anonymized)
	require.Len(t, res.Splits, 2)
	for i, split := range []string{SplitTrain, SplitTest} {
		assert.Equal(t, split, res.Splits[i].Name)
		assert.Equal(t, shards(t, out, split), res.Splits[i].Shards)
		assert.Equal(t, rowCount(readParquet(t, res.Splits[i].Shards)), res.Splits[i].Rows)
	}
	assert.EqualValues(t, 6000, res.Lines)

	// The shards: schema 1.1 then the two label columns; anonymized ids.
	wantCols := append(encodedNames(schema.Default()), "is_attack", "technique_id")
	execID := regexp.MustCompile(`^exec_[0-9a-f]{32}$`)
	for _, split := range []string{SplitTrain, SplitTest} {
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
		assert.Contains(t, pf.MetaData().GetCreatedBy(), "tetrahids corpus (parquet-go ")
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
	assert.Equal(t, defaultTool, st["tool"])
	rep, ok := st["anonymize"].(map[string]any)
	require.True(t, ok, "anonymize report")
	assert.Contains(t, rep, "exec_ids")
	assert.EqualValues(t, num(t, st, "accounting", "rows_kept"), num(t, st, "anonymize", "rows"))
	assert.Equal(t, "cwd_rewritten", snake("CwdRewritten"))
	assert.Equal(t, "http_server_url", snake("HTTPServerURL"))
	// The policy by its digest under the build's key (the sample's).
	digest, err := samplePolicy().Digest(demoKey)
	require.NoError(t, err)
	assert.Equal(t, digest, st["config"].(map[string]any)["policy_digest"])
	assert.Equal(t, "built-in sample policy", st["config"].(map[string]any)["policy"])
	md, err := os.ReadFile(filepath.Join(out, "datacard.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "Built by `corpus` of github.com/tetrahids/tetrahids on ")
	assert.Contains(t, string(md), "the post-write leak checks of every released file passed")
	assert.NotContains(t, string(md), "keyed digests")
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
	cut := time.Date(2026, 4, 19, 21, 0, 0, 0, time.UTC)
	out := build(t, Config{
		In: []string{filepath.Join(s, "sample-train.jsonl"), filepath.Join(s, "sample-small.jsonl")}, Cut: cut,
		LabelsFile: filepath.Join(s, "sample-small.labels.csv"), TargetInums: []uint64{4026533329, 4026533387},
		SentinelsFile: filepath.Join(s, "sample.sentinels.csv"),
		NoAnonymize:   true, Workers: 1, BatchRows: 500, SpillCompression: "none",
	})
	for _, split := range []string{SplitTrain, SplitTest} {
		for _, r := range readParquet(t, shards(t, out, split)) {
			et := r.Column(0).(*array.Timestamp)
			for i := range et.Len() {
				require.True(t, et.IsValid(i))
				before := int64(et.Value(i)) < cut.UnixNano()
				require.Equal(t, split == SplitTrain, before, "%s row at %d", split, et.Value(i))
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
	counts, examples := goldentest.Mismatches(readParquet(t, shards(t, out, SplitTest)), timed, "encoded", encodedNames(schema.Default()))
	for _, k := range corpustest.SortedKeys(counts) {
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
	out := build(t, Config{Sample: true, NoAnonymize: true, ShardRows: 1500, RowGroupRows: 700,
		Order: tetraparse.TimeOrder, SpillCompression: "zstd"})
	st := readStats(t, out)
	for _, split := range []string{SplitTrain, SplitTest} {
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
	out := build(t, Config{Sample: true, Schema: "1.0", NoLabelColumns: true})
	d, err := schema.Version("1.0")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	assert.Equal(t, string(d.Document()), string(got))
	recs := readParquet(t, shards(t, out, SplitTrain))
	var names []string
	for _, f := range recs[0].Schema().Fields() {
		names = append(names, f.Name)
	}
	assert.Equal(t, encodedNames(d), names)
	checkCard(t, out)
}

// TestReleaseGuard checks that NoAnonymize refuses release-like outputs
// unless AllowReleaseLike, and that nothing but a corpus is ever
// replaced.
func TestReleaseGuard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	try := func(cfg Config) error {
		cfg.Sample, cfg.OnWarning = true, func(string) {}
		_, err := Build(context.Background(), cfg)
		return err
	}
	refused := func(t *testing.T, err error, target error, contains string) {
		t.Helper()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "Out", ce.Field)
		assert.ErrorIs(t, err, target)
		assert.ErrorContains(t, err, contains)
	}
	rel := filepath.Join(dir, "corpus-Release-2026")
	refused(t, try(Config{Out: rel, NoAnonymize: true}), ErrReleaseLike, "corpus-Release-2026")
	require.NoDirExists(t, rel)
	require.NoError(t, try(Config{Out: rel, NoAnonymize: true, AllowReleaseLike: true}))
	assert.FileExists(t, filepath.Join(rel, "reproduction", "NOT_ANONYMIZED"))
	require.NoError(t, try(Config{Out: rel})) // anonymized builds may go anywhere

	// An anonymized corpus is not replaced by a plain build.
	anon := filepath.Join(dir, "corpus")
	require.NoError(t, try(Config{Out: anon}))
	refused(t, try(Config{Out: anon, NoAnonymize: true}), ErrReleaseLike, "alias_map.json")
	require.FileExists(t, filepath.Join(anon, "reproduction", "alias_map.json"))

	// A Git LFS checkout (a Hugging Face dataset clone).
	hf := filepath.Join(dir, "hf")
	require.NoError(t, os.MkdirAll(hf, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hf, ".gitattributes"), []byte("*.parquet filter=lfs diff=lfs merge=lfs -text\n"), 0o644))
	refused(t, try(Config{Out: filepath.Join(hf, "data-build"), NoAnonymize: true}), ErrReleaseLike, "Git LFS")

	// A directory that is not a corpus is never replaced.
	other := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep me"), 0o644))
	refused(t, try(Config{Out: other}), ErrNotCorpus, "not a corpus")
	require.FileExists(t, filepath.Join(other, "notes.txt"))
}

// TestFailureLeavesNothing checks that a failed build leaves neither Out
// nor a temporary directory behind, and keeps a previous corpus intact.
func TestFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json.gz")
	require.NoError(t, os.WriteFile(bad, []byte("not gzip"), 0o644))
	out := filepath.Join(dir, "out")
	_, err := Build(context.Background(), Config{In: []string{bad}, NoAnonymize: true, Out: out})
	require.ErrorContains(t, err, "bad.json.gz")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 2, "only the input and the lock file are left: %v", entries)
	require.FileExists(t, filepath.Join(dir, ".out.lock"))

	// A previous corpus survives a failed rebuild.
	build(t, Config{Sample: true, NoAnonymize: true, Out: out})
	before, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	_, err = Build(context.Background(), Config{In: []string{bad}, NoAnonymize: true, Out: out})
	require.Error(t, err)
	after, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, _ = os.ReadDir(dir)
	require.Len(t, entries, 3, "input, the previous corpus and the lock file: %v", entries)

	// A cancelled build cleans up too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out2 := filepath.Join(dir, "out2")
	_, err = Build(ctx, Config{Sample: true, NoAnonymize: true, Out: out2})
	require.ErrorIs(t, err, context.Canceled)
	require.NoDirExists(t, out2)
}

// TestConfigErrors checks that a Config that cannot be used is refused
// with a *ConfigError naming the field, before anything is written.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte("short"), 0o600))
	// dir holds the key, not an export file; in holds one.
	in := filepath.Join(dir, "in")
	require.NoError(t, os.Mkdir(in, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(in, "tetragon.log"), nil, 0o644))
	for _, c := range []struct {
		cfg         Config
		field, want string
		is          error
	}{
		{Config{Sample: true}, "Out", "must name", nil},
		{Config{Out: out, NoAnonymize: true}, "In", "no inputs", nil},
		{Config{Out: out, In: []string{in}, TrainIn: []string{in}}, "In", "not both", nil},
		{Config{Out: out, TrainIn: []string{dir}, Cut: time.Now()}, "Cut", "already split", nil},
		{Config{Out: out, Sample: true, LabelsFile: "l.csv"}, "Sample", "own inputs", nil},
		{Config{Out: out, Sample: true, ShardRows: -1}, "ShardRows", "negative", nil},
		{Config{Out: out, Sample: true, SpillCompression: "gzip"}, "SpillCompression", "gzip", nil},
		{Config{Out: out, Sample: true, Order: 7}, "Order", "TimeOrder", nil},
		{Config{Out: out, Sample: true, NoAnonymize: true, HMACKeyFile: key}, "NoAnonymize", "skips", nil},
		{Config{Out: out, In: []string{in}, LabelsFile: filepath.Join(dir, "missing.csv"), NoAnonymize: true}, "LabelsFile", "missing.csv", os.ErrNotExist},
		{Config{Out: out, In: []string{in}, SentinelsFile: filepath.Join(dir, "missing.csv"), NoAnonymize: true}, "SentinelsFile", "missing.csv", os.ErrNotExist},
		{Config{Out: out, In: []string{in}, Schema: "9.9", NoAnonymize: true}, "Schema", "9.9", nil},
		{Config{Out: out, In: []string{in}}, "HMACKeyFile", "HMAC key", ErrNoKey},
		{Config{Out: out, In: []string{in}, HMACKeyFile: key}, "HMACKeyFile", "bytes", nil},
		{Config{Out: out, In: []string{in}, HMACKeyFile: key + ".missing"}, "HMACKeyFile", "missing", os.ErrNotExist},
		{Config{Out: out, Sample: true, PolicyFile: filepath.Join(dir, "missing.json")}, "PolicyFile", "missing.json", os.ErrNotExist},
		{Config{Out: out, In: []string{filepath.Join(dir, "nope")}, NoAnonymize: true}, "In", "nope", nil},
		{Config{Out: out, TestIn: []string{filepath.Join(dir, "nope")}, NoAnonymize: true}, "TestIn", "nope", nil},
		// Input problems come before key and policy problems.
		{Config{Out: out, In: []string{dir}}, "In", "key: not a Tetragon export file name", ErrNoInputFiles},
		{Config{Out: out, In: []string{filepath.Join(dir, "nope")}, PolicyFile: "nope.json"}, "In", "nope: no such file", os.ErrNotExist},
		{Config{Out: out, In: []string{in}, TargetInums: []uint64{1}, Select: []tetraparse.Selector{{PodNamespace: "shop"}}}, "Select", "replaces TargetInums", nil},
		{Config{Out: out, In: []string{in}, TargetInums: []uint64{1}, KeepWithoutNamespace: true}, "KeepWithoutNamespace", "Select", nil},
		{Config{Out: out, In: []string{in}, Select: []tetraparse.Selector{{}}, NoAnonymize: true}, "Select", "invalid selector", tetraparse.ErrSelector},
		{Config{Out: out, Sample: true, KeepWithoutNamespace: true}, "Sample", "KeepWithoutNamespace", nil},
		{Config{Out: in, In: []string{in}, NoAnonymize: true}, "Out", "not a corpus", ErrNotCorpus},
		{Config{Out: out, In: []string{in}, NoAnonymize: true, Cut: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), LabelsFile: key}, "LabelsFile", "key", nil},
	} {
		_, err := Build(context.Background(), c.cfg)
		var ce *ConfigError
		if assert.ErrorAs(t, err, &ce, "%+v", c.cfg) {
			assert.Equal(t, c.field, ce.Field, "%v", err)
			assert.ErrorContains(t, err, c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "corpus.Config."+c.field+": "), err.Error())
		}
		if c.is != nil {
			assert.ErrorIs(t, err, c.is)
		}
		assert.NoDirExists(t, out)
	}
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 2, "only the key and the input: %v", entries)
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
	_, err := Build(context.Background(), Config{In: []string{filepath.Join(s, "sample-small.jsonl")},
		Cut: time.Date(2026, 4, 19, 23, 0, 0, 0, time.UTC), LabelsFile: filepath.Join(s, "sample-small.labels.csv"),
		NoAnonymize: true, Out: filepath.Join(t.TempDir(), "o")})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Cut", ce.Field)
	require.ErrorContains(t, err, "benign-only")
}

// TestWarnings checks that warnings reach OnWarning.
func TestWarnings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(key, []byte("a key of at least thirty-two bytes, readable"), 0o644))
	labels := filepath.Join(dir, "labels.csv")
	require.NoError(t, os.WriteFile(labels, []byte("start_ts,end_ts,technique_id,trial\n"+
		"2026-04-14T01:00:00Z,2026-04-14T01:10:00Z,T1003,1\n2026-04-14T01:05:00Z,2026-04-14T01:20:00Z,T1059,1\n"), 0o644))
	var warnings []string
	// The default policy names no forbidden values: a warning for inputs.
	_, err := NewPlan(Config{Out: filepath.Join(dir, "out"), In: []string{labels}, HMACKeyFile: key, LabelsFile: labels,
		Cut: time.Date(2026, 4, 14, 0, 0, 0, 0, time.UTC), OnWarning: func(msg string) { warnings = append(warnings, msg) }})
	require.NoError(t, err)
	all := strings.Join(warnings, "\n")
	assert.Contains(t, all, "readable by others")
	assert.Contains(t, all, "overlap")
	// The policy's own warning, once.
	want := anonymize.DefaultPolicy().Warnings()
	require.Len(t, want, 1)
	assert.Equal(t, 1, strings.Count(all, want[0]), "%q", warnings)
	assert.Contains(t, warnings, want[0])
}

// TestReadKey checks the HMAC key file rules.
func TestReadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := filepath.Join(dir, "hex")
	none := func(string, ...any) { t.Error("no warning expected") }
	require.NoError(t, os.WriteFile(text, []byte("00112233445566778899aabbccddeeff\n"), 0o600))
	k, err := readKey(text, none)
	require.NoError(t, err)
	assert.Equal(t, "00112233445566778899aabbccddeeff", string(k))
	raw := filepath.Join(dir, "raw")
	bin := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, '\n'}
	require.NoError(t, os.WriteFile(raw, bin, 0o644))
	var warn strings.Builder
	k, err = readKey(raw, func(f string, a ...any) { warn.WriteString(f) })
	require.NoError(t, err)
	assert.Equal(t, bin, k)
	assert.Contains(t, warn.String(), "readable by others")
}

// TestGzipAndRotatedInputs checks a directory of gzip'd rotated files.
func TestGzipAndRotatedInputs(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	plain := build(t, Config{In: []string{dir}, NoAnonymize: true, NoLabelColumns: true})
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
	zipped := build(t, Config{In: []string{dir}, NoAnonymize: true, NoLabelColumns: true})
	a, b := readParquet(t, shards(t, plain, SplitTrain)), readParquet(t, shards(t, zipped, SplitTrain))
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
	out := build(t, Config{In: []string{writeSampleDir(t)}, Cut: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), HMACKeyFile: key})
	paths := shards(t, out, SplitTest)
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
	out = build(t, Config{TestIn: []string{writeSampleDir(t)}, NoAnonymize: true})
	assert.Empty(t, shards(t, out, SplitTrain))
	require.Len(t, shards(t, out, SplitTest), 1)
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

// sampleFile returns the path of the sample's i-th file in rotation order
// (0 the oldest backup), whose name holds its rotation time.
func sampleFile(t *testing.T, dir string, i int) string {
	t.Helper()
	files, err := tetraparse.Inputs(dir)
	require.NoError(t, err)
	require.Greater(t, len(files), i)
	return files[i]
}

// TestPolicyFile builds with a policy file and a key file, and checks
// that a leak found by the post-write assertions fails the build and
// leaves nothing behind.
func TestPolicyFile(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile(filepath.Join("..", "anonymize", "testdata", "policy.default.json"))
	require.NoError(t, err)
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
	out := build(t, Config{In: []string{in}, PolicyFile: policy("rypow", "webapp"), HMACKeyFile: key, NodeName: "zebra9"})
	assert.FileExists(t, filepath.Join(out, "reproduction", "alias_map.json"))
	// stats.json records the policy by its digest under the build's key,
	// never by its file's name.
	st := readStats(t, out)
	assert.Equal(t, "file", st["config"].(map[string]any)["policy"])
	f, err := os.Open(policy("rypow", "webapp"))
	require.NoError(t, err)
	pol, err := anonymize.LoadPolicy(f)
	f.Close()
	require.NoError(t, err)
	digest, err := pol.Digest([]byte("another test key, 32 bytes long"))
	require.NoError(t, err)
	assert.Equal(t, digest, st["config"].(map[string]any)["policy_digest"])
	// Input paths, the node name and the policy's file stay out of what
	// is published.
	for _, f := range []string{"stats.json", "datacard.md"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		assert.NotContains(t, string(data), "zebra9", f)
		assert.NotContains(t, string(data), "rypow_webapp", f)
	}

	// sshd is an allowlisted basename, released verbatim: forbidding it
	// makes the output leak, so the build must fail with a
	// *LeakCheckError, leaving nothing behind (not the lineage graph
	// either).
	bad := filepath.Join(dir, "out")
	lin := filepath.Join(dir, "train.lineage")
	_, err = Build(context.Background(), Config{In: []string{in}, PolicyFile: policy("sshd"), HMACKeyFile: key, Out: bad, LineageOut: lin})
	var leak *LeakCheckError
	require.ErrorAs(t, err, &leak)
	require.ErrorContains(t, err, "leak")
	require.ErrorAs(t, err, new(*anonymize.LeakError))
	require.Contains(t, []string{SplitTrain, SplitTest}, leak.Split)
	require.NoDirExists(t, bad)
	require.NoFileExists(t, lin)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".out.tmp"), "temporary directory left: %s", e.Name())
		assert.False(t, strings.HasPrefix(e.Name(), ".train.lineage"), "temporary lineage file left: %s", e.Name())
	}
}

// TestDeterministic checks that the shards and the alias map are byte for
// byte the same whatever the parallelism, batch size and spill (batches
// in memory, on disk, or some of each).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := build(t, Config{Sample: true})
	require.Zero(t, num(t, readStats(t, a), "throughput", "raw_spill_bytes"), "the sample fits the default spill memory")
	for _, cfg := range []Config{
		{Workers: 1, BatchRows: 999, SpillCompression: "none", SpillMemory: -1},
		{BatchRows: 500, SpillMemory: 1 << 20},
	} {
		cfg.Sample = true
		b := build(t, cfg)
		st := readStats(t, b)
		require.Positive(t, num(t, st, "throughput", "raw_spill_bytes"), "%+v", cfg)
		if cfg.SpillMemory > 0 {
			require.Positive(t, num(t, st, "throughput", "raw_spill_in_memory"), "%+v", cfg)
		}
		for _, f := range []string{"data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet", "reproduction/alias_map.json"} {
			x, err := os.ReadFile(filepath.Join(a, f))
			require.NoError(t, err)
			y, err := os.ReadFile(filepath.Join(b, f))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(x, y), "%s differs with %+v", f, cfg)
		}
	}
}

// TestNullTimes checks rows whose time does not parse: dropped (and
// counted) when splitting by time, kept in their split otherwise.
func TestNullTimes(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	path := sampleFile(t, dir, 1) // the second backup
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

	_, cut, err := loadSampleParams()
	require.NoError(t, err)
	out := build(t, Config{In: []string{dir}, Cut: cut, NoAnonymize: true})
	st := readStats(t, out)
	unparseable := num(t, st, "parser", "all", "unparseable_event_time")
	assert.Positive(t, unparseable)
	assert.LessOrEqual(t, unparseable, int64(broken)) // host-namespace lines are dropped first
	assert.Equal(t, unparseable, num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	checkAccounting(t, out)
	checkCard(t, out)

	out = build(t, Config{TrainIn: []string{dir}, NoAnonymize: true})
	st = readStats(t, out)
	assert.Zero(t, num(t, st, "accounting", "rows_without_time_dropped_by_cut"))
	checkAccounting(t, out)
	checkCard(t, out) // the card's null event_time column
	md, err := os.ReadFile(filepath.Join(out, "datacard.md"))
	require.NoError(t, err)
	row := corpustest.ParseTables(t, string(md))["Splits"].Row(t, "train")
	assert.Equal(t, unparseable, corpustest.MdInt(t, row[5]))
}

// TestProgress checks the reports: every interval while a stage runs,
// then one Done report per stage, in stage order, never overlapping.
func TestProgress(t *testing.T) {
	t.Parallel()
	var (
		reports []Progress
		busy    bool
	)
	build(t, Config{Sample: true, ProgressInterval: time.Millisecond, OnProgress: func(p Progress) {
		require.False(t, busy, "overlapping calls")
		busy = true
		reports = append(reports, p)
		busy = false
	}})
	var done []string
	for _, p := range reports {
		if p.Done {
			done = append(done, string(p.Stage)+" "+p.Split)
			assert.Positive(t, p.Rows, "%+v", p)
			if p.TotalRows > 0 {
				assert.Equal(t, p.TotalRows, p.Rows, "%+v", p)
			}
			if p.TotalBytes > 0 {
				assert.Equal(t, p.TotalBytes, p.Bytes, "%+v", p)
			}
		}
	}
	assert.Equal(t, []string{"parse all", "lineage test", "encode ", "anonymize "}, done)
}

// TestCutBatch checks the split at the cut: rows before, rows from it on,
// rows without a time in neither; a side with every row is the batch.
func TestCutBatch(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	plan, err := NewPlan(Config{In: []string{dir}, NoAnonymize: true, Out: filepath.Join(t.TempDir(), "out")})
	require.NoError(t, err)
	p, err := tetraparse.New(plan.ParserConfig())
	require.NoError(t, err)
	files, err := tetraparse.Inputs(dir)
	require.NoError(t, err)
	_, cut, err := loadSampleParams()
	require.NoError(t, err)
	var nBefore, nAfter, whole int64
	for rec, err := range Parse(context.Background(), p, files, nil) {
		require.NoError(t, err)
		before, after, untimed, err := CutBatch(context.Background(), rec, cut, plan.mem)
		require.NoError(t, err)
		require.Zero(t, untimed)
		for _, side := range []struct {
			rec    interface{ NumRows() int64 }
			n      *int64
			before bool
		}{{before, &nBefore, true}, {after, &nAfter, false}} {
			if side.rec == nil {
				continue
			}
			*side.n += side.rec.NumRows()
		}
		if before != nil {
			et := before.Column(before.Schema().FieldIndices("event_time")[0]).(*array.Timestamp)
			for i := range et.Len() {
				require.Less(t, int64(et.Value(i)), cut.UnixNano())
			}
			if before == rec {
				whole++
			}
			before.Release()
		}
		if after != nil {
			et := after.Column(after.Schema().FieldIndices("event_time")[0]).(*array.Timestamp)
			for i := range et.Len() {
				require.GreaterOrEqual(t, int64(et.Value(i)), cut.UnixNano())
			}
			if after == rec {
				whole++
			}
			after.Release()
		}
	}
	st := p.Stats()
	assert.Equal(t, st.Kept(), nBefore+nAfter)
	assert.Positive(t, nBefore)
	assert.Positive(t, nAfter)
	assert.Positive(t, whole, "batches on one side are not copied")
}

// TestParseChecksAccounting checks that Parse registers every batch in
// the graph and yields a file it cannot read as an error.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json.gz")
	require.NoError(t, os.WriteFile(bad, []byte("not gzip"), 0o644))
	p, err := tetraparse.New(tetraparse.Config{})
	require.NoError(t, err)
	n := 0
	for _, err := range Parse(context.Background(), p, []string{bad}, nil) {
		require.ErrorContains(t, err, "bad.json.gz")
		n++
	}
	require.Equal(t, 1, n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range Parse(ctx, p, []string{writeSampleDir(t) + "/tetragon.log"}, nil) {
		require.True(t, errors.Is(err, context.Canceled), "%v", err)
		break
	}
}
