package anonymize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestVerifyWrittenShards re-checks released batches with a standalone
// Verifier, as a corpus builder does after writing shards, then tampers
// with them one column at a time.
func TestVerifyWrittenShards(t *testing.T) {
	out, m, _ := twoPass(t, leakPolicy(), plantedInput(t, 1000))
	v, err := NewVerifier(leakPolicy(), m, nil)
	require.NoError(t, err)
	for _, r := range out {
		require.NoError(t, v.Verify(r))
		require.NoError(t, Verify(r, leakPolicy(), m))
	}
	fresh := func() *Verifier {
		v, err := NewVerifier(leakPolicy(), m, nil)
		require.NoError(t, err)
		return v
	}
	for _, it := range []arrow.DataType{arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Int64} {
		vd := fresh()
		for _, r := range out {
			require.NoError(t, vd.Verify(dictEncoded(t, r, it)), "%s indices", it)
		}
	}
	rec := out[0]
	custom := ""
	for _, o := range m.Renamed() {
		if len(o) >= DefaultMinAliasScanLength && strings.HasPrefix(o, plantUser) {
			custom = o
		}
	}
	require.NotEmpty(t, custom)
	tamper := func(name string, row int, value string) arrow.RecordBatch {
		vals := stringsOf(t, rec, name)
		vals[row] = value
		r := replaceColumns(t, rec, map[string][]string{name: vals})
		t.Cleanup(r.Release)
		return r
	}
	for _, tc := range []struct {
		column, value string
		check         Check
		pattern       string
	}{
		{"proc_binary_basename", "not-in-the-map", CheckAliasClosure, ""},
		{"proc_exec_id", "exec_ABC", CheckExecID, execIDPattern},
		{"token", "FILE_OPEN:bash:OTHER", CheckDerivation, ""},
		{"proc_cwd_normalized", "/opt/" + custom + "/", CheckForbidden, plantUser},
		{"path_category", "OTHER " + plantMAC, CheckForbidden, plantMAC},
		{"path_category", "at 192.168.1.1", CheckPattern, "ipv4_address"},
		{"path_category", "aa-bb-cc-dd-ee-ff", CheckPattern, "mac_address"},
		{"object_category", "x " + b64("hello "+plantProj2), CheckForbidden, plantProj2},
	} {
		tampered := tamper(tc.column, 3, tc.value)
		err := v.Verify(tampered)
		// The same leak, reported the same way, in dictionary columns
		// (checked by a Verifier that has memoized nothing), and in a
		// slice of the batch.
		require.Equal(t, err, fresh().Verify(dictEncoded(t, tampered, arrow.PrimitiveTypes.Int32)), tc.column)
		sliced := tampered.NewSlice(2, tampered.NumRows())
		t.Cleanup(sliced.Release)
		plainErr := fresh().Verify(sliced)
		require.Error(t, plainErr)
		require.Equal(t, plainErr, fresh().Verify(dictEncoded(t, sliced, arrow.PrimitiveTypes.Int16)), tc.column)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, tc.column)
		require.Equal(t, tc.column, leak.Column)
		require.Equal(t, 3, leak.Row)
		require.Equal(t, tc.check, leak.Check, "%v", leak)
		if tc.pattern != "" {
			require.Equal(t, tc.pattern, leak.Pattern)
		}
		require.NotContains(t, leak.Error(), tc.value, "the cell itself is never printed")
	}
	// A renamed original as a word, found in a column the alias checks do
	// not cover.
	v2, err := NewVerifier(DefaultPolicy(), m, nil)
	require.NoError(t, err)
	err = v2.Verify(tamper("proc_cwd_normalized", 5, "/opt/"+custom+"/bin/"))
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, CheckAliasOriginal, leak.Check)
	require.Equal(t, custom, leak.Pattern)
	// Extra forbidden values (a previous run's path prefixes).
	require.Error(t, v2.Forbid("ab"))
	require.NoError(t, v2.Forbid("/opt/secret-place"))
	err = v2.Verify(tamper("proc_cwd_normalized", 6, "/opt/secret-place/"))
	require.ErrorAs(t, err, &leak)
	require.Equal(t, CheckForbidden, leak.Check)
}

func TestVerifyWithoutAliasMapRejectsBasenames(t *testing.T) {
	out, _, _ := twoPass(t, DefaultPolicy(), encodedInput(t, 1000))
	err := Verify(out[0], DefaultPolicy(), nil)
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, CheckAliasClosure, leak.Check)
}

