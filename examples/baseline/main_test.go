package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/labels/eval"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg")

// The n-gram golden and its inputs, as package baseline keeps them
// (derived from ../shared/golden; see its golden_test.go).
const goldenSlice = "../../baseline/testdata/golden"

func testOptions(corpus, out string, kind baseline.Kind) options {
	o, err := parseFlags([]string{"-corpus", corpus, "-out", out, "-model", kind.String(), "-bootstrap", "200"})
	if err != nil {
		panic(err)
	}
	return o
}

// runAndWrite is the command's code path.
func runAndWrite(t *testing.T, o options) *result {
	t.Helper()
	res, err := run(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeOutputs(o.out, o, res); err != nil {
		t.Fatal(err)
	}
	return res
}

// Acceptance: the corpus examples/corpus builds from the shared samples
// with the golden README's flags gives the reference's eval numbers.
func TestGoldenCorpus(t *testing.T) {
	dir := goldentest.Dir()
	if dir == "" {
		t.Skip("../shared/golden absent")
	}
	if testing.Short() {
		t.Skip("builds a corpus with go run ../corpus")
	}
	td := goldentest.SharedTestdata()
	corpus := filepath.Join(t.TempDir(), "corpus")
	labelsCSV := filepath.Join(td, "tetragon", "sample-small.labels.csv")
	cmd := exec.Command("go", "run", "../corpus",
		"-train-in", filepath.Join(td, "tetragon", "sample-train.jsonl"),
		"-test-in", filepath.Join(td, "tetragon", "sample-small.jsonl"),
		"-labels", labelsCSV,
		"-target-inums", "4026533329,4026533387",
		"-sentinels", filepath.Join(td, "tetragon", "sample.sentinels.csv"),
		"-no-anonymize", "-force", "-q", "-out", corpus)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ../corpus: %v\n%s", err, out)
	}
	o := testOptions(corpus, t.TempDir(), baseline.KindNgram)
	o.labels = labelsCSV
	res := runAndWrite(t, o)
	checkAgainstGolden(t, o.out, res,
		read(t, filepath.Join(dir, "baselines", "ngram.sample-small.eval.json")),
		read(t, filepath.Join(dir, "baselines", "ngram.sample-small.scores.csv.gz")))

	// The forests read the corpus's own column types (uint8 to uint64).
	for kind, ref := range map[baseline.Kind]float64{baseline.KindIForest: 0.729, baseline.KindIForestFlat: 0.731} {
		o := testOptions(corpus, t.TempDir(), kind)
		o.labels = labelsCSV
		res := runAndWrite(t, o)
		if math.Abs(res.report.AUROC-ref) > 0.03 {
			t.Errorf("%v: AUROC %.4f, scikit-learn about %.3f", kind, res.report.AUROC, ref)
		}
		checkFiles(t, o.out, res)
	}
}

