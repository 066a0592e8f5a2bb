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
		require.NoError(t, v.Verify(dictEncoded(t, r)))
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
		// The same leak, reported the same way, in dictionary columns.
		require.Equal(t, err, v.Verify(dictEncoded(t, tampered)), tc.column)
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

// dictEncoded returns rec with every string column dictionary-encoded, as
// a Parquet reader asked for dictionaries returns it.
func dictEncoded(t *testing.T, rec arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	sc := rec.Schema()
	fields := slices.Clone(sc.Fields())
	cols := slices.Clone(rec.Columns())
	for i, f := range fields {
		if f.Type.ID() != arrow.STRING {
			continue
		}
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
		b := array.NewDictionaryBuilder(memory.DefaultAllocator, dt).(*array.BinaryDictionaryBuilder)
		s := cols[i].(*array.String)
		for r := range s.Len() {
			if s.IsNull(r) {
				b.AppendNull()
			} else {
				require.NoError(t, b.AppendString(s.Value(r)))
			}
		}
		cols[i] = b.NewArray()
		t.Cleanup(cols[i].Release)
		b.Release()
		fields[i].Type = dt
	}
	md := sc.Metadata()
	out := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	t.Cleanup(out.Release)
	return out
}
