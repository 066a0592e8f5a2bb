package schema

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tetrahids/tetrahids/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the embedded definitions")

// goldenKeys returns the key order of the "raw" and "encoded" objects of the
// reference pipeline's first golden row (of ../shared/golden, or of the
// committed parity slice).
func goldenKeys(t *testing.T) (raw, encoded []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(goldentest.Parity().Golden, "sample-small.golden.jsonl.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	line, err := bufio.NewReader(zr).ReadBytes('\n')
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(line))
	keysOf := func() []string {
		var keys []string
		tok, err := dec.Token()
		require.NoError(t, err)
		require.Equal(t, json.Delim('{'), tok)
		for dec.More() {
			k, err := dec.Token()
			require.NoError(t, err)
			keys = append(keys, k.(string))
			var skip json.RawMessage
			require.NoError(t, dec.Decode(&skip))
		}
		_, err = dec.Token()
		require.NoError(t, err)
		return keys
	}
	_, err = dec.Token() // {
	require.NoError(t, err)
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		switch k {
		case "raw":
			raw = keysOf()
		case "encoded":
			encoded = keysOf()
		}
	}
	return raw, encoded
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name()
	}
	return out
}

func without(xs []string, drop ...string) []string {
	var out []string
	for _, x := range xs {
		keep := true
		for _, d := range drop {
			keep = keep && x != d
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

var promoted = []string{"f_path_category", "f_dst_ip_category", "f_dst_port_category", "f_object_category"}

func TestColumnsMatchReferenceOrder(t *testing.T) {
	raw, encoded := goldenKeys(t)
	require.Len(t, raw, 126)
	require.Len(t, encoded, 63)
	v11 := Default()
	v10, err := Version("1.0")
	require.NoError(t, err)
	for _, d := range []*Definitions{v10, v11} {
		require.Equal(t, raw, names(d.RawColumns()), "raw columns of %s", d.SchemaVersion())
	}
	require.Equal(t, without(encoded, "f_in_init_tree", "f_args_truncated"), names(v11.Columns()))
	require.Equal(t, without(encoded, promoted...), names(v10.Columns()))
}

func TestEncodedInventory(t *testing.T) {
	count := func(d *Definitions) map[string]int {
		m := map[string]int{}
		for _, c := range d.Columns() {
			switch {
			case c.Tier() == "identifier", c.Tier() == "side":
				m[c.Tier()]++
			case c.Tier() == "builder":
				m["builder f_*"]++
			default:
				m["tier 1-6 f_*"]++
			}
		}
		return m
	}
	require.Equal(t, map[string]int{"identifier": 3, "tier 1-6 f_*": 31, "builder f_*": 11, "side": 16}, count(Default()))
	v10, _ := Version("1.0")
	require.Equal(t, map[string]int{"identifier": 3, "tier 1-6 f_*": 33, "builder f_*": 7, "side": 16}, count(v10))
}

// TestSchemaGolden pins every column's name, Arrow type and nullability, and
// every categorical's vocabulary, in reviewed files under testdata/.
func TestSchemaGolden(t *testing.T) {
	for _, v := range EmbeddedVersions() {
		d, err := Version(v)
		require.NoError(t, err)
		var b strings.Builder
		fmt.Fprintf(&b, "# raw schema %s\n%s\n# encoded schema %s\n%s\n", v, d.RawSchema(), v, d.EncodedSchema())
		for _, c := range d.doc.Encoded.Columns {
			if c.Categorical != nil {
				fmt.Fprintf(&b, "%s: %s\n", c.Name, vocabText(c.Categorical))
			}
			if c.Hash != nil {
				fmt.Fprintf(&b, "%s: %s\n", c.Name, hashText(&c))
			}
		}
		path := filepath.Join("testdata", "schema-"+v+".golden")
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./schema -update to create it")
		require.Equal(t, string(want), b.String(), "schema %s differs from %s", v, path)
	}
}

func TestDiffMatchesCard(t *testing.T) {
	v10, err := Version("1.0")
	require.NoError(t, err)
	var got []string
	for _, c := range Diff(v10, Default()) {
		got = append(got, c.String())
	}
	require.Equal(t, []string{
		"- encoded f_in_init_tree (uint8, 2 codes)",
		"- encoded f_args_truncated (uint8, 2 codes)",
		"~ encoded f_proc_name_hash hash: blake2b-64-be, 1024 buckets of basename of proc_binary → blake2b-64-be, 2048 buckets of basename of proc_binary",
		"~ encoded f_proc_cwd_hash hash: blake2b-64-be, 256 buckets of first 2 path components of proc_cwd → blake2b-64-be, 4096 buckets of first 4 path components of proc_cwd",
		"+ encoded f_path_category (uint8, 11 codes)",
		"+ encoded f_dst_ip_category (uint8, 6 codes)",
		"+ encoded f_dst_port_category (uint8, 7 codes)",
		"+ encoded f_object_category (uint8, 8 codes)",
	}, got)
	require.Empty(t, Diff(Default(), Default()))
	c, _ := Default().Column("f_proc_cwd_hash")
	require.Equal(t, 4, c.c.Derive.Input.Components)
	c, _ = v10.Column("f_proc_cwd_hash")
	require.Equal(t, 2, c.c.Derive.Input.Components)
}

func TestLabelCodeRoundTrip(t *testing.T) {
	for _, v := range EmbeddedVersions() {
		d, _ := Version(v)
		n := 0
		for _, c := range d.Columns() {
			if !c.Categorical() {
				_, err := d.Label(c.Name(), 0)
				require.ErrorIs(t, err, ErrNotCategorical, c.Name())
				continue
			}
			n++
			for i, code := range c.Codes() {
				require.Equal(t, i, code.Code)
				label, err := d.Label(c.Name(), code.Code)
				require.NoError(t, err)
				require.Equal(t, code.Label, label)
				back, err := d.Code(c.Name(), label)
				require.NoError(t, err)
				require.Equal(t, code.Code, back, "%s %s", c.Name(), label)
			}
			_, err := d.Label(c.Name(), len(c.Codes()))
			require.ErrorIs(t, err, ErrUnknownCode)
			_, err = d.Code(c.Name(), "no such label")
			require.ErrorIs(t, err, ErrUnknownLabel)
		}
		require.Greater(t, n, 20, "schema %s has too few categoricals", v)
	}
	_, err := Default().Label("f_nope", 0)
	require.ErrorIs(t, err, ErrUnknownColumn)
}

func TestActionFamilyVocabulary(t *testing.T) {
	d := Default()
	c, err := d.Column("f_action_family")
	require.NoError(t, err)
	require.Len(t, c.Codes(), 15)
	oov, ok := c.OOVCode()
	require.True(t, ok)
	require.Equal(t, 14, oov)
	for label, code := range map[string]int{"FILE_OPEN": 6, "MEM_MAP": 12, "PRIV_CHANGE": 9, "NET_SEND": 5, "PROC_EXEC": 0, "OTHER": 14} {
		got, err := d.Code("f_action_family", label)
		require.NoError(t, err)
		require.Equal(t, code, got, label)
	}
	// Every kprobe of the extraction table has an action family and an
	// object category, and the names agree with f_kprobe_function.
	for i, f := range d.doc.Extraction.Functions {
		require.Contains(t, d.doc.Tables.ActionFamily.Kprobe, f.Function)
		require.Contains(t, d.doc.Tables.ObjectCategory.Kprobe, f.Function)
		label, err := d.Label("f_kprobe_function", i)
		require.NoError(t, err)
		require.Equal(t, f.Function, label)
	}
}

func TestQuirksDocumented(t *testing.T) {
	d := Default()
	for _, q := range []string{"chmod_path_arg_ignored", "accept_socket_in_return_ignored", "syscall_arch_prefix_unmatched", "protojson_zero_is_null"} {
		require.True(t, d.Quirk(q), q)
	}
	require.False(t, d.Quirk("no_such_quirk"))
	chmod, ok := d.doc.Extraction.Function("chmod_common")
	require.True(t, ok)
	require.Equal(t, []string{"file_arg"}, chmod.Fields[0].Kinds, "quirk chmod_path_arg_ignored")
	accept, _ := d.doc.Extraction.Function("inet_csk_accept")
	require.Equal(t, "args", accept.Source, "quirk accept_socket_in_return_ignored")
}

func TestInvalidDocuments(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var meta struct{ Description string }
			require.NoError(t, json.Unmarshal(data, &meta))
			want := strings.TrimPrefix(meta.Description, "Invalid on purpose: ")
			_, err = Load(bytes.NewReader(data))
			require.Error(t, err)
			require.Contains(t, err.Error(), want)
			if !errors.Is(err, ErrUnsupportedVersion) {
				require.ErrorIs(t, err, ErrInvalid)
				var ve *ValidationError
				require.ErrorAs(t, err, &ve)
			}
		})
	}
	data, err := os.ReadFile("testdata/minimal.json")
	require.NoError(t, err)
	d, err := Load(bytes.NewReader(data))
	require.NoError(t, err, "the base of the invalid documents must itself be valid")
	require.Equal(t, "1.7", d.SchemaVersion())
}

