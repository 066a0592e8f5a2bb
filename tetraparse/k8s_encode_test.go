package tetraparse_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// twinInum is the PID-namespace inum given to the twins (any non-host
// inum passes the reference's filter with empty targets).
const twinInum = 4026531836

// TestKeepWithoutNamespaceEncodesAsReference decodes the pod-bearing
// events of Tetragon's documentation, which carry no namespace block,
// with KeepWithoutNamespace and pod selectors, encodes them, and checks
// that they encode exactly as the reference would had its filter let them
// through.
//
// How the expected values are established. The reference cannot be run
// here (it needs pyarrow), so the test derives them from its rules:
//
//  1. The reference's container filter is the only place that reads
//     process.ns for a decision; its row builder writes
//     proc_ns_<name>_inum = ns.<name>.inum (None without a block) and
//     proc_ns_<name>_is_host = bool(is_host) (False without a block), and
//     no reference feature or behaviour column reads a namespace column
//     (the encoder's RawColumns has none: checked below). It writes no
//     pod or docker value anywhere.
//  2. So a twin of each kept event, identical but for a ns.pid block with
//     a non-host inum, passes the reference's filter (empty targets: any
//     non-host namespace) and gets the same row but for proc_ns_pid_inum,
//     and the same encoded values. The twins are parsed with the
//     reference's rules (the zero Config), which the golden parity tests
//     hold bit-exact with the reference's outputs.
//  3. Hence the kept events must give the twins' raw rows with a null
//     proc_ns_pid_inum, and exactly the twins' encoded rows, lineage and
//     per-process state included (the whole stream is compared, in order).
func TestKeepWithoutNamespaceEncodesAsReference(t *testing.T) {
	dir := goldentest.Parity().Testdata // the documentation's events, whole in either
	data, err := os.ReadFile(filepath.Join(dir, "tetragon-docs", "events.jsonl"))
	require.NoError(t, err)
	sels := []tetraparse.Selector{{PodNamespace: "default"}, {PodNamespace: "tenant-jobs"}, {PodNamespace: "demo-app"}}

	// Write the twin input: every event without a PID-namespace inum that
	// a selector takes gets one; the others stay as they are, so the
	// reference's filter drops exactly the events the selection drops.
	var twin bytes.Buffer
	twins := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		ev, err := tetraparse.Decode([]byte(line))
		require.NoError(t, err)
		if ev.Process != nil && !ev.Process.NS.PID.InumPresent && slices.ContainsFunc(sels, func(s tetraparse.Selector) bool { return s.Match(ev) }) {
			line = withPIDNamespace(t, line, ev)
			twins++
		}
		twin.WriteString(line + "\n")
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 26, twins)
	twinPath := filepath.Join(t.TempDir(), "events.jsonl") // the same _source_file
	require.NoError(t, os.WriteFile(twinPath, twin.Bytes(), 0o644))

	kept, keptStats := parse(t, tetraparse.Config{KeepWithoutNamespace: true, Select: sels}, filepath.Join(dir, "tetragon-docs", "events.jsonl"))
	ref, refStats := parse(t, tetraparse.Config{}, twinPath)
	require.EqualValues(t, 27, keptStats.Kept())
	require.EqualValues(t, 26, keptStats.KeptWithoutNamespace)
	for _, k := range tetraparse.Kinds() {
		require.Equal(t, refStats.KeptBy(k), keptStats.KeptBy(k), k)
	}
	require.Equal(t, refStats.FieldErrors, keptStats.FieldErrors)
	require.Equal(t, refStats.ExtractionFailures, keptStats.ExtractionFailures)

	// Raw rows: equal but for the inum the twins carry (both streams are
	// cut into batches at the same rows).
	require.Equal(t, len(ref), len(kept))
	nullInums := 0
	for k := range kept {
		a, b := kept[k], ref[k]
		require.Equal(t, b.NumRows(), a.NumRows())
		inum := a.Schema().FieldIndices("proc_ns_pid_inum")[0]
		for i := range int(a.NumRows()) {
			// A twin row: the kept event had no namespace block.
			twinRow := goldentest.Cell(b.Column(inum), i) == strconv.Itoa(twinInum)
			if twinRow {
				nullInums++
			}
			for c, f := range a.Schema().Fields() {
				got, want := goldentest.Cell(a.Column(c), i), goldentest.Cell(b.Column(c), i)
				nsColumn := strings.HasPrefix(f.Name, "proc_ns_") || strings.HasPrefix(f.Name, "parent_ns_")
				switch {
				case twinRow && c == inum:
					require.Equal(t, "null", got, "batch %d row %d", k, i)
				case twinRow && nsColumn && strings.HasSuffix(f.Name, "_inum"):
					require.Equal(t, "null", got, "%s batch %d row %d", f.Name, k, i)
					require.Equal(t, want, got, "%s batch %d row %d", f.Name, k, i)
				case twinRow && nsColumn:
					require.Equal(t, "false", got, "%s batch %d row %d", f.Name, k, i)
					require.Equal(t, want, got, "%s batch %d row %d", f.Name, k, i)
				default:
					require.Equal(t, want, got, "%s batch %d row %d", f.Name, k, i)
				}
			}
		}
	}
	require.Equal(t, 26, nullInums)

	// The encoder reads no namespace column, so the inum cannot reach a
	// feature (step 1 above).
	probe, err := encode.New(schema.Default(), nil)
	require.NoError(t, err)
	for _, c := range probe.RawColumns() {
		require.NotContains(t, c, "_ns_")
	}
	gotEnc, gotStats := encodeAll(t, kept)
	wantEnc, wantStats := encodeAll(t, ref)
	require.Equal(t, len(wantEnc), len(gotEnc))
	for i := range gotEnc {
		require.True(t, array.RecordEqual(wantEnc[i], gotEnc[i]), "encoded batch %d differs", i)
	}
	require.Equal(t, wantStats, gotStats)
	require.EqualValues(t, 27, gotStats.Rows)
}