func TestVerifyDroppedColumnMustBeAbsent(t *testing.T) {
	rec := encodedInput(t, 1000)[0]
	pol := DefaultPolicy()
	pol.Columns["object_category"] = ClassDrop
	p, err := New(pol, WithKey(testKey))
	require.NoError(t, err)
	out, err := p.Apply(rec)
	require.NoError(t, err)
	defer out.Release()
	require.Empty(t, out.Schema().FieldIndices("object_category"))
	_, rep := p.Finish()
	require.Equal(t, []string{"object_category"}, rep.Dropped)
	// A shard written with it anyway fails.
	oc := column(t, rec, "object_category")
	md := out.Schema().Metadata()
	withIt := array.NewRecordBatch(arrow.NewSchema(append(out.Schema().Fields(), arrow.Field{Name: "object_category", Type: oc.DataType()}), &md), append(out.Columns(), oc), out.NumRows())
	defer withIt.Release()
	err = p.Verifier().Verify(withIt)
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, CheckDroppedColumn, leak.Check)
	require.Equal(t, -1, leak.Row)
	require.NotContains(t, leak.Error(), "row")
}

// TestUnscannableOriginals: short originals and originals that are words
// of the released vocabulary are not scanned for, and counted.
func TestUnscannableOriginals(t *testing.T) {
	m := NewAliasMap()
	m.set("ab1", "custom_tool_001")    // too short
	m.set("public", "custom_tool_002") // a category label (PUBLIC)
	m.set("tool", "custom_tool_003")   // a word of the custom prefix? no: "custom_tool_" is one word
	m.set("bash", "bash")              // allowlisted: not a secret at all
	v, err := NewVerifier(DefaultPolicy(), m, nil)
	require.NoError(t, err)
	require.Equal(t, 2, v.UnscannedOriginals())
	words := slices.Clone(v.words.orig)
	require.Equal(t, []string{"tool"}, words)
}

