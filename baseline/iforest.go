package baseline

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// FeatureSet is one of the reference's two IsolationForest inputs.
type FeatureSet int

const (
	// Rich is the reference's full tabular matrix: the 42 f_* columns of
	// its encoder (33 categorical, 9 scalar), in the encoder's order.
	Rich FeatureSet = iota
	// Flat is Rich without the seven high-cardinality hash columns (35
	// columns), the reference's ablation.
	Flat
)

// richColumns are the reference's TABULAR_FEATURE_COLUMNS: the embedded
// columns, then the float pass-through columns, of its event encoder.
var richColumns = [...]string{
	"f_event_type", "f_kprobe_function", "f_kprobe_policy", "f_kprobe_action",
	"f_proc_uid_bucket", "f_dst_port_bucket", "f_args_length_bucket", "f_cap_count_bucket",
	"f_path_sens_cwd", "f_path_sens_binary", "f_path_sens_kp", "f_proc_name_hash",
	"f_parent_proc_hash", "f_proc_cwd_hash", "f_lineage_bag_hash", "f_cmdline_entropy",
	"f_cmdline_compress", "f_time_since_parent_exec", "f_kp_fd_install_path_sensitivity",
	"f_kp_mmap_path_sensitivity", "f_kp_tcp_connect_dst_port_bucket", "f_kp_tcp_connect_sock_family",
	"f_action_family", "f_lineage_depth", "f_parent_child_pair_hash", "f_root_ancestor_basename_hash",
	"f_process_tree_id_hash", "f_delta_t_log_bucket", "f_process_age_log_bucket", "f_path_category",
	"f_dst_ip_category", "f_dst_port_category", "f_object_category",
	"f_is_procfs_walk", "f_uid_eq_parent", "f_is_setuid_exec", "f_kp_commit_creds_uid_change",
	"f_kp_commit_creds_cap_change", "f_kp_udp_sendmsg_dport_eq_53", "f_kp_fd_install_fd_int32",
	"f_kp_mmap_prot_uint", "f_kp_mprotect_prot_uint",
}

// flatExcluded are the hash columns the flat set leaves out.
var flatExcluded = [...]string{
	"f_proc_name_hash", "f_parent_proc_hash", "f_proc_cwd_hash", "f_lineage_bag_hash",
	"f_parent_child_pair_hash", "f_root_ancestor_basename_hash", "f_process_tree_id_hash",
}

// Columns returns the set's columns, in the order of the model's input.
func (fs FeatureSet) Columns() []string {
	cols := slices.Clone(richColumns[:])
	if fs == Flat {
		cols = slices.DeleteFunc(cols, func(c string) bool { return slices.Contains(flatExcluded[:], c) })
	}
	return cols
}

// Kind returns the kind of an IsolationForest on this set.
func (fs FeatureSet) Kind() Kind {
	if fs == Flat {
		return KindIForestFlat
	}
	return KindIForest
}

// String returns "rich" or "flat".
func (fs FeatureSet) String() string {
	switch fs {
	case Rich:
		return "rich"
	case Flat:
		return "flat"
	}
	return fmt.Sprintf("FeatureSet(%d)", int(fs))
}

func (fs FeatureSet) valid() bool { return fs == Rich || fs == Flat }

// Reference hyperparameters of the IsolationForest baseline.
const (
	DefaultTrees      = 200 // n_estimators
	DefaultMaxSamples = 256 // max_samples "auto": min(256, training rows)
)

// IForest is a fitted IsolationForest: scikit-learn's algorithm with the
// reference's settings, on one [FeatureSet]. An event's score is
// 2^(-E[h]/c(ψ)), where h is the path length of its feature vector through
// a tree (the leaf's depth plus c of the training rows in the leaf), E[h]
// its mean over the trees and c(ψ) the average path length of an
// unsuccessful search in a binary search tree of ψ rows: higher is more
// anomalous, as the reference's negated score_samples. It is immutable
// and safe for concurrent use.
type IForest struct {
	fs     FeatureSet
	nf     int // number of features
	seed   uint64
	trees  int
	depth  int // of every tree's complete layout
	psi    int // rows per tree
	nodes  []node
	leaves []float64 // per tree 2^depth leaf values: depth + c(rows)
	denom  float64   // trees · c(ψ)
	diag   ForestDiagnostics
	quant  []Quantile
	id     string
}

// node is an internal node of a tree in complete binary layout (children
// of i at 2i+1 and 2i+2): a row goes right iff x[feat] > thr. thr is the
// largest float32 not above scikit-learn's float64 threshold, which sends
// every float32 feature value the same way. A leaf above the full depth is
// padded with nodes that send everything left (thr = +Inf).
type node struct {
	thr  float32
	feat uint16
}

