package baseline

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// ForestOption configures a [ForestTrainer].
type ForestOption func(*forestConfig)

type forestConfig struct {
	trees, maxSamples, calibration int
	seed                           uint64
	levels                         []float64
}

// ForestTrees sets the number of trees (default 200, at most 65,536).
func ForestTrees(n int) ForestOption { return func(c *forestConfig) { c.trees = n } }

// ForestMaxSamples sets the rows drawn for each tree, ψ, capped at the
// number of training rows (default 256, scikit-learn's "auto"; at most
// 65,536).
func ForestMaxSamples(n int) ForestOption { return func(c *forestConfig) { c.maxSamples = n } }

// ForestSeed sets the random seed (default 0). Equal seeds and equal rows
// in equal order give equal forests.
func ForestSeed(seed uint64) ForestOption { return func(c *forestConfig) { c.seed = seed } }

// ForestQuantiles sets the quantile levels of benign training scores the
// model stores (default [DefaultQuantileLevels]).
func ForestQuantiles(levels ...float64) ForestOption {
	return func(c *forestConfig) { c.levels = slices.Clone(levels) }
}

// ForestCalibrationRows sets how many benign training rows (a uniform
// sample, all of them when there are fewer) the stored quantiles are
// computed over (default 100,000; 0 stores none).
func ForestCalibrationRows(n int) ForestOption {
	return func(c *forestConfig) { c.calibration = n }
}

// DefaultCalibrationRows is the default sample behind an IForest's stored
// quantiles.
const DefaultCalibrationRows = 100_000

// ForestTrainer fits an [IForest] on benign training rows fed in any
// number of batches, in bounded memory: each tree's ψ rows are a uniform
// sample without replacement of all benign rows (as scikit-learn draws
// them), kept by reservoir sampling as rows stream past, and so is the
// calibration sample. Memory is about trees·ψ + calibration rows of
// 4 bytes per feature (43 MB with the defaults and the rich set), whatever
// the number of rows. It is not safe for concurrent use.
type ForestTrainer struct {
	fs    FeatureSet
	nf    int
	cfg   forestConfig
	res   []reservoir
	order nextHeap
	cal   reservoir
	seen  int64 // benign rows so far
	stats TrainStats
	buf   []float32
}

// NewForestTrainer returns a trainer for fs with the reference's
// hyperparameters unless options say otherwise. Invalid options give an
// error wrapping [ErrBadOption].
func NewForestTrainer(fs FeatureSet, opts ...ForestOption) (*ForestTrainer, error) {
	if !fs.valid() {
		return nil, fmt.Errorf("%w: %v", ErrBadOption, fs)
	}
	cfg := forestConfig{trees: DefaultTrees, maxSamples: DefaultMaxSamples, calibration: DefaultCalibrationRows, levels: DefaultQuantileLevels()}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.trees < 1 || cfg.trees > 1<<16:
		return nil, fmt.Errorf("%w: %d trees, want 1 to 65536", ErrBadOption, cfg.trees)
	case cfg.maxSamples < 1 || cfg.maxSamples > 1<<16:
		return nil, fmt.Errorf("%w: max samples %d, want 1 to 65536", ErrBadOption, cfg.maxSamples)
	case cfg.calibration < 0:
		return nil, fmt.Errorf("%w: %d calibration rows", ErrBadOption, cfg.calibration)
	}
	levels, err := checkLevels(cfg.levels)
	if err != nil {
		return nil, err
	}
	cfg.levels = levels
	t := &ForestTrainer{fs: fs, nf: len(fs.Columns()), cfg: cfg}
	t.res = make([]reservoir, cfg.trees)
	for i := range t.res {
		t.res[i] = newReservoir(cfg.maxSamples, t.nf, rand.New(rand.NewPCG(cfg.seed, 2*uint64(i)+1)))
		t.order = append(t.order, &t.res[i])
	}
	t.cal = newReservoir(cfg.calibration, t.nf, rand.New(rand.NewPCG(cfg.seed, 0)))
	return t, nil
}

// AddRow adds one benign row: the feature vector in [FeatureSet.Columns]
// order. A vector of another length gives an error wrapping [ErrLength].
func (t *ForestTrainer) AddRow(x []float32) error {
	if len(x) != t.nf {
		return fmt.Errorf("%w: %d features, want %d", ErrLength, len(x), t.nf)
	}
	i := t.seen
	t.seen++
	t.stats.Events++
	if i < int64(t.cfg.maxSamples) {
		for r := range t.res {
			t.res[r].fill(x)
		}
	} else {
		for t.order[0].next == i {
			t.order[0].take(x)
			heap.Fix(&t.order, 0)
		}
	}
	t.cal.add(i, x)
	if i == int64(t.cfg.maxSamples)-1 {
		heap.Init(&t.order) // every reservoir is full and has drawn its next row
	}
	return nil
}

