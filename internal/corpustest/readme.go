package corpustest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
	"go.yaml.in/yaml/v3"
)

// FrontMatter is the Hugging Face dataset card metadata of a corpus's
// README.md, as the tests read it.
type FrontMatter struct {
	License        string   `yaml:"license"`
	PrettyName     string   `yaml:"pretty_name"`
	Tags           []string `yaml:"tags"`
	TaskCategories []string `yaml:"task_categories"`
	SizeCategories []string `yaml:"size_categories"`
	Configs        []struct {
		Name      string `yaml:"config_name"`
		DataFiles []struct {
			Split string   `yaml:"split"`
			Path  []string `yaml:"path"`
		} `yaml:"data_files"`
	} `yaml:"configs"`
}

// SplitFiles returns the files the default config lists, by split, in
// order.
func (fm *FrontMatter) SplitFiles(t testing.TB) map[string][]string {
	t.Helper()
	require.Len(t, fm.Configs, 1, "one config")
	require.Equal(t, "default", fm.Configs[0].Name)
	files := map[string][]string{}
	for _, df := range fm.Configs[0].DataFiles {
		require.NotContains(t, files, df.Split, "split %s listed twice", df.Split)
		files[df.Split] = df.Path
	}
	return files
}

// ReadFrontMatter reads out/README.md: its YAML front matter, decoded
// strictly (an unknown field fails), and the Markdown after it.
func ReadFrontMatter(t testing.TB, out string) (FrontMatter, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "README.md"))
	require.NoError(t, err)
	rest, ok := strings.CutPrefix(string(data), "---\n")
	require.True(t, ok, "README.md starts with ---")
	yml, body, ok := strings.Cut(rest, "\n---\n")
	require.True(t, ok, "the front matter ends with ---")
	var fm FrontMatter
	dec := yaml.NewDecoder(strings.NewReader(yml + "\n"))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&fm))
	return fm, body
}

// hubSizeCategory is the Hub's size category of n rows: n<1K, 1K<n<10K,
// …, 100B<n<1T, n>1T.
func hubSizeCategory(n int64) string {
	units := []string{"", "K", "M", "B", "T"}
	if n < 1000 {
		return "n<1K"
	}
	for e, lo := 3, int64(1000); e < 12; e, lo = e+1, lo*10 {
		if n < lo*10 {
			name := func(e int) string { return strconv.Itoa(pow10(e%3)) + units[e/3] }
			return name(e) + "<n<" + name(e+1)
		}
	}
	return "n>1T"
}

func pow10(e int) int {
	p := 1
	for range e {
		p *= 10
	}
	return p
}

// CheckFrontMatter checks README.md's metadata against the written corpus:
// every split's shards listed by path, in order, and nothing else; the
// size category of the row count; the licence; and the not-a-release tag
// exactly when the card's status says so.
func CheckFrontMatter(t testing.TB, out string) FrontMatter {
	t.Helper()
	fm, body := ReadFrontMatter(t, out)
	assert.Regexp(t, `^[a-z0-9][a-z0-9.+-]*$`, fm.License)
	assert.NotEmpty(t, fm.PrettyName)
	assert.Contains(t, fm.TaskCategories, "tabular-classification")
	var rows int64
	files := fm.SplitFiles(t)
	entries, err := os.ReadDir(filepath.Join(out, "data"))
	require.NoError(t, err)
	listed := 0
	for split, paths := range files {
		var want []string
		for _, p := range Shards(t, out, split) {
			want = append(want, "data/"+filepath.Base(p))
		}
		require.NotEmpty(t, want, "split %s has shards", split)
		assert.Equal(t, want, paths, "split %s", split)
		for _, p := range paths {
			_, err := os.Stat(filepath.Join(out, filepath.FromSlash(p)))
			require.NoError(t, err, "listed file %s", p)
		}
		listed += len(paths)
		rows += RowCount(ReadParquet(t, Shards(t, out, split)))
	}
	assert.Len(t, entries, listed, "every file in data/ is listed")
	assert.Equal(t, []string{hubSizeCategory(rows)}, fm.SizeCategories, "%d rows", rows)
	notRelease := strings.Contains(firstParagraphs(body), "NOT A RELEASE")
	assert.Equal(t, notRelease, hasTag(fm, "not-a-release"), "the tag says what the card's first lines say")
	return fm
}