// TestVerifierClonesRunConcurrently checks clones side by side (run with
// -race): each passes the released batches and catches the same leaks as
// its original, including forbidden values added before cloning.
func TestVerifierClonesRunConcurrently(t *testing.T) {
	out, m, _ := twoPass(t, leakPolicy(), plantedInput(t, 1000))
	v, err := NewVerifier(leakPolicy(), m, nil)
	require.NoError(t, err)
	require.NoError(t, v.Forbid("/opt/secret-place"))
	vals := stringsOf(t, out[0], "proc_cwd_normalized")
	vals[2] = "/opt/secret-place/"
	bad := replaceColumns(t, out[0], map[string][]string{"proc_cwd_normalized": vals})
	defer bad.Release()
	errs := make(chan error, 4)
	for range 4 {
		c := v.Clone()
		go func() {
			for _, r := range out {
				if err := c.Verify(r); err != nil {
					errs <- err
					return
				}
			}
			var leak *LeakError
			if err := c.Verify(bad); !errors.As(err, &leak) || leak.Check != CheckForbidden || leak.Row != 2 {
				errs <- fmt.Errorf("clone missed the planted value: %v", err)
				return
			}
			errs <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
}

// dictEncoded returns rec with every string column dictionary-encoded with
// indices of type it, as a Parquet reader asked for dictionaries returns
// it; each dictionary gets one more entry no row uses (a duplicate of the
// first value: it must pass the checks the other entries pass).
func dictEncoded(t *testing.T, rec arrow.RecordBatch, it arrow.DataType) arrow.RecordBatch {
	t.Helper()
	return dictEncodedWith(t, rec, it, nil)
}

// dictEncodedWith is dictEncoded with a hook that may change each
// column's dictionary values before the array is built.
func dictEncodedWith(t *testing.T, rec arrow.RecordBatch, it arrow.DataType, edit func(name string, values arrow.Array, indices []int) (arrow.Array, []int)) arrow.RecordBatch {
	t.Helper()
	sc := rec.Schema()
	fields := slices.Clone(sc.Fields())
	cols := slices.Clone(rec.Columns())
	mem := memory.DefaultAllocator
	for i, f := range fields {
		if f.Type.ID() != arrow.STRING {
			continue
		}
		s := cols[i].(*array.String)
		seen := map[string]int{}
		vb := array.NewStringBuilder(mem)
		idx := make([]int, s.Len())
		for r := range s.Len() {
			idx[r] = -1
			if s.IsNull(r) {
				continue
			}
			k, ok := seen[s.Value(r)]
			if !ok {
				k = len(seen)
				seen[s.Value(r)] = k
				vb.Append(s.Value(r))
			}
			idx[r] = k
		}
		if s.Len() > 0 && s.IsValid(0) {
			vb.Append(s.Value(0)) // a duplicate entry no row uses
		}
		values := vb.NewArray()
		vb.Release()
		if edit != nil {
			values, idx = edit(f.Name, values, idx)
		}
		ib := array.NewBuilder(mem, it)
		for _, k := range idx {
			// Null rows get index -1 here; the validity below hides it.
			switch b := ib.(type) {
			case *array.Int16Builder:
				b.Append(int16(k))
			case *array.Int32Builder:
				b.Append(int32(k))
			case *array.Uint32Builder:
				b.Append(uint32(k))
			case *array.Int64Builder:
				b.Append(int64(k))
			default:
				t.Fatalf("index type %s", it)
			}
		}
		indices := ib.NewArray()
		ib.Release()
		// Nulls where idx is -1.
		valid := make([]byte, (len(idx)+7)/8)
		nulls := 0
		for r, k := range idx {
			if k != -1 { // -1 is a null row; other negative indices are kept
				valid[r/8] |= 1 << (r % 8)
			} else {
				nulls++
			}
		}
		bufs := slices.Clone(indices.Data().Buffers())
		bufs[0] = memory.NewBufferBytes(valid)
		dt := &arrow.DictionaryType{IndexType: it, ValueType: arrow.BinaryTypes.String}
		data := array.NewData(dt, len(idx), bufs, nil, nulls, 0)
		data.SetDictionary(values.Data())
		cols[i] = array.MakeFromData(data)
		data.Release()
		indices.Release()
		values.Release()
		t.Cleanup(cols[i].Release)
		fields[i].Type = dt
	}
	md := sc.Metadata()
	out := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	t.Cleanup(out.Release)
	return out
}

// TestVerifyDictionaryEntries: in a dictionary column every entry is
// checked, whether a row uses it or not and whether it is null or not,
// and an index outside the dictionary is an error, not a panic.
func TestVerifyDictionaryEntries(t *testing.T) {
	out, m, _ := twoPass(t, leakPolicy(), plantedInput(t, 1000))
	v, err := NewVerifier(leakPolicy(), m, nil)
	require.NoError(t, err)
	rec := out[0]
	planted := "OTHER " + plantMAC
	// plant returns a dictionary with planted appended: a valid entry, or
	// a null one that still holds the bytes.
	plant := func(values arrow.Array, null bool, planted string) arrow.Array {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		for i := range values.Len() {
			b.Append(values.(*array.String).Value(i))
		}
		b.Append(planted)
		values.Release()
		withBytes := b.NewArray()
		if !null {
			return withBytes
		}
		defer withBytes.Release()
		n := withBytes.Len()
		valid := make([]byte, (n+7)/8)
		for i := range n - 1 {
			valid[i/8] |= 1 << (i % 8)
		}
		bufs := slices.Clone(withBytes.Data().Buffers())
		bufs[0] = memory.NewBufferBytes(valid)
		d := array.NewData(arrow.BinaryTypes.String, n, bufs, nil, 1, 0)
		defer d.Release()
		return array.MakeFromData(d)
	}
	// An entry no row uses.
	unused := dictEncodedWith(t, rec, arrow.PrimitiveTypes.Int32, func(name string, values arrow.Array, idx []int) (arrow.Array, []int) {
		if name != "path_category" {
			return values, idx
		}
		return plant(values, false, planted), idx
	})
	var leak *LeakError
	require.ErrorAs(t, v.Verify(unused), &leak)
	require.Equal(t, LeakError{Column: "path_category", Row: -1, Check: CheckForbidden, Pattern: plantMAC}, *leak)
	// A null entry holding the planted bytes, used by row 7 (which reads
	// as null).
	nullEntry := dictEncodedWith(t, rec, arrow.PrimitiveTypes.Int32, func(name string, values arrow.Array, idx []int) (arrow.Array, []int) {
		if name != "path_category" {
			return values, idx
		}
		idx[7] = values.Len()
		return plant(values, true, planted), idx
	})
	require.ErrorAs(t, v.Verify(nullEntry), &leak)
	require.Equal(t, LeakError{Column: "path_category", Row: 7, Check: CheckForbidden, Pattern: plantMAC}, *leak)
	// A pair naming an original the scan cannot look for (too short):
	// only re-deriving catches it, in an unused entry or a null one.
	short := m.Clone()
	short.set("vi", "custom_tool_777")
	vs, err := NewVerifier(leakPolicy(), short, nil)
	require.NoError(t, err)
	require.Equal(t, 1, vs.UnscannedOriginals())
	pair := string(vs.tokens.AppendPair(nil, "vi", "bash"))
	for _, null := range []bool{false, true} {
		row := -1
		withPair := dictEncodedWith(t, rec, arrow.PrimitiveTypes.Int32, func(name string, values arrow.Array, idx []int) (arrow.Array, []int) {
			if name != "parent_child_pair" {
				return values, idx
			}
			if null {
				// A row repeating the previous row's entry, which then
				// stays in use.
				for row = 1; idx[row] < 0 || idx[row] != idx[row-1]; row++ {
				}
				idx[row] = values.Len()
			}
			return plant(values, null, pair), idx
		})
		require.ErrorAs(t, vs.Verify(withPair), &leak, "null entry: %v", null)
		require.Equal(t, "parent_child_pair", leak.Column)
		require.Equal(t, CheckDerivation, leak.Check)
		require.Equal(t, row, leak.Row)
	}
	// An index outside the dictionary (Int32 indices without nulls take
	// a loop of their own), or negative.
	for _, tc := range []struct {
		it    arrow.DataType
		index func(n int) int
	}{
		{arrow.PrimitiveTypes.Int32, func(n int) int { return n }},
		{arrow.PrimitiveTypes.Int32, func(int) int { return -2 }},
		{arrow.PrimitiveTypes.Int16, func(n int) int { return n }},
	} {
		outside := dictEncodedWith(t, rec, tc.it, func(name string, values arrow.Array, idx []int) (arrow.Array, []int) {
			if name == "proc_cwd_normalized" {
				require.Equal(t, values.Len(), values.Len()-values.NullN())
				for i := range idx {
					if idx[i] == -1 {
						idx[i] = 0 // no null rows: the Int32 loop is the fast one
					}
				}
				idx[5] = tc.index(values.Len())
			}
			return values, idx
		})
		err = v.Verify(outside)
		var ce *ColumnError
		require.ErrorAs(t, err, &ce, "%s", tc.it)
		require.Equal(t, "proc_cwd_normalized", ce.Column)
		require.ErrorIs(t, err, ErrColumnType)
		require.ErrorContains(t, err, "row 5")
	}
}

// TestVerifyDictionarySlice: a dictionary batch verifies whole, while a
// slice of it that keeps the whole dictionary can fail, since a pair
// entry only the other rows use is derived by no row of the slice. This
// is the documented requirement that a batch read back from Parquet hold
// whole row groups.
func TestVerifyDictionarySlice(t *testing.T) {
	out, m, _ := twoPass(t, leakPolicy(), plantedInput(t, 1000))
	v, err := NewVerifier(leakPolicy(), m, nil)
	require.NoError(t, err)
	whole := dictEncoded(t, out[0], arrow.PrimitiveTypes.Int32)
	require.NoError(t, v.Verify(whole))
	// The last row whose pair no earlier row has: the rows before it
	// leave its entry unused.
	pairs := whole.Column(slices.IndexFunc(whole.Schema().Fields(), func(f arrow.Field) bool {
		return f.Name == "parent_child_pair"
	})).(*array.Dictionary)
	cut := -1
	seen := map[int]bool{}
	for i := range pairs.Len() {
		if pairs.IsValid(i) && !seen[pairs.GetValueIndex(i)] {
			seen[pairs.GetValueIndex(i)] = true
			cut = i
		}
	}
	require.Positive(t, cut)
	head := whole.NewSlice(0, int64(cut))
	defer head.Release()
	var leak *LeakError
	require.ErrorAs(t, v.Verify(head), &leak)
	require.Equal(t, LeakError{Column: "parent_child_pair", Row: -1, Check: CheckDerivation,
		Pattern: "a dictionary entry equal to a value derived for a row"}, *leak)
	tail := whole.NewSlice(int64(cut), whole.NumRows())
	defer tail.Release()
	require.Error(t, v.Verify(tail)) // entries that only earlier rows use
}