// ForestDiagnostics describe a fit, with the reference's JSON names where
// it has them.
type ForestDiagnostics struct {
	// TrainEvents counts every training row given, benign or not.
	TrainEvents int `json:"n_train_events_total"`
	// BenignEvents counts the benign rows, the population the trees'
	// samples were drawn from.
	BenignEvents int `json:"n_train_events_benign"`
	// AttackEvents counts the attack rows left out.
	AttackEvents int `json:"n_train_events_attack_dropped"`
	// Features is the number of input columns.
	Features int `json:"n_features"`
	// Trees is n_estimators; MaxSamples the rows per tree (ψ).
	Trees      int `json:"n_estimators"`
	MaxSamples int `json:"max_samples"`
	// Seed is the random seed of the fit.
	Seed uint64 `json:"random_state"`
	// CalibrationRows counts the benign rows the stored quantiles were
	// computed over (a uniform sample when there are more).
	CalibrationRows int `json:"n_calibration_rows"`
}

// Kind returns KindIForest or KindIForestFlat.
func (f *IForest) Kind() Kind { return f.fs.Kind() }

// FeatureSet returns the forest's input columns' set.
func (f *IForest) FeatureSet() FeatureSet { return f.fs }

// ID returns the hex SHA-256 of the model's saved content.
func (f *IForest) ID() string { return f.id }

// Columns returns the feature columns, in input order.
func (f *IForest) Columns() []string { return f.fs.Columns() }

// Diagnostics returns the fit diagnostics.
func (f *IForest) Diagnostics() ForestDiagnostics { return f.diag }

// Quantiles returns the stored quantiles of benign training scores.
func (f *IForest) Quantiles() []Quantile { return slices.Clone(f.quant) }

// ScoreQuantile returns the stored quantile at level, and false if the
// model was not fitted with that level.
func (f *IForest) ScoreQuantile(level float64) (float64, bool) { return quantileAt(f.quant, level) }

// NewRecordScorer returns f: an IsolationForest scores each event alone.
func (f *IForest) NewRecordScorer() RecordScorer { return f }

// WriteTo saves the model; [LoadIForest] reads it back.
func (f *IForest) WriteTo(w io.Writer) (int64, error) {
	return writeFile(w, modelMagic, f.Kind(), f.encode())
}

// String describes the model in one line: its features, tree count,
// sample size and seed.
func (f *IForest) String() string {
	return fmt.Sprintf("iforest(%v, %d trees, %d rows each, seed %d)", f.fs, f.trees, f.psi, f.seed)
}

const eulerGamma = 0.5772156649015329 // numpy's euler_gamma

// avgPathLength is scikit-learn's _average_path_length: c(n), the mean
// depth of an unsuccessful search among n rows.
func avgPathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	x := float64(n)
	return 2*(math.Log(x-1)+eulerGamma) - 2*(x-1)/x
}

// ScoreRow scores one feature vector (the [IForest.Columns] in order, as
// float32 like [FeatureMatrix] makes them). A NaN feature goes left at
// every split. A vector of another length gives an error wrapping
// [ErrLength].
func (f *IForest) ScoreRow(x []float32) (float32, error) {
	if len(x) != f.nf {
		return 0, fmt.Errorf("%w: %d features, the forest reads %d", ErrLength, len(x), f.nf)
	}
	internal := 1<<f.depth - 1
	// Four trees at a time, so that their walks overlap; the sum still
	// runs over the trees in order, as in ScoreRows.
	var sum float64
	t := 0
	for ; t+4 <= f.trees; t += 4 {
		n0 := f.nodes[t*internal : (t+1)*internal]
		n1 := f.nodes[(t+1)*internal : (t+2)*internal]
		n2 := f.nodes[(t+2)*internal : (t+3)*internal]
		n3 := f.nodes[(t+3)*internal : (t+4)*internal]
		var i0, i1, i2, i3 int
		for range f.depth {
			a, b, c, d := n0[i0], n1[i1], n2[i2], n3[i3]
			i0 = 2*i0 + 1 + right(x[a.feat], a.thr)
			i1 = 2*i1 + 1 + right(x[b.feat], b.thr)
			i2 = 2*i2 + 1 + right(x[c.feat], c.thr)
			i3 = 2*i3 + 1 + right(x[d.feat], d.thr)
		}
		sum += f.leaves[t<<f.depth+i0-internal]
		sum += f.leaves[(t+1)<<f.depth+i1-internal]
		sum += f.leaves[(t+2)<<f.depth+i2-internal]
		sum += f.leaves[(t+3)<<f.depth+i3-internal]
	}
	for ; t < f.trees; t++ {
		i := walk(f.nodes[t*internal:(t+1)*internal], x, f.depth)
		sum += f.leaves[t<<f.depth+i-internal]
	}
	return f.finish(sum), nil
}