func hasTag(fm FrontMatter, tag string) bool {
	for _, x := range fm.Tags {
		if x == tag {
			return true
		}
	}
	return false
}

// firstParagraphs returns the title and the first paragraph of a card's
// Markdown: where its status must be.
func firstParagraphs(body string) string {
	paras := strings.SplitN(strings.TrimLeft(body, "\n"), "\n\n", 3)
	return strings.Join(paras[:min(2, len(paras))], "\n\n")
}

// Status returns the first lines of out/README.md after the front matter:
// the title and the status paragraph.
func Status(t testing.TB, out string) string {
	t.Helper()
	_, body := ReadFrontMatter(t, out)
	return firstParagraphs(body)
}

// CheckColumns checks README.md's column table against the corpus's
// feature definitions (reproduction/feature_definitions.json) and the
// shards' schema: one row per column of the shards, in order, with its
// Arrow type, meaning, every code and label of a categorical with its
// null and out-of-vocabulary codes, and the capacity of a hash column.
func CheckColumns(t testing.TB, out string) {
	t.Helper()
	_, body := ReadFrontMatter(t, out)
	tab := ParseTables(t, body)["Columns"]
	defData, err := os.ReadFile(filepath.Join(out, "reproduction", "feature_definitions.json"))
	require.NoError(t, err)
	defs, err := schema.Load(bytes.NewReader(defData))
	require.NoError(t, err)
	recs := ReadParquet(t, Shards(t, out, "train"))
	require.NotEmpty(t, recs)
	fields := recs[0].Schema().Fields()
	require.Len(t, tab.Rows, len(fields), "one row per column of the shards")
	inDefs := 0
	for i, f := range fields {
		row := tab.Rows[i]
		require.Equal(t, f.Name, row[0], "row %d", i)
		assert.Equal(t, f.Type.String(), tab.Cell(t, row, "Arrow type"), f.Name)
		codes, special := tab.Cell(t, row, "codes or hash capacity"), tab.Cell(t, row, "null / OOV code")
		c, err := defs.Column(f.Name)
		if err != nil {
			assert.Contains(t, []string{labels.ColIsAttack, labels.ColLabelTechnique}, f.Name, "a column outside the definitions")
			assert.NotEmpty(t, tab.Cell(t, row, "meaning"), f.Name)
			continue
		}
		inDefs++
		assert.Equal(t, c.Type().String(), f.Type.String(), "%s: the shards' type is the definitions'", f.Name)
		assert.Equal(t, c.Meaning(), tab.Cell(t, row, "meaning"), f.Name)
		h, isHash := c.Hash()
		switch {
		case c.Categorical():
			entries := strings.Split(codes, ", ")
			require.Len(t, entries, len(c.Codes()), "%s: every code", f.Name)
			for k, code := range c.Codes() {
				assert.Equal(t, strconv.Itoa(code.Code)+" "+code.Label, entries[k], f.Name)
			}
			null, _ := c.NullCode()
			assert.Contains(t, special, "null "+strconv.Itoa(null), f.Name)
			oov, _ := c.OOVCode()
			assert.Contains(t, special, "OOV "+strconv.Itoa(oov), f.Name)
		case isHash:
			n, _, ok := strings.Cut(codes, " buckets")
			require.True(t, ok, "%s: %q", f.Name, codes)
			assert.EqualValues(t, h.Capacity, MdInt(t, n), f.Name)
		default:
			assert.Equal(t, "–", codes, f.Name)
		}
	}
	assert.Equal(t, len(defs.Columns()), inDefs, "every column of the definitions is in the table")
}
