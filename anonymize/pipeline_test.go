package anonymize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// twoPass runs the collection pass, then Apply, and returns the outputs
// and the alias map.
func twoPass(t testing.TB, pol Policy, in []arrow.RecordBatch, opts ...Option) ([]arrow.RecordBatch, *AliasMap, Report) {
	t.Helper()
	p, err := New(pol, append([]Option{WithKey(testKey)}, opts...)...)
	require.NoError(t, err)
	for _, r := range in {
		require.NoError(t, p.Observe(r))
	}
	p.Freeze()
	out := applyAll(t, p, in)
	m, rep := p.Finish()
	return out, m, rep
}

// allCells renders every cell of every batch, row by row.
func allCells(recs []arrow.RecordBatch) []string {
	var out []string
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			var b strings.Builder
			for c := range int(r.NumCols()) {
				b.WriteString(goldentest.Cell(r.Column(c), i))
				b.WriteByte('|')
			}
			out = append(out, b.String())
		}
	}
	return out
}

func aliasJSON(t testing.TB, m *AliasMap) string {
	var b bytes.Buffer
	_, err := m.WriteTo(&b)
	require.NoError(t, err)
	return b.String()
}

func TestAliasNumberingIsStableAcrossRunsAndBatchSizes(t *testing.T) {
	var wantMap string
	var wantCells []string
	for _, size := range []int{65536, 1000, 333, 1000} {
		in := plantedInput(t, size)
		out, m, rep := twoPass(t, leakPolicy(), in, WithStrictAliases())
		require.Zero(t, rep.LateAliases)
		got := aliasJSON(t, m)
		cells := allCells(out)
		if wantMap == "" {
			wantMap, wantCells = got, cells
			continue
		}
		require.Equal(t, wantMap, got, "batch size %d", size)
		require.Equal(t, wantCells, cells, "batch size %d", size)
	}
}

func TestCustomAliasesFollowLexicalOrder(t *testing.T) {
	_, m, rep := twoPass(t, leakPolicy(), plantedInput(t, 1000))
	re := regexp.MustCompile(`^custom_tool_(\d{3,})$`)
	var customs []string
	for _, o := range m.Originals() {
		a, _ := m.Lookup(o)
		if re.MatchString(a) {
			customs = append(customs, o)
		}
	}
	require.Equal(t, rep.Custom, len(customs))
	require.Greater(t, len(customs), 5)
	for i, o := range customs { // Originals is sorted
		a, _ := m.Lookup(o)
		require.Equal(t, fmt.Sprintf("custom_tool_%03d", i+1), a, o)
	}
	a, _ := m.Lookup("code-94b2b8fda02f34a6795b929e9a9a80fdea7b5bf5")
	if _, shared := rawInput(t, 65536); shared {
		require.Equal(t, "vscode_server_bin", a)
	}
	for _, name := range []string{"bash", "node", "git"} {
		a, ok := m.Lookup(name)
		require.True(t, ok, name)
		require.Equal(t, name, a, "allowlisted names pass verbatim")
	}
}

func TestAliasAssignment(t *testing.T) {
	p, err := New(DefaultPolicy(), WithKey(testKey))
	require.NoError(t, err)
	p.assign([]string{"zeta-tool", "python3.12", "code-" + strings.Repeat("ab", 20), "alpha", "bash", "claude", "gcc-12", "code-short"})
	for orig, want := range map[string]string{
		"alpha":                            "custom_tool_001",
		"code-short":                       "custom_tool_002",
		"zeta-tool":                        "custom_tool_003",
		"python3.12":                       "python3.12",
		"gcc-12":                           "gcc-12",
		"bash":                             "bash",
		"claude":                           "claude",
		"code-" + strings.Repeat("ab", 20): "vscode_server_bin",
	} {
		got, ok := p.aliases.Lookup(orig)
		require.True(t, ok, orig)
		require.Equal(t, want, got, orig)
	}
}