// The same check on a corpus written here from the committed golden
// slice, so that it runs everywhere; some rows without an event_time are
// added, which the evaluation must leave out and count.
func TestSliceCorpus(t *testing.T) {
	corpus := t.TempDir()
	writeSliceCorpus(t, corpus, 3)
	o := testOptions(corpus, t.TempDir(), baseline.KindNgram)
	res := runAndWrite(t, o)
	checkAgainstGolden(t, o.out, res, read(t, filepath.Join(goldenSlice, "eval.json")), read(t, filepath.Join(goldenSlice, "scores.csv.gz")),
		"rows_without_event_time_left_out") // checked below
	var payload struct {
		NoTime map[string]int `json:"rows_without_event_time_left_out"`
		ByAgg  map[string]any `json:"per_window_auroc_by_aggregator"`
	}
	if err := json.Unmarshal(read(t, filepath.Join(o.out, fileEval)), &payload); err != nil {
		t.Fatal(err)
	}
	if payload.NoTime["train"] != 3 || payload.NoTime["test"] != 3 || len(payload.ByAgg) != 7 || payload.ByAgg["max"] != 0.6 {
		t.Errorf("eval.json: %+v", payload)
	}

	// The IsolationForests run on the same corpus; their AUROC is near
	// scikit-learn's (0.729 rich, 0.731 flat, over seeds; ±0.01 by seed).
	for kind, ref := range map[baseline.Kind]float64{baseline.KindIForest: 0.729, baseline.KindIForestFlat: 0.731} {
		o := testOptions(corpus, t.TempDir(), kind)
		res := runAndWrite(t, o)
		if math.Abs(res.report.AUROC-ref) > 0.03 {
			t.Errorf("%v: AUROC %.4f, scikit-learn about %.3f", kind, res.report.AUROC, ref)
		}
		checkFiles(t, o.out, res)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAgainstGolden compares eval.json with the golden eval (but the
// skipped keys) and scores.parquet with the golden scores.
func checkAgainstGolden(t *testing.T, out string, res *result, goldenEval, goldenScores []byte, skip ...string) {
	t.Helper()
	diffs, leaves, maxRel, err := goldentest.JSONDiff(read(t, filepath.Join(out, fileEval)), goldenEval, 1e-12, append(skip, "reference")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error("eval.json", d)
	}
	t.Logf("eval.json: %d golden values compared, max relative error %g", leaves, maxRel)

	// scores.parquet: the reference's rows, in its order, with its scores.
	zr, err := gzip.NewReader(bytes.NewReader(goldenScores))
	if err != nil {
		t.Fatal(err)
	}
	want, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := readScores(t, filepath.Join(out, fileScores))
	if len(got) != len(want)-1 {
		t.Fatalf("scores.parquet has %d rows, reference %d", len(got), len(want)-1)
	}
	bad := 0
	for i, w := range want[1:] {
		if g := got[i]; g[0] != w[1] || g[2] != w[2] || g[3] != w[3] || g[1] != w[4] {
			if bad++; bad < 10 {
				t.Errorf("row %d: got %v, reference %v", i, g, w)
			}
		}
	}
	checkFiles(t, out, res)
}

// readScores reads scores.parquet as rows of event_time, score (as Python
// prints a float32 widened to float64), is_attack, technique_id, and
// checks proc_exec_id is there.
func readScores(t *testing.T, path string) [][4]string {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	names := []string{"event_time", "proc_exec_id", "score", "is_attack", "technique_id"}
	for i, n := range names {
		if tbl.Schema().Field(i).Name != n {
			t.Fatalf("scores.parquet column %d is %s, want %s", i, tbl.Schema().Field(i).Name, n)
		}
	}
	var rows [][4]string
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ts := rec.Column(0).(*array.Timestamp)
		pid := rec.Column(1).(*array.String)
		sc := rec.Column(2).(*array.Float32)
		at := rec.Column(3).(*array.Boolean)
		te := rec.Column(4).(*array.String)
		for i := range int(rec.NumRows()) {
			if pid.IsNull(i) {
				t.Fatalf("row %d: null proc_exec_id", i)
			}
			rows = append(rows, [4]string{
				strconv.FormatInt(int64(ts.Value(i)), 10),
				strconv.FormatFloat(float64(sc.Value(i)), 'g', -1, 64),
				strconv.FormatBool(at.Value(i)), te.Value(i),
			})
		}
	}
	return rows
}

// checkFiles checks the other outputs: the model loads and scores as the
// run did, the CSV has a row per technique, the SVGs are well-formed.
func checkFiles(t *testing.T, out string, res *result) {
	t.Helper()
	m, err := baseline.Load(bytes.NewReader(read(t, filepath.Join(out, fileModel))))
	if err != nil || m.ID() != res.model.ID() {
		t.Fatalf("model.bin: %v", err)
	}
	recs := strings.Split(strings.TrimSpace(string(read(t, filepath.Join(out, filePerTechnique)))), "\n")
	if len(recs) != len(res.report.PerTechnique)+1 || !strings.HasPrefix(recs[0], "technique_id,n_attack,score_mean") {
		t.Errorf("per_technique.csv: %d lines for %d techniques", len(recs), len(res.report.PerTechnique))
	}
	for _, name := range []string{fileROC, fileTechniques} {
		dec := xml.NewDecoder(bytes.NewReader(read(t, filepath.Join(out, name))))
		elems := 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, ok := tok.(xml.StartElement); ok {
				elems++
			}
		}
		if elems < 20 {
			t.Errorf("%s: %d elements", name, elems)
		}
	}
}

// writeSliceCorpus writes the golden slice as a corpus directory: one
// train and two test shards with event_time, proc_exec_id, token and the
// rich feature columns, plus labels.csv; noTime rows without an
// event_time are added to each split.
func writeSliceCorpus(t *testing.T, dir string, noTime int) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(read(t, filepath.Join(goldenSlice, "events.csv.gz"))))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := rows[0], rows[1:]
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), read(t, filepath.Join(goldenSlice, "labels.csv")), 0o644); err != nil {
		t.Fatal(err)
	}
	var train, test [][]string
	for _, r := range rows {
		if r[0] == "train" {
			train = append(train, r)
		} else {
			test = append(test, r)
		}
	}
	null := func(n int) [][]string {
		var out [][]string
		for i := range n {
			r := slicesClone(train[i])
			r[2] = "" // no event_time
			r[4] = "PROC_EXEC:nowhere->ghost"
			out = append(out, r)
		}
		return out
	}
	half := len(test) / 2
	writeShard(t, filepath.Join(dir, "data", "train-00000-of-00001.parquet"), header, append(null(noTime), train...))
	writeShard(t, filepath.Join(dir, "data", "test-00000-of-00002.parquet"), header, test[:half])
	writeShard(t, filepath.Join(dir, "data", "test-00001-of-00002.parquet"), header, append(test[half:], null(noTime)...))
}

