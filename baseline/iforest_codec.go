package baseline

import "math"

// An IsolationForest's payload:
//
//	feature set, seed, trees, depth, ψ    uvarints
//	nodes    trees·(2^depth-1) of (threshold float32, feature uint16), complete layout
//	leaves   trees·2^depth float64
//	diagnostics  events, benign, attack, features, trees, ψ, seed, calibration rows (uvarints)
//	quantiles    uvarint count, then (level, score) float64 pairs

// maxForestDepth bounds a loaded forest's depth (ψ up to 65,536).
const maxForestDepth = 16

func (f *IForest) encode() []byte {
	var e enc
	for _, x := range []uint64{uint64(f.fs), f.seed, uint64(f.trees), uint64(f.depth), uint64(f.psi)} {
		e.uvarint(x)
	}
	for _, n := range f.nodes {
		e.float32(n.thr)
		e.uint16(n.feat)
	}
	for _, v := range f.leaves {
		e.float(v)
	}
	d := f.diag
	for _, x := range []uint64{uint64(d.TrainEvents), uint64(d.BenignEvents), uint64(d.AttackEvents), uint64(d.Features),
		uint64(d.Trees), uint64(d.MaxSamples), d.Seed, uint64(d.CalibrationRows)} {
		e.uvarint(x)
	}
	encodeQuantiles(&e, f.quant)
	return e.b
}

func decodeIForest(kind Kind, payload []byte) (*IForest, error) {
	d := &dec{b: payload, base: headerSize}
	fs := FeatureSet(d.uvarint())
	f := &IForest{fs: fs, seed: d.uvarint()}
	trees, depth, psi := d.uvarint(), d.uvarint(), d.uvarint()
	switch {
	case d.err != nil:
	case !fs.valid() || fs.Kind() != kind:
		d.fail("feature set %d in a %v file", fs, kind)
	case trees < 1 || trees > 1<<16 || psi < 1 || psi > 1<<16:
		d.fail("%d trees of %d rows", trees, psi)
	case depth > maxForestDepth || int(depth) != int(math.Ceil(math.Log2(float64(max(psi, 2))))):
		d.fail("depth %d for %d rows", depth, psi)
	}
	if d.err != nil {
		return nil, d.err
	}
	f.nf, f.trees, f.depth, f.psi = len(fs.Columns()), int(trees), int(depth), int(psi)
	internal := 1<<f.depth - 1
	if uint64(f.trees)*(uint64(internal)*6+8<<f.depth) > uint64(len(d.b)-d.off) {
		d.fail("%d trees of depth %d exceed the payload", f.trees, f.depth)
		return nil, d.err
	}
	f.nodes = make([]node, f.trees*internal)
	for i := range f.nodes {
		n := node{thr: d.float32(), feat: d.uint16()}
		if d.err == nil && (int(n.feat) >= f.nf || n.thr != n.thr) {
			d.fail("node %d: feature %d, threshold %v", i, n.feat, n.thr)
		}
		f.nodes[i] = n
	}
	f.leaves = make([]float64, f.trees<<f.depth)
	for i := range f.leaves {
		v := d.float()
		if d.err == nil && !(v >= 0 && v <= 1e6) {
			d.fail("leaf %d: %v", i, v)
		}
		f.leaves[i] = v
	}
	var x [8]uint64
	for i := range x {
		x[i] = d.uvarint()
		if d.err == nil && i != 6 && x[i] > 1<<52 {
			d.fail("diagnostic count %d", x[i])
		}
	}
	f.diag = ForestDiagnostics{
		TrainEvents: int(x[0]), BenignEvents: int(x[1]), AttackEvents: int(x[2]), Features: int(x[3]),
		Trees: int(x[4]), MaxSamples: int(x[5]), Seed: x[6], CalibrationRows: int(x[7]),
	}
	f.quant = decodeQuantiles(d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	f.denom = float64(f.trees) * avgPathLength(f.psi)
	f.id = modelID(payload)
	return f, nil
}
