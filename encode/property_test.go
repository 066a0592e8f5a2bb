package encode

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// synthRaw parses generated export into raw batches of the given size.
func synthRaw(t testing.TB, events, batch int) []arrow.RecordBatch {
	t.Helper()
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 3, Events: events}).WriteTo(&b)
	p, err := tetraparse.New(tetraparse.Config{BatchSize: batch})
	require.NoError(t, err)
	var recs []arrow.RecordBatch
	for rec, err := range p.Records(&b, "synth.json") {
		require.NoError(t, err)
		rec.Retain()
		recs = append(recs, rec)
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// cells renders every cell of the encoded batches, row by row.
func cells(recs []arrow.RecordBatch) []string {
	var out []string
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			row := ""
			for c := range int(r.NumCols()) {
				row += goldentest.Cell(r.Column(c), i) + "|"
			}
			out = append(out, row)
		}
	}
	return out
}

func TestBatchSizeInvariance(t *testing.T) {
	var want []string
	for _, size := range []int{1, 7, 10000} {
		raw := synthRaw(t, 3000, size)
		out, _ := encodeAll(t, schema.Default(), nil, raw)
		got := cells(out)
		if want == nil {
			want = got
			require.Greater(t, len(want), 2500)
			continue
		}
		require.Equal(t, want, got, "batch size %d", size)
	}
}

func TestCodesWithinVocabulary(t *testing.T) {
	for _, v := range schema.EmbeddedVersions() {
		defs, err := schema.Version(v)
		require.NoError(t, err)
		raw := synthRaw(t, 4000, 1000)
		out, _ := encodeAll(t, defs, nil, raw)
		for _, rec := range out {
			require.True(t, rec.Schema().Equal(defs.EncodedSchema()), "schema %s", v)
			for ci, c := range schemadoc.Of(defs).Encoded.Columns {
				limit := -1
				switch {
				case c.Categorical != nil:
					limit = len(c.Categorical.Codes)
				case c.Hash != nil:
					limit = c.Hash.Capacity
				}
				if limit < 0 {
					continue
				}
				col := rec.Column(ci)
				for i := range int(rec.NumRows()) {
					require.False(t, col.IsNull(i), "%s is never null", c.Name)
					var x uint64
					switch a := col.(type) {
					case *array.Uint8:
						x = uint64(a.Value(i))
					case *array.Uint16:
						x = uint64(a.Value(i))
					default:
						t.Fatalf("%s: unexpected type %s", c.Name, col.DataType())
					}
					require.Less(t, x, uint64(limit), "%s row %d (schema %s)", c.Name, i, v)
				}
			}
		}
	}
}