func TestLoadReportsPosition(t *testing.T) {
	_, err := Load(strings.NewReader("{\n  \"format\": 12\n}"))
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "line 2")
	_, err = Version("9.9")
	require.ErrorIs(t, err, ErrUnsupportedVersion)
}

func TestDocumentRoundTrip(t *testing.T) {
	d := Default()
	again, err := Load(bytes.NewReader(d.Document()))
	require.NoError(t, err)
	require.Empty(t, Diff(d, again))
	require.Equal(t, "1.1", d.EncodedSchema().Metadata().Values()[0])
}

func TestBucketRulesCoverTheReferenceThresholds(t *testing.T) {
	d := Default()
	code := func(col string, v float64) int {
		c, err := d.Column(col)
		require.NoError(t, err)
		for _, r := range c.c.Derive.Rules {
			if r.Matches(v) {
				return r.Code
			}
		}
		return *c.c.Derive.DefaultCode
	}
	// Values on each side of every threshold the reference hard-codes.
	cases := []struct {
		col  string
		v    float64
		want int
	}{
		{"f_proc_uid_bucket", 0, 0}, {"f_proc_uid_bucket", 1000, 1}, {"f_proc_uid_bucket", 1, 2}, {"f_proc_uid_bucket", 99, 2},
		{"f_proc_uid_bucket", 100, 3}, {"f_proc_uid_bucket", 999, 3}, {"f_proc_uid_bucket", 1001, 4}, {"f_proc_uid_bucket", 100000, 4},
		{"f_dst_port_bucket", 0, 1}, {"f_dst_port_bucket", 22, 2}, {"f_dst_port_bucket", 53, 3}, {"f_dst_port_bucket", 8443, 4},
		{"f_dst_port_bucket", 1023, 5}, {"f_dst_port_bucket", 1024, 6},
		{"f_args_length_bucket", 0, 0}, {"f_args_length_bucket", 49, 1}, {"f_args_length_bucket", 50, 2}, {"f_args_length_bucket", 199, 2},
		{"f_args_length_bucket", 200, 3}, {"f_args_length_bucket", 999, 3}, {"f_args_length_bucket", 1000, 4}, {"f_args_length_bucket", 4999, 4}, {"f_args_length_bucket", 5000, 5},
		{"f_cap_count_bucket", 0, 0}, {"f_cap_count_bucket", 2, 1}, {"f_cap_count_bucket", 3, 2}, {"f_cap_count_bucket", 5, 2},
		{"f_cap_count_bucket", 6, 3}, {"f_cap_count_bucket", 15, 3}, {"f_cap_count_bucket", 16, 4},
		{"f_cmdline_entropy", 1.999, 1}, {"f_cmdline_entropy", 2.0, 2}, {"f_cmdline_entropy", 5.5, 5},
		{"f_cmdline_compress", 0.2999, 1}, {"f_cmdline_compress", 0.3, 2}, {"f_cmdline_compress", 0.9, 5},
		{"f_time_since_parent_exec", -5, 1}, {"f_time_since_parent_exec", 999999, 1}, {"f_time_since_parent_exec", 1e6, 2},
		{"f_time_since_parent_exec", 3599999999999, 4}, {"f_time_since_parent_exec", 3600e9, 5},
		{"f_delta_t_log_bucket", 0, 0}, {"f_delta_t_log_bucket", -3, 0}, {"f_delta_t_log_bucket", 1, 1}, {"f_delta_t_log_bucket", 9, 1},
		{"f_delta_t_log_bucket", 10, 2}, {"f_delta_t_log_bucket", 99999999, 8}, {"f_delta_t_log_bucket", 1e8, 9}, {"f_delta_t_log_bucket", 1e15, 9},
	}
	for _, c := range cases {
		require.Equal(t, c.want, code(c.col, c.v), "%s(%v)", c.col, c.v)
	}
}