func TestExtendingAnAliasMapKeepsNumbers(t *testing.T) {
	in := plantedInput(t, 1000)
	// A first release saw only the first half.
	_, first, _ := twoPass(t, leakPolicy(), in[:len(in)/2])
	// The map survives a file round trip.
	loaded, err := LoadAliasMap(strings.NewReader(aliasJSON(t, first)))
	require.NoError(t, err)
	_, second, rep := twoPass(t, leakPolicy(), in, WithAliasMap(loaded))
	require.Equal(t, first.Len(), rep.Preexisting)
	maxFirst := first.maxNumber(DefaultCustomPrefix)
	for _, o := range first.Originals() {
		a1, _ := first.Lookup(o)
		a2, ok := second.Lookup(o)
		require.True(t, ok)
		require.Equal(t, a1, a2, "existing alias of %q kept", o)
	}
	var added []string
	for _, o := range second.Originals() {
		if _, ok := first.Lookup(o); !ok {
			added = append(added, o)
		}
	}
	n := maxFirst
	for _, o := range added { // new customs continue after the old maximum, in lexical order
		a, _ := second.Lookup(o)
		if num, ok := strings.CutPrefix(a, DefaultCustomPrefix); ok {
			n++
			require.Equal(t, fmt.Sprintf("%03d", n), num, o)
		}
	}
	// Extending the full map with the same input changes nothing.
	_, third, _ := twoPass(t, leakPolicy(), in, WithAliasMap(second))
	require.Equal(t, aliasJSON(t, second), aliasJSON(t, third))
}

func TestOnePassNumbersLateNamesPerBatch(t *testing.T) {
	in := plantedInput(t, 1000)
	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	applyAll(t, p, in)
	m, rep := p.Finish()
	require.Positive(t, rep.LateAliases)
	require.Equal(t, m.Len(), rep.LateAliases)
	// Strict mode refuses names the collection pass did not see.
	p, err = New(leakPolicy(), WithKey(testKey), WithStrictAliases())
	require.NoError(t, err)
	require.NoError(t, p.Observe(in[0]))
	var err2 error
	for _, r := range in[1:] {
		out, err := p.Apply(r)
		if err != nil {
			err2 = err
			break
		}
		out.Release()
	}
	require.ErrorIs(t, err2, ErrUnknownBasename)
}

func TestAliasMapJSONRoundTrip(t *testing.T) {
	_, m, _ := twoPass(t, leakPolicy(), plantedInput(t, 65536))
	text := aliasJSON(t, m)
	require.True(t, strings.HasPrefix(text, "{\n  \"format\": \"tetrahids.alias_map\",\n  \"version\": 1,\n"), text[:80])
	back, err := LoadAliasMap(strings.NewReader(text))
	require.NoError(t, err)
	require.Equal(t, text, aliasJSON(t, back))
	require.Equal(t, m.Originals(), back.Originals())
	require.Equal(t, m.Closure(), back.Closure())
	compact, err := m.MarshalJSON()
	require.NoError(t, err)
	var again AliasMap
	require.NoError(t, again.UnmarshalJSON(compact))
	require.Equal(t, text, aliasJSON(t, &again))

	for _, bad := range []string{
		`{"format":"tetrahids.alias_map","version":1,"aliases":{},"extra":1}`,
		`{"format":"other","version":1,"aliases":{}}`,
		`{"format":"tetrahids.alias_map","version":2,"aliases":{}}`,
		`{"format":"tetrahids.alias_map","version":1,"aliases":{"a":""}}`,
		`{"format":"tetrahids.alias_map","version":1,"aliases":{}} {}`,
		`not json`,
	} {
		_, err := LoadAliasMap(strings.NewReader(bad))
		require.ErrorIs(t, err, ErrAliasMap, bad)
	}
	var zero AliasMap
	require.Equal(t, 0, zero.Len())
	require.Contains(t, aliasJSON(t, &zero), `"aliases": {}`)
}

// TestNonStringColumnsUnchanged checks that the f_* features (and every
// other non-string column) come out exactly as the encoder computed them
// from the raw values: the very same arrays.
func TestNonStringColumnsUnchanged(t *testing.T) {
	in := plantedInput(t, 1000)
	out, _, _ := twoPass(t, leakPolicy(), in)
	nf := 0
	for b := range in {
		require.Equal(t, in[b].NumCols(), out[b].NumCols())
		for ci, f := range in[b].Schema().Fields() {
			require.Equal(t, f, out[b].Schema().Field(ci))
			if stringBearing(f.Type) {
				continue
			}
			if strings.HasPrefix(f.Name, "f_") {
				nf++
			}
			require.True(t, array.Equal(in[b].Column(ci), out[b].Column(ci)), f.Name)
			require.Same(t, in[b].Column(ci).Data(), out[b].Column(ci).Data(), "%s is passed through", f.Name)
		}
		require.Equal(t, in[b].Schema().Metadata(), out[b].Schema().Metadata())
	}
	require.Equal(t, 42*len(in), nf, "every f_* column of schema 1.1 checked")
}