// TestNullInputsGiveNullCodes encodes a row whose every raw column is null
// and checks each categorical against its documented null code.
func TestNullInputsGiveNullCodes(t *testing.T) {
	defs := schema.Default()
	b := array.NewRecordBuilder(memory.DefaultAllocator, defs.RawSchema())
	defer b.Release()
	for _, f := range b.Fields() {
		f.AppendNull()
	}
	raw := b.NewRecordBatch()
	defer raw.Release()
	out, _ := encodeAll(t, defs, nil, []arrow.RecordBatch{raw})
	rec := out[0]
	for ci, c := range schemadoc.Of(defs).Encoded.Columns {
		got := goldentest.Cell(rec.Column(ci), 0)
		switch {
		case c.Hash != nil:
			require.Equal(t, "0", got, "%s: a null input hashes to bucket 0", c.Name)
		case c.Derive.Fn == "lookup" && c.Derive.Input.Column != "":
			require.Equal(t, itoa(*c.Categorical.NullCode), got, c.Name)
		case c.Derive.Fn == "bucket" && c.Derive.Input.Column != "":
			require.Equal(t, itoa(*c.Categorical.NullCode), got, c.Name)
		case c.Derive.Fn == "path_sensitivity":
			require.Equal(t, itoa(*c.Categorical.NullCode), got, c.Name)
		case c.Derive.Fn == "flag":
			require.Equal(t, "0", got, c.Name)
		case c.Derive.Fn == "value":
			require.Equal(t, itoa(int(*c.Derive.NullValue)), got, c.Name)
		}
	}
	// The behaviour columns of an all-null row.
	col := func(name string) string {
		return goldentest.Cell(rec.Column(rec.Schema().FieldIndices(name)[0]), 0)
	}
	require.Equal(t, `"NONE"`, col("object_category"), "derive_object_category(None) is NONE")
	require.Equal(t, "7", col("f_object_category"))
	require.Equal(t, "14", col("f_action_family"))
	require.Equal(t, `"OTHER:unknown"`, col("token"))
	require.Equal(t, `""`, col("parent_child_pair"))
	require.Equal(t, "null", col("delta_t_prev_ns"))
	require.Equal(t, "true", col("lineage_missing_parent"))
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSchema10Layout(t *testing.T) {
	v10, _ := schema.Version("1.0")
	raw := synthRaw(t, 2000, 500)
	out10, _ := encodeAll(t, v10, nil, raw)
	out11, _ := encodeAll(t, schema.Default(), nil, raw)
	require.Equal(t, 59, int(out10[0].NumCols()))
	require.Equal(t, 61, int(out11[0].NumCols()))
	// Columns the two versions share and define alike are equal.
	changed := map[string]bool{}
	for _, c := range schema.Diff(v10, schema.Default()) {
		changed[c.Name] = true
	}
	require.True(t, changed["f_proc_cwd_hash"] && changed["f_proc_name_hash"])
	max := func(recs []arrow.RecordBatch, name string) uint16 {
		var m uint16
		for _, r := range recs {
			a := r.Column(r.Schema().FieldIndices(name)[0]).(*array.Uint16)
			for i := range a.Len() {
				m = max(m, a.Value(i))
			}
		}
		return m
	}
	require.Less(t, max(out10, "f_proc_cwd_hash"), uint16(256))
	require.Less(t, max(out10, "f_proc_name_hash"), uint16(1024))
	for _, f := range out10[0].Schema().Fields() {
		if changed[f.Name] {
			continue
		}
		for bi := range out10 {
			a := out10[bi].Column(out10[bi].Schema().FieldIndices(f.Name)[0])
			b := out11[bi].Column(out11[bi].Schema().FieldIndices(f.Name)[0])
			require.True(t, array.Equal(a, b), "column %s", f.Name)
		}
	}
}

func TestIncrementalLineageMatchesBatchModeWhenParentsComeFirst(t *testing.T) {
	raw := synthRaw(t, 3000, 250)
	batch, _ := encodeAll(t, schema.Default(), nil, raw)
	enc, err := New(schema.Default(), lineage.New(), WithIncrementalLineage())
	require.NoError(t, err)
	var stream []arrow.RecordBatch
	for _, r := range raw {
		rec, err := enc.Encode(r)
		require.NoError(t, err)
		defer rec.Release()
		stream = append(stream, rec)
	}
	// The generator emits every exec before its process's other events.
	require.Equal(t, cells(batch), cells(stream))
}

func TestMissingColumnIsAnError(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "event_type", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("process_exec")
	rec := b.NewRecordBatch()
	defer rec.Release()
	enc, err := New(nil, nil)
	require.NoError(t, err)
	_, err = enc.Encode(rec)
	require.Error(t, err)
}

// TestArrowMemoryIsReleased encodes through a checked allocator (parser and
// encoder both), with empty and non-empty batches, validates every output
// array, and checks that releasing the inputs and outputs frees every byte:
// the encoder writes its Arrow buffers by hand and shares the identifier
// columns with the raw batch.
func TestArrowMemoryIsReleased(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 5, Events: 2000}).WriteTo(&b)
	p, err := tetraparse.New(tetraparse.Config{BatchSize: 500, Allocator: mem})
	require.NoError(t, err)
	var raw []arrow.RecordBatch
	for rec, err := range p.Records(&b, "synth.json") {
		require.NoError(t, err)
		rec.Retain()
		raw = append(raw, rec)
	}
	require.NotEmpty(t, raw)
	empty := raw[0].NewSlice(0, 0)
	g := lineage.New()
	for _, r := range raw {
		require.NoError(t, g.AddBatch(r))
	}
	enc, err := New(nil, g, WithAllocator(mem))
	require.NoError(t, err)
	var out []arrow.RecordBatch
	for _, r := range append([]arrow.RecordBatch{empty}, raw...) {
		rec, err := enc.Encode(r)
		require.NoError(t, err)
		for c, col := range rec.Columns() {
			require.NoError(t, array.ValidateFull(col), rec.ColumnName(c))
			require.Equal(t, rec.NumRows(), int64(col.Len()), rec.ColumnName(c))
		}
		out = append(out, rec)
	}
	// Outputs stay valid after their inputs are released.
	want := cells(out)
	empty.Release()
	for _, r := range raw {
		r.Release()
	}
	require.Equal(t, want, cells(out))
	enc.ForgetBatch()
	// No scratch string views the released raw batches any more.
	vecs := append([]*vec{&enc.d.procBase, &enc.d.cwdNorm, &enc.d.token}, enc.scratch...)
	for _, ri := range enc.inputOrder {
		vecs = append(vecs, &ri.v)
	}
	for _, v := range vecs {
		for _, s := range v.s[:cap(v.s)] {
			require.Empty(t, s)
		}
	}
	for _, r := range out {
		r.Release()
	}
}