// TestNothingSharedIsHandedOut checks that what the lookups return cannot
// change the shared Definitions that Version hands out.
func TestNothingSharedIsHandedOut(t *testing.T) {
	d := Default()
	cols := d.Columns()
	cols[0] = Column{}
	require.Equal(t, "event_time", d.Columns()[0].Name())
	raw := d.RawColumns()
	raw[0] = Column{}
	require.NotEmpty(t, d.RawColumns()[0].Name())

	c, err := d.Column("f_action_family")
	require.NoError(t, err)
	codes := c.Codes()
	codes[6].Label = "CHANGED"
	label, err := d.Label("f_action_family", 6)
	require.NoError(t, err)
	require.Equal(t, "FILE_OPEN", label)
	require.Equal(t, "FILE_OPEN", c.Codes()[6].Label)

	q := d.Quirks()
	require.NotEmpty(t, q)
	q[0].Active = !q[0].Active
	require.Equal(t, !q[0].Active, d.Quirk(q[0].Name))

	k := KnownDerived()
	k[0] = "changed"
	require.Equal(t, "action_family", KnownDerived()[0])

	var zero Column
	require.Empty(t, zero.Name())
	require.Nil(t, zero.Type())
	require.Nil(t, zero.Codes())
	_, ok := zero.Hash()
	require.False(t, ok)
	_, ok = zero.NullCode()
	require.False(t, ok)
}