// withPIDNamespace inserts a ns.pid block at the start of the event's
// process block, and checks the result decodes as the event did but for
// the namespace.
func withPIDNamespace(t *testing.T, line string, ev *tetraparse.Event) string {
	t.Helper()
	open := `{"` + ev.Body + `":{"process":{`
	require.True(t, strings.HasPrefix(line, open), "%.60s", line)
	out := open + `"ns":{"pid":{"inum":` + strconv.Itoa(twinInum) + `}},` + line[len(open):]
	tw, err := tetraparse.Decode([]byte(out))
	require.NoError(t, err)
	require.EqualValues(t, twinInum, tw.Process.NS.PID.Inum.Value)
	p := *tw.Process
	p.NS = ev.Process.NS
	require.Equal(t, *ev.Process, p)
	require.Equal(t, ev.Parent, tw.Parent)
	require.Equal(t, ev.Kprobe, tw.Kprobe)
	return out
}

func parse(t *testing.T, cfg tetraparse.Config, path string) ([]arrow.RecordBatch, tetraparse.Stats) {
	t.Helper()
	cfg.BatchSize = 10 // several batches: per-process state crosses them
	p, err := tetraparse.New(cfg)
	require.NoError(t, err)
	var recs []arrow.RecordBatch
	for rec, err := range p.Files([]string{path}) {
		require.NoError(t, err)
		rec.Retain()
		recs = append(recs, rec)
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	st := p.Stats()
	require.NoError(t, st.Check())
	return recs, st
}

// encodeAll encodes in the reference's batch mode: the lineage graph holds
// every process before the first batch is encoded.
func encodeAll(t *testing.T, recs []arrow.RecordBatch) ([]arrow.RecordBatch, encode.Stats) {
	t.Helper()
	g := lineage.New()
	for _, r := range recs {
		require.NoError(t, g.AddBatch(r))
	}
	enc, err := encode.New(schema.Default(), g)
	require.NoError(t, err)
	var out []arrow.RecordBatch
	for _, r := range recs {
		rec, err := enc.Encode(r)
		require.NoError(t, err)
		out = append(out, rec)
	}
	t.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return out, enc.Stats()
}