// TestRawColumnsAreEnough encodes batches parsed with only RawColumns and
// gets what the full raw table gives; dropping any one of them is an
// ErrColumn naming it.
func TestRawColumnsAreEnough(t *testing.T) {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 8, Events: 3000}).WriteTo(&b)
	parse := func(cols []string) []arrow.RecordBatch {
		p, err := tetraparse.New(tetraparse.Config{BatchSize: 1000, Columns: cols})
		require.NoError(t, err)
		var recs []arrow.RecordBatch
		for rec, err := range p.Records(bytes.NewReader(b.Bytes()), "synth.json") {
			require.NoError(t, err)
			rec.Retain()
			recs = append(recs, rec)
		}
		return recs
	}
	probe, err := New(nil, nil)
	require.NoError(t, err)
	cols := probe.RawColumns()
	require.Less(t, len(cols), len(schema.Default().RawColumns()))
	require.Contains(t, cols, "kp_sock_daddr")  // read by the behaviour builder only
	require.Contains(t, cols, "parent_exec_id") // read by the lineage graph only
	full, _ := encodeAll(t, nil, nil, parse(nil))
	part, _ := encodeAll(t, nil, nil, parse(cols))
	require.Equal(t, cells(full), cells(part))

	raw := parse(cols)[0]
	for i, name := range cols {
		enc, err := New(nil, nil)
		require.NoError(t, err)
		fields := raw.Schema().Fields()
		sc := arrow.NewSchema(append(fields[:i:i], fields[i+1:]...), nil)
		less := array.NewRecordBatch(sc, append(raw.Columns()[:i:i], raw.Columns()[i+1:]...), raw.NumRows())
		_, err = enc.Encode(less)
		require.ErrorIs(t, err, ErrColumn, name)
		require.ErrorContains(t, err, strconv.Quote(name))
		require.Equal(t, Stats{}, enc.Stats(), "no state changes on a rejected batch")
		less.Release()
	}
}

// TestFailedBatchLeavesNoTrace makes a batch fail after the behaviour
// builder ran (its strings outgrow a lowered array limit): the Encoder's
// counters and per-process times must be as before, so that encoding the
// batch again, and the next one, gives what an Encoder that never saw the
// failure gives.
func TestFailedBatchLeavesNoTrace(t *testing.T) {
	raw := synthRaw(t, 3000, 1000)
	want, wantEnc := encodeAll(t, nil, nil, raw)
	g := lineage.New()
	for _, r := range raw {
		require.NoError(t, g.AddBatch(r))
	}
	enc, err := New(nil, g)
	require.NoError(t, err)
	var got []arrow.RecordBatch
	for i, r := range raw {
		if i == 1 {
			before, prev := enc.Stats(), len(enc.prev)
			maxStringBytes = 1000
			_, err := enc.Encode(r)
			maxStringBytes = math.MaxInt32
			require.ErrorContains(t, err, "exceed")
			require.Equal(t, before, enc.Stats())
			require.Equal(t, prev, len(enc.prev))
		}
		out, err := enc.Encode(r)
		require.NoError(t, err)
		defer out.Release()
		got = append(got, out)
	}
	require.Equal(t, cells(want), cells(got))
	require.Equal(t, wantEnc.Stats(), enc.Stats())
}

// TestSlicedInputs encodes raw batches cut at non-zero offsets (as a
// split at a time cut makes them): the same rows as the whole batches.
func TestSlicedInputs(t *testing.T) {
	raw := synthRaw(t, 3000, 1000)
	want, _ := encodeAll(t, nil, nil, raw)
	var parts []arrow.RecordBatch
	for _, r := range raw {
		n := r.NumRows()
		for _, cut := range [][2]int64{{0, 1}, {1, n / 3}, {n / 3, n / 3}, {n / 3, n}} {
			s := r.NewSlice(cut[0], cut[1])
			defer s.Release()
			parts = append(parts, s)
		}
	}
	got, _ := encodeAll(t, nil, nil, parts)
	require.Equal(t, cells(want), cells(got))
}

// TestPassthroughKindIsCheckedByNew rejects, when the Encoder is built, a
// passthrough whose input cannot be written as its column's type.
func TestPassthroughKindIsCheckedByNew(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(schema.Default().Document(), &doc))
	for _, c := range doc["encoded"].(map[string]any)["columns"].([]any) {
		col := c.(map[string]any)
		if col["name"] == "proc_pid" {
			col["derive"].(map[string]any)["input"] = map[string]any{"column": "proc_binary"}
		}
	}
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	defs, err := schema.Load(bytes.NewReader(data))
	require.NoError(t, err)
	_, err = New(defs, nil)
	require.ErrorContains(t, err, "proc_pid")
	require.ErrorContains(t, err, "passthrough of string input")
}

// TestWorkersGiveTheSameOutput codes the columns on several goroutines
// (run with -race) and gets the single-goroutine output and counters.
func TestWorkersGiveTheSameOutput(t *testing.T) {
	raw := synthRaw(t, 4000, 700)
	want, wantEnc := encodeAll(t, nil, nil, raw)
	got, enc := encodeAll(t, nil, nil, raw, WithWorkers(4))
	require.Equal(t, cells(want), cells(got))
	require.Equal(t, wantEnc.Stats(), enc.Stats())
}