func (f *IForest) finish(sum float64) float32 {
	if f.denom == 0 { // a single training row: scikit-learn's score is 2^-1
		return 0.5
	}
	return float32(math.Exp2(-sum / f.denom))
}

// ScoreRows scores a row-major float32 matrix of n rows (as
// [FeatureMatrix] returns), appending to dst[:0]. Errors wrap [ErrLength].
func (f *IForest) ScoreRows(dst []float32, x []float32) ([]float32, error) {
	nf := f.nf
	if len(x)%nf != 0 {
		return dst[:0], fmt.Errorf("%w: %d values is not a whole number of %d-column rows", ErrLength, len(x), nf)
	}
	n := len(x) / nf
	dst = slices.Grow(dst[:0], n)[:n]
	internal := 1<<f.depth - 1
	// Tree by tree over a block of rows, so that a tree's nodes stay in
	// cache, and eight rows at a time through a tree, so that their
	// independent walks overlap; each row's sum still runs over the trees
	// in order. The walks are branch-free: a split's outcome is as good
	// as random, and a mispredicted branch per level would cost more than
	// the rest of the walk.
	const block = 256
	var acc [block]float64
	for b := 0; b < n; b += block {
		m := min(block, n-b)
		clear(acc[:m])
		rows := x[b*nf : (b+m)*nf]
		for t := range f.trees {
			nodes := f.nodes[t*internal : (t+1)*internal]
			leaves := f.leaves[t<<f.depth : (t+1)<<f.depth]
			r := 0
			for ; r+8 <= m; r += 8 {
				o0, o1, o2, o3 := r*nf, (r+1)*nf, (r+2)*nf, (r+3)*nf
				o4, o5, o6, o7 := (r+4)*nf, (r+5)*nf, (r+6)*nf, (r+7)*nf
				var i0, i1, i2, i3, i4, i5, i6, i7 int
				for range f.depth {
					n0, n1, n2, n3 := nodes[i0], nodes[i1], nodes[i2], nodes[i3]
					n4, n5, n6, n7 := nodes[i4], nodes[i5], nodes[i6], nodes[i7]
					i0 = 2*i0 + 1 + right(rows[o0+int(n0.feat)], n0.thr)
					i1 = 2*i1 + 1 + right(rows[o1+int(n1.feat)], n1.thr)
					i2 = 2*i2 + 1 + right(rows[o2+int(n2.feat)], n2.thr)
					i3 = 2*i3 + 1 + right(rows[o3+int(n3.feat)], n3.thr)
					i4 = 2*i4 + 1 + right(rows[o4+int(n4.feat)], n4.thr)
					i5 = 2*i5 + 1 + right(rows[o5+int(n5.feat)], n5.thr)
					i6 = 2*i6 + 1 + right(rows[o6+int(n6.feat)], n6.thr)
					i7 = 2*i7 + 1 + right(rows[o7+int(n7.feat)], n7.thr)
				}
				acc[r] += leaves[i0-internal]
				acc[r+1] += leaves[i1-internal]
				acc[r+2] += leaves[i2-internal]
				acc[r+3] += leaves[i3-internal]
				acc[r+4] += leaves[i4-internal]
				acc[r+5] += leaves[i5-internal]
				acc[r+6] += leaves[i6-internal]
				acc[r+7] += leaves[i7-internal]
			}
			for ; r < m; r++ {
				acc[r] += leaves[walk(nodes, rows[r*nf:(r+1)*nf], f.depth)-internal]
			}
		}
		for r := range m {
			dst[b+r] = f.finish(acc[r])
		}
	}
	return dst, nil
}

// walk returns the index, in the complete layout, of the leaf row x
// reaches in a tree of the given depth.
func walk(nodes []node, x []float32, depth int) int {
	i := 0
	for range depth {
		nd := nodes[i]
		i = 2*i + 1 + right(x[nd.feat], nd.thr)
	}
	return i
}

// right is 1 if v goes right at a split with threshold thr, else 0,
// without a branch.
func right(v, thr float32) int {
	r := 0
	if v > thr {
		r = 1
	}
	return r
}

// ScoreRecord scores the rows of an encoded record batch, which must hold
// the forest's columns (numeric, without nulls; see [FeatureMatrix]).
func (f *IForest) ScoreRecord(dst []float32, rec arrow.RecordBatch) ([]float32, error) {
	x, err := FeatureMatrix(nil, rec, f.Columns())
	if err != nil {
		return dst[:0], err
	}
	return f.ScoreRows(dst, x)
}
