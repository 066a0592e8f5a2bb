package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/internal/npmath"
	"github.com/tetrahids/tetrahids/labels/eval"
)

// The files a run writes into -out.
const (
	fileEval         = "eval.json"
	fileScores       = "scores.parquet"
	filePerTechnique = "per_technique.csv"
	fileModel        = "model.bin"
	fileROC          = "roc.svg"
	fileTechniques   = "per_technique.svg"
)

// writeOutputs writes every output file into dir, each through a
// temporary name, so that a reader never sees a half-written file.
func writeOutputs(dir string, o options, res *result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	evalJSON, err := evalPayload(o, res)
	if err != nil {
		return err
	}
	var model bytes.Buffer
	if _, err := res.model.WriteTo(&model); err != nil {
		return err
	}
	scores, err := scoresParquet(res)
	if err != nil {
		return err
	}
	curve, err := eval.ROC(widen(res.scores), res.isAttack)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{fileEval, evalJSON},
		{fileScores, scores},
		{filePerTechnique, perTechniqueCSV(res)},
		{fileModel, model.Bytes()},
		{fileROC, rocSVG(curve, res.report, o.kind.String())},
		{fileTechniques, techniqueSVG(res.report.PerTechnique, o.kind.String())},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func widen(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// evalPayload is the reference's eval JSON (the eval.Report fields), with
// the fit diagnostics and counts of its baseline evaluator, the per-window
// AUROC under each aggregator of the paper's ablation, and the model's
// identity and stored quantiles. Keys are sorted, as the goldens are
// written.
func evalPayload(o options, res *result) ([]byte, error) {
	b, err := json.Marshal(res.report)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	var fit any
	switch x := res.model.(type) {
	case *baseline.Ngram:
		fit = x.Diagnostics()
	case *baseline.IForest:
		fit = x.Diagnostics()
	}
	byAgg := map[string]any{}
	for _, a := range res.byAgg {
		byAgg[a.agg.String()] = nullable(a.res.AUROC)
	}
	m["model"] = o.kind.String()
	m["model_id"] = res.model.ID()
	m["fit"] = fit
	m["n_train_events"] = res.trainRows
	m["n_train_attack_events_excluded_from_fit"] = res.excluded
	m["rows_without_event_time_left_out"] = map[string]int{"train": res.noTime[0], "test": res.noTime[1]}
	m["per_window_auroc_by_aggregator"] = byAgg
	m["window"] = map[string]any{"size": o.windows.Size, "stride": o.windows.Stride, "float32": o.windows.Float32}
	m["bootstrap"] = map[string]any{"resamples": res.bootstrapResamples(o), "seed": o.bootstrap.Seed}
	m["train_score_quantiles"] = res.model.Quantiles()
	m["timing_seconds"] = map[string]float64{"fit": float64(res.trainNanos) / 1e9, "score": float64(res.scoreNanos) / 1e9}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func (res *result) bootstrapResamples(o options) int {
	if o.bootstrap.Resamples == 0 {
		return eval.DefaultResamples
	}
	return o.bootstrap.Resamples
}

// nullable writes NaN as null.
func nullable(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// scoresParquet writes the per-event scores in evaluated order:
// event_time, proc_exec_id, score (float32), is_attack, technique_id.
func scoresParquet(res *result) ([]byte, error) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}},
		{Name: "proc_exec_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float32},
		{Name: "is_attack", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "technique_id", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(1<<20))
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	const batch = 64 << 10
	for lo := 0; lo < len(res.scores); lo += batch {
		hi := min(lo+batch, len(res.scores))
		ts := b.Field(0).(*array.TimestampBuilder)
		pid := b.Field(1).(*array.StringBuilder)
		sc := b.Field(2).(*array.Float32Builder)
		att := b.Field(3).(*array.BooleanBuilder)
		tech := b.Field(4).(*array.StringBuilder)
		for i := lo; i < hi; i++ {
			ts.Append(arrow.Timestamp(res.times[i]))
			if res.hasPID[i] {
				pid.Append(res.pids[i])
			} else {
				pid.AppendNull()
			}
			sc.Append(res.scores[i])
			att.Append(res.isAttack[i])
			if res.isAttack[i] {
				tech.Append(res.technique[i])
			} else {
				tech.AppendNull()
			}
		}
		rec := b.NewRecordBatch()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// perTechniqueCSV is the reference's per-technique score distribution
// (write_per_technique_csv): for each technique with attack events, their
// count, mean, standard deviation, median, 95th percentile and maximum
// score, and the benign events' median and 95th percentile, computed with
// numpy's float32 arithmetic and printed with 6 decimals.
func perTechniqueCSV(res *result) []byte {
	var benign []float32
	byTech := map[string][]float32{}
	for i, s := range res.scores {
		switch {
		case !res.isAttack[i]:
			benign = append(benign, s)
		case res.technique[i] != "":
			byTech[res.technique[i]] = append(byTech[res.technique[i]], s)
		}
	}
	bp50, bp95 := math.NaN(), math.NaN()
	if len(benign) > 0 {
		sorted := slices.Sorted(slices.Values(benign))
		bp50, bp95 = npmath.Percentile32(sorted, 0.5), npmath.Percentile32(sorted, 0.95)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	fmt.Fprintln(w, "technique_id,n_attack,score_mean,score_std,score_p50,score_p95,score_max,benign_p50,benign_p95")
	techs := make([]string, 0, len(byTech))
	for t := range byTech {
		techs = append(techs, t)
	}
	slices.Sort(techs)
	for _, t := range techs {
		s := byTech[t]
		sorted := slices.Sorted(slices.Values(s))
		fmt.Fprintf(w, "%s,%d,%s,%s,%s,%s,%s,%s,%s\n", t, len(s),
			f6(float64(npmath.Mean32(s))), f6(float64(npmath.Std32(s, nil))),
			f6(npmath.Percentile32(sorted, 0.5)), f6(npmath.Percentile32(sorted, 0.95)),
			f6(float64(sorted[len(sorted)-1])), f6(bp50), f6(bp95))
	}
	w.Flush()
	return b.Bytes()
}

// f6 formats as Python's f"{x:.6f}" (nan for NaN).
func f6(x float64) string {
	if math.IsNaN(x) {
		return "nan"
	}
	return fmt.Sprintf("%.6f", x)
}