func slicesClone(r []string) []string { return append([]string(nil), r...) }

func writeShard(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	mem := memory.DefaultAllocator
	fields := []arrow.Field{
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "proc_exec_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "token", Type: arrow.BinaryTypes.String},
	}
	for _, c := range header[5:] {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int64})
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		if r[2] == "" {
			b.Field(0).AppendNull()
		} else {
			v, err := strconv.ParseInt(r[2], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(v))
		}
		b.Field(1).(*array.StringBuilder).Append(r[3])
		b.Field(2).(*array.StringBuilder).Append(r[4])
		for j, v := range r[5:] {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", header[5+j], err)
			}
			b.Field(3 + j).(*array.Int64Builder).Append(x)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-corpus", "c", "-out", "o"})
	if err != nil || o.labels != filepath.Join("c", "labels.csv") || o.kind != baseline.KindNgram || o.windows != eval.ReferenceWindows() {
		t.Errorf("defaults: %+v %v", o, err)
	}
	for _, args := range [][]string{
		{"-out", "o"},
		{"-corpus", "c"},
		{"-corpus", "c", "-out", "o", "-model", "xgboost"},
		{"-corpus", "c", "-out", "o", "-window", "0"},
		{"-corpus", "c", "-out", "o", "extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	_, err = run(context.Background(), testOptions(t.TempDir(), t.TempDir(), baseline.KindNgram), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "labels") {
		t.Errorf("empty corpus: %v", err)
	}
}

// The charts are deterministic; testdata holds them for a fixed input
// (-update rewrites them), so a change to them shows in review.
func TestChartsGolden(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.3, 0.7, 0.6, 0.05}
	attack := []bool{false, false, true, true, false, true, false, true, false, false}
	curve, err := eval.ROC(scores, attack)
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.Report{AUROC: 0.8, AP: 0.75, TestEvents: 10, AttackEvents: 4}
	tech := []eval.TechniqueResult{
		{TechniqueID: "T1059.004", AttackEvents: 175797, AUROC: 0.37},
		{TechniqueID: "T1083", AttackEvents: 154581, AUROC: 0.386},
		{TechniqueID: "T1098.004", AttackEvents: 12, AUROC: math.NaN(), Skipped: true},
		{TechniqueID: "CHAIN.CAP01", AttackEvents: 34130, AUROC: 0.853},
	}
	for name, got := range map[string][]byte{
		"roc.svg":           rocSVG(curve, rep, "ngram"),
		"per_technique.svg": techniqueSVG(tech, "ngram"),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want := read(t, path); !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test -update rewrites it)", name, path)
		}
	}
	if !strings.Contains(string(techniqueSVG(tech, "<&>")), "&lt;&amp;&gt;") {
		t.Error("text is not escaped")
	}
}