// AddRecord adds the rows of an encoded record batch with the set's
// columns (see [FeatureMatrix]). isAttack, if not nil, has one entry per
// row; attack rows are left out (the fit is benign-only) and counted.
func (t *ForestTrainer) AddRecord(rec arrow.RecordBatch, isAttack []bool) error {
	n := int(rec.NumRows())
	if isAttack != nil && len(isAttack) != n {
		return fmt.Errorf("%w: %d attack flags for %d rows", ErrLength, len(isAttack), n)
	}
	x, err := FeatureMatrix(t.buf, rec, t.fs.Columns())
	if err != nil {
		return err
	}
	t.buf = x
	for i := range n {
		if isAttack != nil && isAttack[i] {
			t.stats.AttackEvents++
			continue
		}
		t.AddRow(x[i*t.nf : (i+1)*t.nf])
	}
	return nil
}

// Stats returns the counts so far.
func (t *ForestTrainer) Stats() TrainStats { return t.stats }

// Fit grows the trees and returns the forest. Without rows it returns an
// error wrapping [ErrNoTraining]. The trainer may be fed more rows and
// fitted again.
func (t *ForestTrainer) Fit() (*IForest, error) {
	if t.seen == 0 {
		return nil, ErrNoTraining
	}
	psi := int(min(int64(t.cfg.maxSamples), t.seen))
	depth := int(math.Ceil(math.Log2(float64(max(psi, 2)))))
	f := &IForest{
		fs: t.fs, nf: t.nf, seed: t.cfg.seed, trees: t.cfg.trees, depth: depth, psi: psi,
		nodes:  make([]node, t.cfg.trees*(1<<depth-1)),
		leaves: make([]float64, t.cfg.trees<<depth),
		denom:  float64(t.cfg.trees) * avgPathLength(psi),
	}
	for i := range t.res {
		r := &t.res[i]
		g := grower{
			x: r.rows, nf: t.nf, depth: depth,
			rng:    rand.New(rand.NewPCG(t.cfg.seed, 2*uint64(i)+2)),
			nodes:  f.nodes[i*(1<<depth-1) : (i+1)*(1<<depth-1)],
			leaves: f.leaves[i<<depth : (i+1)<<depth],
			idx:    make([]int32, r.filled),
			cand:   make([]uint16, t.nf),
		}
		for k := range g.idx {
			g.idx[k] = int32(k)
		}
		g.grow(0, 0, 0, len(g.idx))
	}
	f.diag = ForestDiagnostics{
		TrainEvents: t.stats.Events + t.stats.AttackEvents, BenignEvents: t.stats.Events,
		AttackEvents: t.stats.AttackEvents, Features: t.nf, Trees: t.cfg.trees,
		MaxSamples: psi, Seed: t.cfg.seed, CalibrationRows: t.cal.filled,
	}
	if t.cal.filled > 0 && len(t.cfg.levels) > 0 {
		scores, _ := f.ScoreRows(nil, t.cal.rows[:t.cal.filled*t.nf])
		slices.Sort(scores)
		for _, l := range t.cfg.levels {
			f.quant = append(f.quant, Quantile{Level: l, Score: npmath.Percentile32(scores, l)})
		}
	}
	f.id = modelID(f.encode())
	return f, nil
}

// grower grows one tree as scikit-learn's ExtraTreeRegressor(max_features
// =1, splitter="random") does inside IsolationForest: at each node a
// feature drawn uniformly among those not constant on the node's rows
// (range at most 1e-7), a threshold uniform in [min, max) of that feature
// (the min if the draw rounds to the max), rows <= threshold to the left;
// a leaf at the maximum depth, with fewer than two rows, or where every
// feature is constant.
type grower struct {
	x      []float32 // the tree's rows, row-major
	nf     int
	depth  int
	rng    *rand.Rand
	nodes  []node
	leaves []float64
	idx    []int32 // row indices, partitioned in place
	cand   []uint16
}

// featureThreshold is scikit-learn's FEATURE_THRESHOLD: a feature whose
// range on a node is at most this is constant there.
const featureThreshold = 1e-7

