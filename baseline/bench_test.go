package baseline

import (
	"testing"
)

// The n-gram benchmarks run on two synthetic streams of 20,000 processes
// and 2,000 tokens (see synthStream and iidStream in ngram_test.go):
// "markov", processes running programs with repetitive token sequences
// (87,000 distinct trigrams in 1 M events), and "iid", independent tokens,
// the worst case for the tables (500,000 distinct trigrams).
const benchEvents = 1_000_000

var benchStreams = []struct {
	name string
	gen  func(seed uint64, n, procs, vocab int) ([]string, []string)
}{{"markov", synthStream}, {"iid", iidStream}}

// BenchmarkNgramFitScore: fit on 1 M events, then score 1 M others, on one
// goroutine; events/s counts both.
func BenchmarkNgramFitScore(b *testing.B) {
	for _, st := range benchStreams {
		b.Run("stream="+st.name, func(b *testing.B) {
			pids, tokens := st.gen(1, 2*benchEvents, 20_000, 2_000)
			b.ReportAllocs()
			for b.Loop() {
				tr, _ := NewNgramTrainer()
				for i := range benchEvents {
					tr.Add(pids[i], tokens[i])
				}
				m, err := tr.Fit()
				if err != nil {
					b.Fatal(err)
				}
				s := m.NewScorer(MaxProcesses(0))
				for i := benchEvents; i < 2*benchEvents; i++ {
					s.Score(pids[i], tokens[i])
				}
			}
			b.ReportMetric(float64(2*benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkNgramScorer: the incremental scorer with the default bound, as
// a service runs it, one event per iteration.
func BenchmarkNgramScorer(b *testing.B) {
	for _, st := range benchStreams {
		b.Run("stream="+st.name, func(b *testing.B) {
			pids, tokens := st.gen(2, 2*benchEvents, 20_000, 2_000)
			tr, _ := NewNgramTrainer()
			for i := range benchEvents {
				tr.Add(pids[i], tokens[i])
			}
			m, _ := tr.Fit()
			test, toks := pids[benchEvents:], tokens[benchEvents:]
			var bytes int64
			for i := range test {
				bytes += int64(len(test[i]) + len(toks[i]))
			}
			b.SetBytes(bytes / int64(len(test)))
			s := m.NewScorer()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.Score(test[i], toks[i])
				if i++; i == len(test) {
					i = 0
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkIForestFitScore: fit the rich forest on 1 M rows, then score
// 1 M others; events/s counts both.
func BenchmarkIForestFitScore(b *testing.B) {
	nf := len(Rich.Columns())
	train := richSynthRows(1, benchEvents)
	test := richSynthRows(2, benchEvents)
	b.SetBytes(int64(nf * 4 * 2))
	b.ReportAllocs()
	for b.Loop() {
		tr, _ := NewForestTrainer(Rich)
		for i := range benchEvents {
			tr.AddRow(train[i*nf : (i+1)*nf])
		}
		f, err := tr.Fit()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.ScoreRows(nil, test); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(2*benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIForestScoreRow: one event at a time, as a service runs it.
func BenchmarkIForestScoreRow(b *testing.B) {
	nf := len(Rich.Columns())
	rows := richSynthRows(3, 100_000)
	tr, _ := NewForestTrainer(Rich)
	for i := range 100_000 {
		tr.AddRow(rows[i*nf : (i+1)*nf])
	}
	f, _ := tr.Fit()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.ScoreRow(rows[i*nf : (i+1)*nf])
		if i++; i == 100_000 {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func richSynthRows(seed uint64, n int) []float32 {
	flat := synthRows(seed, n, false)
	nfFlat, nf := len(Flat.Columns()), len(Rich.Columns())
	x := make([]float32, n*nf)
	for i := range n {
		for j := range nf {
			x[i*nf+j] = flat[i*nfFlat+j%nfFlat] * float32(1+j%3)
		}
	}
	return x
}

// BenchmarkIForestScoreRows: batch scoring of 100,000 rows.
func BenchmarkIForestScoreRows(b *testing.B) {
	nf := len(Rich.Columns())
	rows := richSynthRows(3, 100_000)
	tr, _ := NewForestTrainer(Rich)
	for i := range 100_000 {
		tr.AddRow(rows[i*nf : (i+1)*nf])
	}
	f, _ := tr.Fit()
	dst := make([]float32, 0, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = f.ScoreRows(dst, rows)
	}
	b.ReportMetric(float64(100_000)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
