package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is the kind of a baseline model.
type Kind uint32

// The model kinds. The names are those of the reference's model choices
// and of examples/baseline's -model flag.
const (
	KindNgram       Kind = 1 // "ngram": [Ngram]
	KindIForest     Kind = 2 // "iforest": [IForest] on the rich feature set
	KindIForestFlat Kind = 3 // "iforest-flat": [IForest] on the flat feature set
)

func (k Kind) valid() bool { return k >= KindNgram && k <= KindIForestFlat }

// String returns "ngram", "iforest" or "iforest-flat".
func (k Kind) String() string {
	switch k {
	case KindNgram:
		return "ngram"
	case KindIForest:
		return "iforest"
	case KindIForestFlat:
		return "iforest-flat"
	}
	return fmt.Sprintf("Kind(%d)", uint32(k))
}

// ParseKind parses a kind's name, e.g. from a flag; other strings give an
// error wrapping [ErrBadOption].
func ParseKind(s string) (Kind, error) {
	for k := KindNgram; k <= KindIForestFlat; k++ {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: model %q, want ngram, iforest or iforest-flat", ErrBadOption, s)
}

// Model is a fitted baseline: an [*Ngram] or an [*IForest]. Models are
// immutable and safe for concurrent use.
type Model interface {
	// Kind tells which model it is.
	Kind() Kind
	// ID identifies the fitted model: the hex SHA-256 of its saved
	// content. Equal models have equal IDs.
	ID() string
	// Columns names the encoded-table columns the model reads.
	Columns() []string
	// Quantiles returns the benign score distribution of the training
	// split at the levels it was fitted with (for alert thresholds).
	Quantiles() []Quantile
	// ScoreQuantile returns the stored quantile at level, and false if
	// the model was not fitted with that level.
	ScoreQuantile(level float64) (float64, bool)
	// NewRecordScorer returns a scorer for a stream of encoded record
	// batches in event-time order, with default options.
	NewRecordScorer() RecordScorer
	// WriteTo saves the model (see [Load]).
	WriteTo(w io.Writer) (int64, error)
}

// RecordScorer scores the rows of encoded record batches, one float32
// score per row (higher = more anomalous), appended to dst[:0] (reused
// when large enough). A scorer that keeps state across batches (the
// n-gram's per-process context) expects the batches of one stream in
// order.
type RecordScorer interface {
	// ScoreRecord appends the scores of rec's rows to dst[:0]; it fails
	// when rec lacks a column the model reads.
	ScoreRecord(dst []float32, rec arrow.RecordBatch) ([]float32, error)
}

// Load reads a model saved by WriteTo, of any kind. Input that is not a
// model, of another format version, damaged or inconsistent gives a
// [*FormatError].
func Load(r io.Reader) (Model, error) {
	kind, payload, err := readFile(r, modelMagic)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindNgram:
		return decodeNgram(payload)
	default:
		return decodeIForest(kind, payload)
	}
}

// LoadNgram is [Load] for an n-gram model; another kind gives an error
// wrapping [ErrKind].
func LoadNgram(r io.Reader) (*Ngram, error) {
	m, err := Load(r)
	if err != nil {
		return nil, err
	}
	if n, ok := m.(*Ngram); ok {
		return n, nil
	}
	return nil, &FormatError{Offset: 12, Err: fmt.Errorf("%w: %v, want ngram", ErrKind, m.Kind())}
}

// LoadIForest is [Load] for an IsolationForest (either feature set);
// another kind gives an error wrapping [ErrKind].
func LoadIForest(r io.Reader) (*IForest, error) {
	m, err := Load(r)
	if err != nil {
		return nil, err
	}
	if f, ok := m.(*IForest); ok {
		return f, nil
	}
	return nil, &FormatError{Offset: 12, Err: fmt.Errorf("%w: %v, want iforest", ErrKind, m.Kind())}
}

func modelID(payload []byte) string {
	s := sha256.Sum256(payload)
	return hex.EncodeToString(s[:])
}

// Quantile is one quantile of a model's benign training scores: Score is
// numpy's linear percentile (np.quantile) of the float32 scores at Level.
type Quantile struct {
	Level float64 `json:"level"`
	Score float64 `json:"score"`
}

// DefaultQuantileLevels are the levels a model stores unless told
// otherwise: from the median to the 1-in-100,000 tail.
func DefaultQuantileLevels() []float64 {
	return []float64{0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999}
}

// quantileAt looks a level up among stored quantiles.
func quantileAt(qs []Quantile, level float64) (float64, bool) {
	for _, q := range qs {
		if q.Level == level {
			return q.Score, true
		}
	}
	return math.NaN(), false
}

func checkLevels(levels []float64) ([]float64, error) {
	out := slices.Clone(levels)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, l := range out {
		if !(l >= 0 && l <= 1) {
			return nil, fmt.Errorf("%w: quantile level %v not in [0, 1]", ErrBadOption, l)
		}
	}
	return out, nil
}

func encodeQuantiles(e *enc, qs []Quantile) {
	e.uvarint(uint64(len(qs)))
	for _, q := range qs {
		e.float(q.Level)
		e.float(q.Score)
	}
}

func decodeQuantiles(d *dec) []Quantile {
	n := d.count("quantile", 16)
	qs := make([]Quantile, 0, n)
	for range n {
		q := Quantile{Level: d.float(), Score: d.float()}
		if d.err == nil && (!(q.Level >= 0 && q.Level <= 1) || len(qs) > 0 && q.Level <= qs[len(qs)-1].Level) {
			d.fail("quantile level %v out of order", q.Level)
		}
		qs = append(qs, q)
	}
	return qs
}