func TestExecIDPseudonyms(t *testing.T) {
	in := encodedInput(t, 1000)
	out, _, rep := twoPass(t, DefaultPolicy(), in)
	fwd, back := map[string]string{}, map[string]string{}
	for b := range in {
		for _, name := range []string{"proc_exec_id", "process_tree_root_exec_id"} {
			src := column(t, in[b], name).(*array.String)
			dst := column(t, out[b], name).(*array.String)
			for i := range src.Len() {
				require.Equal(t, src.IsNull(i), dst.IsNull(i))
				s, d := src.Value(i), dst.Value(i)
				if s == "" {
					require.Equal(t, "", d, "empty stays empty")
					continue
				}
				require.True(t, isExecID(d), d)
				if prev, ok := fwd[s]; ok {
					require.Equal(t, prev, d, "equal ids map equal, across columns")
				}
				if prev, ok := back[d]; ok {
					require.Equal(t, prev, s, "distinct ids map distinct")
				}
				fwd[s], back[d] = d, s
			}
		}
	}
	require.Equal(t, len(fwd), rep.ExecIDs, "one HMAC per distinct id")
	// Lineage joins survive: a root id is the proc id of some row.
	procIDs := map[string]bool{}
	for _, r := range out {
		for _, s := range stringsOf(t, r, "proc_exec_id") {
			procIDs[s] = true
		}
	}
	joined := 0
	for _, r := range out {
		for _, s := range stringsOf(t, r, "process_tree_root_exec_id") {
			if procIDs[s] {
				joined++
			}
		}
	}
	require.Positive(t, joined)
	// Another key gives other pseudonyms; the same key the same ones.
	p2, err := New(DefaultPolicy(), WithKey([]byte("another key of sufficient length!")))
	require.NoError(t, err)
	o2, err := p2.Apply(in[0])
	require.NoError(t, err)
	defer o2.Release()
	require.NotEqual(t, stringsOf(t, out[0], "proc_exec_id")[0], stringsOf(t, o2, "proc_exec_id")[0])
}

func TestExecIDNullAndEmpty(t *testing.T) {
	rec := encodedInput(t, 1000)[0]
	ids := stringsOf(t, rec, "proc_exec_id")
	ids[0] = ""
	mod := replaceColumns(t, rec, map[string][]string{"proc_exec_id": ids})
	defer mod.Release()
	// Null: rebuild the column with a null in row 1.
	b := array.NewStringBuilder(memory.DefaultAllocator)
	for i, s := range ids {
		if i == 1 {
			b.AppendNull()
		} else {
			b.Append(s)
		}
	}
	col := b.NewArray()
	b.Release()
	cols := mod.Columns()
	idx := mod.Schema().FieldIndices("proc_exec_id")[0]
	arrays := append([]arrow.Array{}, cols...)
	arrays[idx] = col
	withNull := array.NewRecordBatch(mod.Schema(), arrays, mod.NumRows())
	col.Release()
	defer withNull.Release()

	p, err := New(DefaultPolicy(), WithKey(testKey))
	require.NoError(t, err)
	out, err := p.Apply(withNull)
	require.NoError(t, err)
	defer out.Release()
	got := column(t, out, "proc_exec_id").(*array.String)
	require.Equal(t, "", got.Value(0))
	require.False(t, got.IsNull(0))
	require.True(t, got.IsNull(1))
}