func TestColumnDescriptions(t *testing.T) {
	d := Default()
	for _, c := range d.Columns() {
		require.NotEmpty(t, c.Meaning(), c.Name())
		require.NotNil(t, c.Type(), c.Name())
		require.Empty(t, c.Group(), c.Name())
		require.NotEmpty(t, c.Tier(), c.Name())
		h, isHash := c.Hash()
		null, hasNull := c.NullCode()
		oov, hasOOV := c.OOVCode()
		require.Equal(t, c.Categorical(), hasNull, c.Name())
		require.Equal(t, c.Categorical(), hasOOV, c.Name())
		if c.Categorical() {
			require.Less(t, null, len(c.Codes()))
			require.Less(t, oov, len(c.Codes()))
		}
		if isHash {
			require.Positive(t, h.Capacity, c.Name())
			desc, ok := d.HashAlgorithm(h.Algorithm)
			require.True(t, ok, h.Algorithm)
			require.NotEmpty(t, desc)
		}
	}
	for _, c := range d.RawColumns() {
		require.NotEmpty(t, c.Group(), c.Name())
		require.Empty(t, c.Tier(), c.Name())
		require.False(t, c.Categorical(), c.Name())
		rc, err := d.RawColumn(c.Name())
		require.NoError(t, err)
		require.Equal(t, c, rc)
	}
	require.Equal(t, "v0.2.1", d.CorpusRelease())
	require.NotEmpty(t, d.ParserVersion())
	require.NotEmpty(t, d.Description())
	_, err := d.RawColumn("f_action_family")
	require.ErrorIs(t, err, ErrUnknownColumn)
}
