package labels

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var tsNS = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}

// eventRecord builds a record with an id column and an event_time column
// of type typ (values in typ's unit; valid false = null).
func eventRecord(t *testing.T, mem memory.Allocator, typ arrow.DataType, times []int64, valid []bool) arrow.RecordBatch {
	t.Helper()
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	tb := array.NewTimestampBuilder(mem, typ.(*arrow.TimestampType))
	defer tb.Release()
	for i, v := range times {
		ib.Append(int64(i))
		if valid != nil && !valid[i] {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(v))
		}
	}
	ids, ts := ib.NewArray(), tb.NewArray()
	defer ids.Release()
	defer ts.Release()
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "row", Type: arrow.PrimitiveTypes.Int64},
		{Name: ColEventTime, Type: typ, Nullable: true},
	}, &md)
	return array.NewRecordBatch(schema, []arrow.Array{ids, ts}, int64(len(times)))
}

func TestAppendLabels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1"), row(30, 40, "T2", "1")))

	rec := eventRecord(t, mem, tsNS, []int64{5e9, 10e9, 0, 20e9, 35e9, 39_999_999_999}, []bool{true, true, false, true, true, true})
	defer rec.Release()
	out, err := set.AppendLabels(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()

	if out.NumCols() != 4 || out.ColumnName(2) != ColIsAttack || out.ColumnName(3) != ColLabelTechnique {
		t.Fatalf("schema = %v", out.Schema())
	}
	if v, ok := out.Schema().Metadata().GetValue("k"); !ok || v != "v" {
		t.Error("schema metadata lost")
	}
	f := out.Schema().Field(3)
	if !f.Nullable || !arrow.TypeEqual(f.Type, arrow.BinaryTypes.String) || out.Schema().Field(2).Nullable {
		t.Errorf("fields = %v", out.Schema().Fields())
	}
	att := out.Column(2).(*array.Boolean)
	tech := out.Column(3).(*array.String)
	wantAttack := []bool{false, true, false, false, true, true}
	wantTech := []string{"", "T1", "", "", "T2", "T2"}
	for i := range wantAttack {
		if att.IsNull(i) || att.Value(i) != wantAttack[i] {
			t.Errorf("row %d is_attack = %v", i, att.Value(i))
		}
		if wantTech[i] == "" != tech.IsNull(i) || tech.Value(i) != wantTech[i] {
			t.Errorf("row %d technique_id = %q (null %v)", i, tech.Value(i), tech.IsNull(i))
		}
	}
	if out.Column(0) != rec.Column(0) {
		t.Error("input columns not shared")
	}
}

func TestLabelColumnUnits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1")))
	ms := &arrow.TimestampType{Unit: arrow.Millisecond}
	rec := eventRecord(t, mem, ms, []int64{9999, 10000, 19999, 20000, math.MaxInt64}, []bool{true, true, true, true, false})
	defer rec.Release()
	got, err := set.LabelColumn(nil, rec.Column(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{Benign, 0, 0, Benign, Benign}; !slices.Equal(got, want) {
		t.Errorf("LabelColumn(ms) = %v, want %v (a null slot's value must not matter)", got, want)
	}

	sec := &arrow.TimestampType{Unit: arrow.Second}
	big := eventRecord(t, mem, sec, []int64{math.MaxInt64 / 10}, nil)
	defer big.Release()
	if _, err := set.LabelColumn(nil, big.Column(1)); !errors.Is(err, ErrTimeRange) {
		t.Errorf("overflow error = %v", err)
	}
}

func TestAppendLabelsErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1")))

	ib := array.NewInt64Builder(mem)
	ib.Append(1)
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	mk := func(names ...string) arrow.RecordBatch {
		var fields []arrow.Field
		var cols []arrow.Array
		for _, n := range names {
			fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64})
			cols = append(cols, ints)
		}
		return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 1)
	}
	for _, c := range []struct {
		rec  arrow.RecordBatch
		want error
	}{
		{mk("row"), ErrNoColumn},
		{mk(ColEventTime), ErrColumnType},
		{mk(ColEventTime, ColEventTime), ErrColumnType},
	} {
		if _, err := set.AppendLabels(c.rec, mem); !errors.Is(err, c.want) {
			t.Errorf("AppendLabels(%v) error = %v, want %v", c.rec.Schema(), err, c.want)
		}
		c.rec.Release()
	}

	rec := eventRecord(t, mem, tsNS, []int64{1}, nil)
	defer rec.Release()
	labeled, err := set.AppendLabels(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer labeled.Release()
	if _, err := set.AppendLabels(labeled, mem); !errors.Is(err, ErrColumnExists) {
		t.Errorf("relabel error = %v, want ErrColumnExists", err)
	}
}