func TestKeyIsRequiredAndNeverWritten(t *testing.T) {
	_, err := New(DefaultPolicy())
	require.ErrorIs(t, err, ErrKey)
	_, err = New(DefaultPolicy(), WithKey([]byte("short")))
	require.ErrorIs(t, err, ErrKey)
	// A policy without exec-id columns needs no key.
	pol := DefaultPolicy()
	pol.Columns["proc_exec_id"], pol.Columns["process_tree_root_exec_id"] = ClassDrop, ClassDrop
	_, err = New(pol)
	require.NoError(t, err)

	key := []byte("UNIQUE-KEY-MARKER-0123456789")
	in := encodedInput(t, 1000)
	out, m, rep := twoPass(t, DefaultPolicy(), in, WithKey(key))
	require.Empty(t, scanHits(t, out, []string{string(key)}))
	require.NotContains(t, aliasJSON(t, m), string(key))
	require.NotContains(t, fmt.Sprintf("%+v", rep), string(key))
	pj, err := json.Marshal(DefaultPolicy())
	require.NoError(t, err)
	require.NotContains(t, string(pj), string(key))
}

func TestUnknownStringColumnIsAnError(t *testing.T) {
	rec := encodedInput(t, 1000)[0]
	n := int(rec.NumRows())
	withExtra := func(t *testing.T, typ arrow.DataType) arrow.RecordBatch {
		b := array.NewBuilder(memory.DefaultAllocator, typ)
		defer b.Release()
		for i := range n {
			switch bb := b.(type) {
			case *array.StringBuilder:
				bb.Append("--user " + plantUser + " #" + strconv.Itoa(i))
			case *array.Int64Builder:
				bb.Append(int64(i))
			case *array.BinaryBuilder:
				bb.Append([]byte(plantUser))
			}
		}
		a := b.NewArray()
		defer a.Release()
		fields := append(rec.Schema().Fields(), arrow.Field{Name: "args_excerpt", Type: typ})
		md := rec.Schema().Metadata()
		r := array.NewRecordBatch(arrow.NewSchema(fields, &md), append(rec.Columns(), a), rec.NumRows())
		t.Cleanup(r.Release)
		return r
	}
	run := func(pol Policy, r arrow.RecordBatch) (arrow.RecordBatch, error) {
		p, err := New(pol, WithKey(testKey))
		require.NoError(t, err)
		return p.Apply(r)
	}
	t.Run("string", func(t *testing.T) {
		r := withExtra(t, arrow.BinaryTypes.String)
		_, err := run(leakPolicy(), r)
		require.ErrorIs(t, err, ErrUnclassifiedColumn)
		var ce *ColumnError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "args_excerpt", ce.Column)
		// Dropped by policy.
		pol := leakPolicy()
		pol.UnknownColumns = "drop"
		out, err := run(pol, r)
		require.NoError(t, err)
		require.Empty(t, out.Schema().FieldIndices("args_excerpt"))
		require.Equal(t, rec.NumCols(), out.NumCols())
		out.Release()
		// Classified as text: swept and scanned — here the user name is
		// forbidden and nothing removes it, so it is caught.
		pol = leakPolicy()
		pol.Columns["args_excerpt"] = ClassText
		_, err = run(pol, r)
		var leak *LeakError
		require.ErrorAs(t, err, &leak)
		require.Equal(t, "args_excerpt", leak.Column)
		// With a sweep entry it passes.
		pol.Sweep = append(pol.Sweep, Replacement{From: plantUser, To: "_user_"})
		out, err = run(pol, r)
		require.NoError(t, err)
		require.Equal(t, "--user _user_ #0", stringsOf(t, out, "args_excerpt")[0])
		out.Release()
	})
	t.Run("binary", func(t *testing.T) {
		_, err := run(leakPolicy(), withExtra(t, arrow.BinaryTypes.Binary))
		require.ErrorIs(t, err, ErrUnclassifiedColumn)
		pol := leakPolicy()
		pol.Columns["args_excerpt"] = ClassText
		_, err = run(pol, withExtra(t, arrow.BinaryTypes.Binary))
		require.ErrorIs(t, err, ErrColumnType)
	})
	t.Run("integer passes", func(t *testing.T) {
		out, err := run(leakPolicy(), withExtra(t, arrow.PrimitiveTypes.Int64))
		require.NoError(t, err)
		out.Release()
	})
}

