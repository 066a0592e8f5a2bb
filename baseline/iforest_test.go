package baseline

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// synthRows makes rows of the flat set: small categorical codes, with
// an outlying cluster when anomalous.
func synthRows(seed uint64, n int, anomalous bool) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	nf := len(Flat.Columns())
	x := make([]float32, n*nf)
	for i := range n {
		for j := range nf {
			v := float32(rng.IntN(3 + j%5))
			if anomalous && j%4 == 0 {
				v += float32(5 + rng.IntN(4))
			}
			x[i*nf+j] = v
		}
	}
	return x
}

func fitFlat(t testing.TB, x []float32, opts ...ForestOption) *IForest {
	t.Helper()
	tr, err := NewForestTrainer(Flat, opts...)
	if err != nil {
		t.Fatal(err)
	}
	nf := len(Flat.Columns())
	for i := 0; i < len(x); i += nf {
		if err := tr.AddRow(x[i : i+nf]); err != nil {
			t.Fatal(err)
		}
	}
	f, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestIForestSeparatesOutliers(t *testing.T) {
	f := fitFlat(t, synthRows(1, 5000, false))
	normal, err := f.ScoreRows(nil, synthRows(2, 500, false))
	if err != nil {
		t.Fatal(err)
	}
	odd, _ := f.ScoreRows(nil, synthRows(3, 500, true))
	// scikit-learn on data drawn the same way: 0.551 and 0.576.
	if m, o := npmath.Mean32(normal), npmath.Mean32(odd); math.Abs(float64(m)-0.551) > 0.01 || math.Abs(float64(o)-0.576) > 0.01 {
		t.Errorf("outliers score %v on average, normal rows %v", npmath.Mean32(odd), npmath.Mean32(normal))
	}
	for _, s := range append(normal, odd...) {
		if !(s > 0 && s < 1) {
			t.Fatalf("score %v outside (0, 1)", s)
		}
	}
	d := f.Diagnostics()
	if d.Trees != 200 || d.MaxSamples != 256 || d.BenignEvents != 5000 || d.Features != 35 || d.CalibrationRows != 5000 {
		t.Errorf("diagnostics %+v", d)
	}
	if f.Kind() != KindIForestFlat || f.depth != 8 {
		t.Errorf("kind %v depth %d", f.Kind(), f.depth)
	}
}

func TestIForestDeterministicAndRowEqualsBatch(t *testing.T) {
	x := synthRows(4, 3000, false)
	a, b := fitFlat(t, x, ForestSeed(9)), fitFlat(t, x, ForestSeed(9))
	if a.ID() != b.ID() {
		t.Fatal("equal seeds gave different forests")
	}
	if c := fitFlat(t, x, ForestSeed(10)); c.ID() == a.ID() {
		t.Fatal("different seeds gave the same forest")
	}
	test := append(synthRows(5, 300, false), synthRows(6, 300, true)...)
	batch, _ := a.ScoreRows(nil, test)
	nf := len(Flat.Columns())
	for i := range batch {
		s, err := a.ScoreRow(test[i*nf : (i+1)*nf])
		if err != nil || s != batch[i] {
			t.Fatalf("row %d: %v (%v), batch %v", i, s, err, batch[i])
		}
	}
	if _, err := a.ScoreRow(test[:nf-1]); !errors.Is(err, ErrLength) {
		t.Errorf("short row: %v", err)
	}
	if _, err := a.ScoreRows(nil, test[:nf+1]); !errors.Is(err, ErrLength) {
		t.Errorf("ragged matrix: %v", err)
	}
}

// The stored quantiles are numpy's quantiles of the scores of all
// training rows when there are fewer than the calibration sample.
func TestIForestQuantiles(t *testing.T) {
	x := synthRows(8, 2000, false)
	f := fitFlat(t, x, ForestTrees(50))
	scores, _ := f.ScoreRows(nil, x)
	slices.Sort(scores)
	for _, q := range f.Quantiles() {
		if want := npmath.Percentile32(scores, q.Level); q.Score != want {
			t.Errorf("quantile %v = %v, want %v", q.Level, q.Score, want)
		}
	}
	if g := fitFlat(t, x, ForestCalibrationRows(0)); len(g.Quantiles()) != 0 {
		t.Errorf("quantiles without calibration rows: %v", g.Quantiles())
	}
}

// Each tree's rows are a uniform sample without replacement: over many
// trees every row is drawn about k/n of the time, early or late in the
// stream.
func TestReservoirUniform(t *testing.T) {
	const n, k, trials = 2000, 50, 4000
	counts := make([]int, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for range trials {
		r := newReservoir(k, 1, rng)
		for i := range int64(n) {
			r.add(i, []float32{float32(i)})
		}
		seen := map[float32]bool{}
		for _, v := range r.rows {
			if seen[v] {
				t.Fatal("a row drawn twice")
			}
			seen[v] = true
			counts[int(v)]++
		}
	}
	// Expected count per row 100; compare tenths of the stream.
	for d := range 10 {
		sum := 0
		for _, c := range counts[d*n/10 : (d+1)*n/10] {
			sum += c
		}
		if want := float64(trials*k) / 10; math.Abs(float64(sum)-want) > 0.05*want {
			t.Errorf("rows %d-%d drawn %d times, want about %.0f", d*n/10, (d+1)*n/10, sum, want)
		}
	}
}

func TestIForestEdgeCases(t *testing.T) {
	nf := len(Flat.Columns())
	one := fitFlat(t, make([]float32, nf))
	if s, _ := one.ScoreRow(make([]float32, nf)); s != 0.5 {
		t.Errorf("one training row: %v, scikit-learn gives 0.5", s)
	}
	// All rows equal: every tree is a single leaf of ψ rows, and the
	// score is 2^(-c(ψ)/c(ψ)) = 0.5 for any input.
	same := fitFlat(t, make([]float32, 300*nf))
	if s, _ := same.ScoreRow(synthRows(1, 1, true)); s != 0.5 {
		t.Errorf("constant training: %v", s)
	}
	empty, _ := NewForestTrainer(Rich)
	if _, err := empty.Fit(); !errors.Is(err, ErrNoTraining) {
		t.Errorf("empty fit: %v", err)
	}
	for _, o := range []ForestOption{ForestTrees(0), ForestMaxSamples(0), ForestMaxSamples(1 << 17), ForestCalibrationRows(-1), ForestQuantiles(-0.5)} {
		if _, err := NewForestTrainer(Rich, o); !errors.Is(err, ErrBadOption) {
			t.Errorf("bad option accepted: %v", err)
		}
	}
	if _, err := NewForestTrainer(FeatureSet(7)); !errors.Is(err, ErrBadOption) {
		t.Errorf("bad feature set: %v", err)
	}
	if err := empty.AddRow(make([]float32, 3)); !errors.Is(err, ErrLength) {
		t.Errorf("short row: %v", err)
	}
}

func TestFloor32(t *testing.T) {
	for _, x := range []float64{0, 1, 0.1, -0.1, 2.5000000001, 1e300, -1e-300, 16777217} {
		f := floor32(x)
		if float64(f) > x || float64(math.Nextafter32(f, float32(math.Inf(1)))) <= x && !math.IsInf(float64(f), 0) {
			t.Errorf("floor32(%v) = %v", x, f)
		}
	}
}

func TestFeatureSets(t *testing.T) {
	if len(Rich.Columns()) != 42 || len(Flat.Columns()) != 35 {
		t.Fatalf("%d rich, %d flat", len(Rich.Columns()), len(Flat.Columns()))
	}
	c := Rich.Columns()
	c[0] = "changed"
	if Rich.Columns()[0] != "f_event_type" {
		t.Error("Columns shares its slice")
	}
}

// featureRecord builds a record with every rich column, typed like the
// encoded table's (uint8 here) but one uint64 and one int32 column.
func featureRecord(x []float32, nf int) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	cols := Rich.Columns()
	n := len(x) / nf
	var fields []arrow.Field
	var arrs []arrow.Array
	for j, name := range cols {
		var a arrow.Array
		switch name {
		case "f_kp_mprotect_prot_uint":
			b := array.NewUint64Builder(mem)
			for i := range n {
				b.Append(uint64(x[i*nf+j%nf]))
			}
			a = b.NewArray()
		case "f_kp_fd_install_fd_int32":
			b := array.NewInt32Builder(mem)
			for i := range n {
				b.Append(int32(x[i*nf+j%nf]))
			}
			a = b.NewArray()
		default:
			b := array.NewUint8Builder(mem)
			for i := range n {
				b.Append(uint8(x[i*nf+j%nf]))
			}
			a = b.NewArray()
		}
		fields = append(fields, arrow.Field{Name: name, Type: a.DataType()})
		arrs = append(arrs, a)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
}

func TestIForestRecords(t *testing.T) {
	nfFlat := len(Flat.Columns())
	rows := synthRows(11, 1000, false)
	rec := featureRecord(rows, nfFlat)
	defer rec.Release()
	tr, _ := NewForestTrainer(Rich, ForestTrees(20))
	attack := make([]bool, 1000)
	attack[5] = true
	if err := tr.AddRecord(rec, attack); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); st.Events != 999 || st.AttackEvents != 1 {
		t.Errorf("stats %+v", st)
	}
	f, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.ScoreRecord(nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	x, err := FeatureMatrix(nil, rec, Rich.Columns())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.ScoreRows(nil, x)
	if !slices.Equal(got, want) {
		t.Error("ScoreRecord differs from ScoreRows of FeatureMatrix")
	}
	if x[0] != float32(uint8(rows[0])) {
		t.Errorf("matrix cell %v", x[0])
	}
	// A flat forest reads a subset of the same record.
	if _, err := fitFlat(t, rows, ForestTrees(5)).ScoreRecord(nil, rec); err != nil {
		t.Errorf("flat forest on a rich record: %v", err)
	}
	ngram := streamRecord([]string{"p"}, []string{"a"}, 0)
	defer ngram.Release()
	if _, err := f.ScoreRecord(nil, ngram); !errors.Is(err, ErrColumn) {
		t.Errorf("record without features: %v", err)
	}
	// Nulls and strings are refused.
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	sb.Append("x")
	str := sb.NewArray()
	defer str.Release()
	ib := array.NewUint8Builder(memory.DefaultAllocator)
	ib.AppendNull()
	null := ib.NewArray()
	defer null.Release()
	for _, a := range []arrow.Array{str, null} {
		r := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "f_event_type", Type: a.DataType(), Nullable: true}}, nil), []arrow.Array{a}, 1)
		if _, err := FeatureMatrix(nil, r, []string{"f_event_type"}); !errors.Is(err, ErrColumn) {
			t.Errorf("%s column: %v", a.DataType(), err)
		}
		r.Release()
	}
}

func TestIForestSaveLoad(t *testing.T) {
	f := fitFlat(t, synthRows(12, 2000, false), ForestSeed(3), ForestTrees(40))
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := LoadIForest(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.ID() != f.ID() || back.Kind() != KindIForestFlat || back.String() != f.String() || !slices.Equal(back.Quantiles(), f.Quantiles()) || back.Diagnostics() != f.Diagnostics() {
		t.Fatalf("round trip changed the forest: %v", back)
	}
	test := synthRows(13, 500, true)
	a, _ := f.ScoreRows(nil, test)
	b, _ := back.ScoreRows(nil, test)
	if !slices.Equal(a, b) {
		t.Error("scores differ after loading")
	}
	if _, err := LoadNgram(bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrKind) {
		t.Errorf("LoadNgram of a forest: %v", err)
	}
}