func (g *grower) grow(pos, depth, lo, hi int) {
	if depth == g.depth || hi-lo < 2 {
		g.leaf(pos, depth, hi-lo)
		return
	}
	cand := g.cand[:g.nf]
	for j := range cand {
		cand[j] = uint16(j)
	}
	rows := g.idx[lo:hi]
	for len(cand) > 0 {
		j := g.rng.IntN(len(cand))
		f := int(cand[j])
		mn, mx := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, r := range rows {
			v := g.x[int(r)*g.nf+f]
			mn, mx = min(mn, v), max(mx, v)
		}
		if float64(mx) <= float64(mn)+featureThreshold {
			cand[j] = cand[len(cand)-1]
			cand = cand[:len(cand)-1]
			continue
		}
		thr := (float64(mx)-float64(mn))*g.rng.Float64() + float64(mn)
		if thr == float64(mx) {
			thr = float64(mn)
		}
		t32 := floor32(thr)
		mid := lo
		for k := lo; k < hi; k++ {
			if g.x[int(g.idx[k])*g.nf+f] <= t32 {
				g.idx[k], g.idx[mid] = g.idx[mid], g.idx[k]
				mid++
			}
		}
		g.nodes[pos] = node{thr: t32, feat: uint16(f)}
		g.grow(2*pos+1, depth+1, lo, mid)
		g.grow(2*pos+2, depth+1, mid, hi)
		return
	}
	g.leaf(pos, depth, hi-lo)
}

// leaf stores depth + c(rows) where a row reaching pos ends: pos's
// subtree is padded with always-left nodes down to the full depth.
func (g *grower) leaf(pos, depth, rows int) {
	internal := len(g.nodes)
	for pos < internal {
		g.nodes[pos] = node{thr: float32(math.Inf(1))}
		pos = 2*pos + 1
	}
	g.leaves[pos-internal] = float64(depth) + avgPathLength(rows)
}

// floor32 returns the largest float32 not above x: for float32 v,
// v <= x exactly when v <= floor32(x).
func floor32(x float64) float32 {
	t := float32(x)
	if float64(t) > x {
		t = math.Nextafter32(t, float32(math.Inf(-1)))
	}
	return t
}

// reservoir keeps a uniform sample without replacement of k rows of a
// stream (Li's algorithm L: geometric skips, so a row that is not taken
// costs nothing).
type reservoir struct {
	k, nf  int
	rows   []float32
	filled int
	w      float64
	next   int64 // index of the next row to take, once full
	rng    *rand.Rand
}

func newReservoir(k, nf int, rng *rand.Rand) reservoir {
	return reservoir{k: k, nf: nf, rng: rng, next: math.MaxInt64}
}

// uniform returns a draw in (0, 1].
func (r *reservoir) uniform() float64 { return 1 - r.rng.Float64() }

// fill appends a row while the reservoir is not full; on the last one it
// draws the first skip.
func (r *reservoir) fill(x []float32) {
	r.rows = append(r.rows, x...)
	r.filled++
	if r.filled == r.k {
		r.w = math.Exp(math.Log(r.uniform()) / float64(r.k))
		r.next = int64(r.k-1) + r.skip()
	}
}

// skip draws how far ahead the next row to take is (at least 1).
func (r *reservoir) skip() int64 {
	s := math.Floor(math.Log(r.uniform())/math.Log(1-r.w)) + 1
	if !(s < 1<<62) { // w underflowed: no more rows will be taken
		return 1 << 62
	}
	return int64(s)
}

// take replaces a random row with x and draws the next skip.
func (r *reservoir) take(x []float32) {
	j := r.rng.IntN(r.k)
	copy(r.rows[j*r.nf:(j+1)*r.nf], x)
	r.w *= math.Exp(math.Log(r.uniform()) / float64(r.k))
	r.next += r.skip()
}

// add offers row i of the stream.
func (r *reservoir) add(i int64, x []float32) {
	switch {
	case r.k == 0:
	case r.filled < r.k:
		r.fill(x)
	case i == r.next:
		r.take(x)
	}
}

// nextHeap orders the trees' reservoirs by the next row they take.
type nextHeap []*reservoir

func (h nextHeap) Len() int           { return len(h) }
func (h nextHeap) Less(i, j int) bool { return h[i].next < h[j].next }
func (h nextHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nextHeap) Push(x any)        { *h = append(*h, x.(*reservoir)) }
func (h *nextHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