// TestRegenerationMatchesTheEncoder: with every basename allowlisted and
// no sweep, regenerating pairs and tokens reproduces the encoder's
// exactly (one canonical format).
func TestRegenerationMatchesTheEncoder(t *testing.T) {
	pol := DefaultPolicy()
	pol.Aliases.AllowPatterns = []string{".*"}
	pol.Aliases.Collapse = nil
	in := encodedInput(t, 1000)
	out, _, _ := twoPass(t, pol, in)
	for b := range in {
		for _, name := range []string{"parent_child_pair", "token", "proc_binary_basename", "parent_binary_basename", "root_ancestor_basename", "path_category", "object_category"} {
			require.Equal(t, stringsOf(t, in[b], name), stringsOf(t, out[b], name), name)
		}
		// Unchanged columns are the same arrays.
		require.Same(t, column(t, in[b], "path_category").Data(), column(t, out[b], "path_category").Data())
	}
}

func TestCwdRewriting(t *testing.T) {
	def := DefaultPolicy()
	pol, err := def.compile()
	require.NoError(t, err)
	var prefixes []string
	for in, want := range map[string]string{
		"/home/rypow/projects/webapp/":      "/home/_user_/workspace/_project_/",
		"/home/rypow/":                      "/home/_user_/",
		"/home/rypow/art/victim-app/":       "/home/_user_/workspace/_project_/victim-app/",
		"/home/rypow/.cache/npm/":           "/home/_user_/.cache/npm/",
		"/users/jane/library/":              "/Users/_user_/workspace/_project_/",
		"/mnt/projects/dendroaspis/":        "/workspace/_project_/",
		"/mnt/projects/dendroaspis/src/":    "/workspace/_project_/src/",
		"/projects/acme/":                   "/workspace/_project_/",
		"/srv/projects/":                    "/srv/projects/",
		"/":                                 "/",
		"/tmp/":                             "/tmp/",
		"/home/_user_/workspace/_project_/": "/home/_user_/workspace/_project_/",
	} {
		require.Equal(t, want, pol.rewriteCwd(newFolder(), in, func(m string) { prefixes = append(prefixes, m) }), in)
	}
	require.ElementsMatch(t, []string{"/home/rypow", "/projects/webapp", "/home/rypow", "/home/_user_/art", "/home/rypow", "/home/rypow", "/users/jane", "/Users/_user_/library", "/mnt/projects/dendroaspis", "/mnt/projects/dendroaspis", "/projects/acme"}, prefixes)
}

func TestFinishedPipelineRefusesWork(t *testing.T) {
	rec := encodedInput(t, 1000)[0]
	p, err := New(DefaultPolicy(), WithKey(testKey))
	require.NoError(t, err)
	p.Finish()
	_, err = p.Apply(rec)
	require.ErrorIs(t, err, ErrFinished)
	require.ErrorIs(t, p.Observe(rec), ErrFinished)
}

func TestCheckedAllocatorHasNoLeaks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := plantedInput(t, 1000)
	p, err := New(leakPolicy(), WithKey(testKey), WithAllocator(mem))
	require.NoError(t, err)
	for _, r := range in {
		out, err := p.Apply(r)
		require.NoError(t, err)
		out.Release()
	}
	// A failing run releases what it built.
	p, err = New(leakPolicy(), WithKey(testKey), WithAllocator(mem), withoutStep(stepSweep))
	require.NoError(t, err)
	_, err = p.Apply(in[0])
	require.ErrorIs(t, err, ErrLeak)
}

// TestExecIDKnownAnswer pins the pseudonym to an independent computation
// (Python: hmac.new(key, id, sha256).hexdigest()[:32]).
func TestExecIDKnownAnswer(t *testing.T) {
	p, err := New(DefaultPolicy(), WithKey(testKey))
	require.NoError(t, err)
	require.Equal(t, "exec_049e99d0d7bbfb993a953753201070e8", p.execID("cHJveDE6MzM2MzAwMDAwMDA6MTIz"))
	require.Equal(t, "", p.execID(""))
}

func TestObserveOrderDoesNotMatter(t *testing.T) {
	in := plantedInput(t, 500)
	_, want, _ := twoPass(t, leakPolicy(), in)
	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	for i := len(in) - 1; i >= 0; i-- {
		require.NoError(t, p.Observe(in[i]))
	}
	got, _ := p.Finish()
	require.Equal(t, aliasJSON(t, want), aliasJSON(t, got))
}

// castColumns returns rec with the named utf8 columns cast to dt.
func castColumns(t *testing.T, rec arrow.RecordBatch, dt arrow.DataType, names ...string) arrow.RecordBatch {
	t.Helper()
	fields := rec.Schema().Fields()
	cols := append([]arrow.Array{}, rec.Columns()...)
	var made []arrow.Array
	for _, name := range names {
		i := rec.Schema().FieldIndices(name)[0]
		b := array.NewBuilder(memory.DefaultAllocator, dt)
		src := rec.Column(i).(*array.String)
		for k := range src.Len() {
			switch bb := b.(type) {
			case *array.LargeStringBuilder:
				bb.Append(src.Value(k))
			case *array.StringViewBuilder:
				bb.Append(src.Value(k))
			}
		}
		cols[i] = b.NewArray()
		b.Release()
		made = append(made, cols[i])
		fields[i].Type = dt
	}
	md := rec.Schema().Metadata()
	out := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	for _, a := range made {
		a.Release()
	}
	t.Cleanup(out.Release)
	return out
}

// TestOtherStringLayouts: large_utf8 and string_view columns (as Parquet
// readers may produce) are transformed like utf8 ones and keep their type.
func TestOtherStringLayouts(t *testing.T) {
	in := plantedInput(t, 2000)
	want, _, _ := twoPass(t, leakPolicy(), in)
	names := []string{"proc_cwd_normalized", "token", "proc_binary_basename", "path_category", "proc_exec_id"}
	for _, dt := range []arrow.DataType{arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView} {
		var cast []arrow.RecordBatch
		for _, r := range in {
			cast = append(cast, castColumns(t, r, dt, names...))
		}
		got, _, _ := twoPass(t, leakPolicy(), cast)
		for b := range got {
			for _, name := range names {
				a := column(t, got[b], name)
				require.Equal(t, dt.ID(), a.DataType().ID(), name)
				w := stringsOf(t, want[b], name)
				for i := range a.Len() {
					require.Equal(t, w[i], a.(stringArray).Value(i), "%s %s row %d", dt, name, i)
				}
			}
		}
	}
}

// TestSlicedBatches: sliced input (arrays with an offset) gives the rows
// the whole batch gives.
func TestSlicedBatches(t *testing.T) {
	in := plantedInput(t, 4000)[0]
	whole, m, _ := twoPass(t, leakPolicy(), []arrow.RecordBatch{in})
	p, err := New(leakPolicy(), WithKey(testKey), WithAliasMap(m), WithStrictAliases())
	require.NoError(t, err)
	var parts []arrow.RecordBatch
	for lo := int64(0); lo < in.NumRows(); lo += 777 {
		hi := min(lo+777, in.NumRows())
		s := in.NewSlice(lo, hi)
		out, err := p.Apply(s)
		s.Release()
		require.NoError(t, err)
		parts = append(parts, out)
		defer out.Release()
	}
	require.Equal(t, allCells(whole), allCells(parts))
}

func TestEmptyBatch(t *testing.T) {
	rec := plantedInput(t, 1000)[0]
	empty := rec.NewSlice(0, 0)
	defer empty.Release()
	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	require.NoError(t, p.Observe(empty))
	out, err := p.Apply(empty)
	require.NoError(t, err)
	defer out.Release()
	require.Zero(t, out.NumRows())
	require.Equal(t, rec.NumCols(), out.NumCols())
}

func TestActionCodeOutsideVocabulary(t *testing.T) {
	rec := encodedInput(t, 1000)[0]
	idx := rec.Schema().FieldIndices("f_action_family")[0]
	b := array.NewUint8Builder(memory.DefaultAllocator)
	src := rec.Column(idx).(*array.Uint8)
	for i := range src.Len() {
		if i == 2 {
			b.Append(200)
		} else {
			b.Append(src.Value(i))
		}
	}
	col := b.NewArray()
	b.Release()
	cols := append([]arrow.Array{}, rec.Columns()...)
	cols[idx] = col
	bad := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	col.Release()
	defer bad.Release()
	p, err := New(DefaultPolicy(), WithKey(testKey))
	require.NoError(t, err)
	_, err = p.Apply(bad)
	require.ErrorIs(t, err, ErrColumnType)
	require.ErrorContains(t, err, "row 2")
	// The standalone check says the same of a shard.
	err = Verify(bad, DefaultPolicy(), nil)
	require.Error(t, err)
}
