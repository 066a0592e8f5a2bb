package corpus

// README.md: the corpus as a Hugging Face dataset. The Hub reads a
// dataset's card from README.md: YAML metadata between --- lines (licence,
// tags, task and size categories, and the configs that name each split's
// files), then Markdown. The Markdown here reuses the tables of
// datacard.md (Card.writeTables, one renderer for both files) and adds
// what a reader of a published dataset needs: its status, the columns,
// intended use, limitations, provenance and a citation to fill in.

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
	"go.yaml.in/yaml/v3"
)

// shardDir is the directory of the shards within a corpus.
const shardDir = "data"

// defaultLicense is the licence of the zero Config: the reference
// corpus's, CC BY 4.0, as the Hub spells it.
const defaultLicense = "cc-by-4.0"

// licenseID is the form of a Hub licence identifier (cc-by-4.0,
// apache-2.0, cc0-1.0, other, …).
var licenseID = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]{0,63}$`)

// hubMetadata is README.md's front matter, in the field names and order of
// the Hub's dataset card metadata (huggingface/hub-docs, datasetcard.md).
type hubMetadata struct {
	License        string      `yaml:"license"`
	PrettyName     string      `yaml:"pretty_name"`
	Tags           []string    `yaml:"tags"`
	TaskCategories []string    `yaml:"task_categories"`
	SizeCategories []string    `yaml:"size_categories"`
	Configs        []hubConfig `yaml:"configs"`
}

// hubConfig is one loader configuration: every split's files, listed by
// name so that a loader need not guess them from a pattern.
type hubConfig struct {
	Name      string         `yaml:"config_name"`
	DataFiles []hubDataFiles `yaml:"data_files"`
}

type hubDataFiles struct {
	Split string   `yaml:"split"`
	Path  []string `yaml:"path"`
}

// sizeCategories are the Hub's size_categories buckets: the first whose
// bound exceeds the row count names it; beyond the last, "n>1T".
var sizeCategories = []struct {
	below int64
	name  string
}{
	{1e3, "n<1K"}, {1e4, "1K<n<10K"}, {1e5, "10K<n<100K"}, {1e6, "100K<n<1M"},
	{1e7, "1M<n<10M"}, {1e8, "10M<n<100M"}, {1e9, "100M<n<1B"}, {1e10, "1B<n<10B"},
	{1e11, "10B<n<100B"}, {1e12, "100B<n<1T"},
}

// sizeCategory is the Hub's size category of a dataset of n rows.
func sizeCategory(n int64) string {
	for _, c := range sizeCategories {
		if n < c.below {
			return c.name
		}
	}
	return "n>1T"
}

// The front matter's tags: what the corpus is, and whether it is a
// release.
var (
	cardTags      = []string{"tetragon", "ebpf", "cybersecurity", "intrusion-detection", "host-intrusion-detection", "anomaly-detection"}
	labelledTags  = []string{"mitre-attack"}
	notReleaseTag = "not-a-release"
)

// releaseBlocker is one reason why a build must not be published as a
// release.
type releaseBlocker struct {
	tag string // the front matter tag that says it
	why string // the card's clause that says it
}

// releaseBlockers says why a build of p is not a release: it is not
// anonymized, its exec-id pseudonyms are keyed with the public demo key,
// or its policy lists no forbidden values and no sweep entries (the
// operator's own names, which only the operator knows). None: a release.
func (p *Plan) releaseBlockers() []releaseBlocker {
	if p.cfg.NoAnonymize {
		return []releaseBlocker{{"not-anonymized", "it is not anonymized"}}
	}
	var bs []releaseBlocker
	if bytes.Equal(p.key, demoKey) {
		bs = append(bs, releaseBlocker{"demo-key", "its exec-id pseudonyms are keyed with the built-in demonstration key, which is published with the code, so anyone holding an original exec id can recompute its pseudonym"})
	}
	if len(p.policy.Forbidden) == 0 && len(p.policy.Sweep) == 0 {
		bs = append(bs, releaseBlocker{"no-forbidden-values", "its anonymization policy lists no forbidden values, so the leak checks looked for none of the operator's, host's or project's names (only for addresses, rewritten paths and renamed binaries)"})
	}
	return bs
}

// shardSchema reads the Arrow schema stored in a written shard.
func shardSchema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	md := pf.MetaData()
	return pqarrow.FromParquet(md.Schema, &pqarrow.ArrowReadProperties{}, md.KeyValueMetadata())
}

// toolVersion is this module's version in the running program: a module
// version when it is a dependency, "(devel)" when built from a checkout,
// with the commit when the build recorded one.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	m := &bi.Main
	for _, d := range bi.Deps {
		if m.Path != module && d.Path == module {
			m = d
		}
	}
	if m.Path != module || m.Version == "" {
		return "unknown"
	}
	v := m.Version
	if m != &bi.Main {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		v += ", commit " + rev[:min(12, len(rev))]
		if modified == "true" {
			v += " with local changes"
		}
	}
	return v
}

// prettyName is the card's title and the front matter's pretty_name.
func (c *Card) prettyName() string {
	return "Tetragon host-intrusion-detection corpus (tetrahids, feature schema " + c.defs.SchemaVersion() + ")"
}

// rows is the number of rows of every split.
func (c *Card) rows() int64 {
	var n int64
	for _, s := range c.splits {
		n += s.rows
	}
	return n
}

// metadata returns README.md's front matter.
func (c *Card) metadata() hubMetadata {
	m := hubMetadata{
		License:        c.license,
		PrettyName:     c.prettyName(),
		Tags:           append([]string(nil), cardTags...),
		TaskCategories: []string{"tabular-classification"},
		SizeCategories: []string{sizeCategory(c.rows())},
	}
	if c.set != nil {
		m.Tags = append(m.Tags, labelledTags...)
	}
	if len(c.blockers) > 0 {
		m.Tags = append(m.Tags, notReleaseTag)
		for _, b := range c.blockers {
			m.Tags = append(m.Tags, b.tag)
		}
	}
	cfg := hubConfig{Name: "default"}
	for _, s := range c.splits {
		cfg.DataFiles = append(cfg.DataFiles, hubDataFiles{Split: s.name, Path: append([]string(nil), s.files...)})
	}
	m.Configs = []hubConfig{cfg}
	return m
}

// writeFrontMatter writes the metadata as YAML between --- lines. The YAML
// library quotes whatever needs quoting, so no value can end the block
// or add a field.
func (c *Card) writeFrontMatter(b *strings.Builder) error {
	var y bytes.Buffer
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(c.metadata()); err != nil {
		return fmt.Errorf("dataset card metadata: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("dataset card metadata: %w", err)
	}
	b.WriteString("---\n")
	b.Write(y.Bytes())
	b.WriteString("---\n\n")
	return nil
}

// writeStatus says whether the corpus is anonymized and whether it is a
// release, and why not: the first paragraph of both datacard.md and
// README.md.
func (c *Card) writeStatus(b *strings.Builder) {
	const steps = "basenames aliased as listed in `reproduction/alias_map.json`, working directories rewritten, exec ids replaced by keyed HMAC pseudonyms, a final sweep over every string column"
	switch {
	case !c.anonymized:
		b.WriteString("**NOT A RELEASE: NOT ANONYMIZED** (built with `-no-anonymize`, Config.NoAnonymize): the shards hold original basenames, working directories and exec ids. For local research only; do not publish.\n\n")
	case len(c.blockers) > 0:
		var whys []string
		for _, bl := range c.blockers {
			whys = append(whys, bl.why)
		}
		fmt.Fprintf(b, "**NOT A RELEASE.** Anonymized (%s; the post-write leak checks of every released file passed), but %s. "+
			"Do not publish it: rebuild with a secret key (`-hmac-key-file`) and a policy that lists your operator, host and project names (`-policy`).\n\n",
			steps, strings.Join(whys, "; and "))
	default:
		fmt.Fprintf(b, "Anonymized for release: %s. Every released file passed the post-write leak checks (the Parquet shards as read back from disk, and every other file, this card included)", steps)
		if c.policyDigest != "" {
			fmt.Fprintf(b, " under the policy with digest `%s`", c.policyDigest)
		}
		b.WriteString(".")
		c.writeRedacted(b)
		b.WriteString("\n\n")
	}
}

// writeRedacted says how many alias-map originals are published as keyed
// digests, if any.
func (c *Card) writeRedacted(b *strings.Builder) {
	if n := c.redactedAliases; n > 0 {
		fmt.Fprintf(b, " %d alias-map %s whose original basename matched the anonymization policy %s published as keyed digests; the full map is kept privately, outside the release.",
			n, plural(n, "entry", "entries"), plural(n, "is", "are"))
	}
}

// WriteDatasetCard renders README.md, the corpus's Hugging Face dataset
// card: YAML metadata (licence, tags, task and size categories, and a
// config listing every split's shards, as AddShards recorded them), the
// status (a build that is not anonymized, uses the built-in demo key or a
// policy without forbidden values says first that it is not a release,
// and is tagged not-a-release), a description, intended use and
// limitations, a table of the columns generated from the shards' schema
// and the feature definitions, the tables of datacard.md, how the corpus
// was built, the licence and a citation to fill in. Call it after every
// Add and AddShards.
func (c *Card) WriteDatasetCard(w io.Writer, m CardInfo) error {
	var b strings.Builder
	if err := c.writeFrontMatter(&b); err != nil {
		return err
	}
	fmt.Fprintf(&b, "# %s\n\n", c.prettyName())
	c.writeStatus(&b)
	c.writeSummary(&b)
	c.writeUse(&b)
	c.writeColumns(&b)
	c.writeTables(&b, m)
	c.writeProvenance(&b, m)
	c.writeLicense(&b, m)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSummary says what the corpus is and how to load it.
func (c *Card) writeSummary(b *strings.Builder) {
	var parts []string
	for _, s := range c.splits {
		parts = append(parts, fmt.Sprintf("%s %s", s.name, numfmt.Group(s.rows)))
	}
	fmt.Fprintf(b, "Linux host events recorded by [Tetragon](https://tetragon.io) (eBPF: process executions and exits, and kernel probes on file, memory, credential and network functions), "+
		"one row per event, encoded into the feature space of the v0.2 Tetragon-native HIDS corpus (feature schema %s, release %s): "+
		"%s rows (%s) of %d columns.",
		c.defs.SchemaVersion(), c.defs.CorpusRelease(), numfmt.Group(c.rows()), strings.Join(parts, ", "), len(c.columns()))
	if c.set != nil {
		fmt.Fprintf(b, " Events are labelled by %d time windows of ATT&CK technique trials (`labels.csv`).", c.set.Len())
	}
	b.WriteString("\n\n## Loading\n\n" +
		"The metadata above lists every shard of each split, so a loader finds the splits without guessing:\n\n" +
		"```python\nfrom datasets import load_dataset\nds = load_dataset(\"path/to/this/directory\")  # or the Hub repository's id\n```\n\n" +
		"The shards are plain Parquet; DuckDB, for one, reads them as they are: `SELECT f_action_family, count(*) FROM 'data/test-*.parquet' GROUP BY ALL`. " +
		"`reproduction/feature_definitions.json` maps every code to its label and says how each column is derived.\n\n")
}

// writeUse states the intended use and the limitations, after the
// reference corpus's card, with this corpus's numbers where it has them.
func (c *Card) writeUse(b *strings.Builder) {
	b.WriteString("## Intended use\n\n" +
		"- Training and evaluating host intrusion and anomaly detectors on Linux process, file, memory, credential and network events: fit on the train split, score the test split, and compare with the labels per event, per technique and per labelled window.\n" +
		"- Scoring live hosts in the same feature space: tetrahids encodes a live Tetragon stream into these columns with the same definitions, so a model trained here can score it.\n" +
		"- Reproducing or extending the reference corpus's baselines (an n-gram model of event tokens, IsolationForest) and comparing new detectors with them.\n\n" +
		"It is not meant for estimating alert rates or false-positive costs on production hosts (see the limitations), nor for any attempt to find out who or what produced the events.\n\n" +
		"## Limitations\n\n")
	if c.set != nil {
		b.WriteString("- The labels are time windows of attack trials, not per-event ground truth: every event inside a window counts as an attack, background activity included.\n")
		var trainAtt int64
		if s := c.split(SplitTrain); s != nil {
			trainAtt = s.attacks()
		}
		if trainAtt == 0 {
			b.WriteString("- The train split holds no attack events: it suits detectors fitted on benign activity (novelty and anomaly detection); a supervised classifier has no positive training examples.\n")
		} else {
			fmt.Fprintf(b, "- The train split holds %s attack events.\n", numfmt.Group(trainAtt))
		}
		if s := c.split(SplitTest); s != nil && s.rows > 0 {
			fmt.Fprintf(b, "- %s of the test split's events are attacks, far more than on a production host: precision and alert volume measured on it are optimistic.\n", pct(s.attacks(), s.rows))
		}
	} else {
		b.WriteString("- The corpus has no labels: it describes activity, not attacks.\n")
	}
	b.WriteString("- What the sensor was set up to see decides what the corpus holds: Tetragon's tracing policies choose the kernel functions observed, and only Linux hosts are covered. " +
		"The reference corpus comes from one developer container on one host over six days (Tetragon 1.6.1, seven tracing policies, 12 kprobes); a corpus of few hosts carries their software and habits, and detectors trained on it learn them.\n" +
		"- Hashed columns map many names onto fewer buckets (the capacities are in the column table): different binaries or directories can share a bucket.\n" +
		"- Anonymization removes names, not behaviour: the timing and sequence of events can still be characteristic of the people who worked on the host.\n\n")
}

// cardColumn is one row of the column table.
type cardColumn struct {
	name, typ string
	def       schema.Column // the zero Column for the label columns
}

// columns are the columns of the written shards (of the first split that
// has any), or, before AddShards, the encoded schema and the label
// columns the build appends.
func (c *Card) columns() []cardColumn {
	var fields []arrow.Field
	for _, s := range c.splits {
		if s.fields != nil {
			fields = s.fields
			break
		}
	}
	if fields == nil {
		fields = c.defs.EncodedSchema().Fields()
		if c.set != nil && c.labelCols {
			fields = append(fields, arrow.Field{Name: labels.ColIsAttack, Type: arrow.FixedWidthTypes.Boolean},
				arrow.Field{Name: labels.ColLabelTechnique, Type: arrow.BinaryTypes.String, Nullable: true})
		}
	}
	cols := make([]cardColumn, len(fields))
	for i, f := range fields {
		cols[i] = cardColumn{name: f.Name, typ: f.Type.String()}
		cols[i].def, _ = c.defs.Column(f.Name)
	}
	return cols
}

// writeColumns renders the column table from the shards' schema and the
// feature definitions: name, Arrow type, meaning, the codes with their
// labels or the hash capacity, and the codes of null and out-of-vocabulary
// inputs.
func (c *Card) writeColumns(b *strings.Builder) {
	b.WriteString("## Columns\n\n" +
		"Integer codes are model inputs; hashed columns hold a bucket number below their capacity; the side columns (strings, flags, durations) are kept for analysis and joins. " +
		"The identifiers and the side strings are anonymized as described under \"How it was built\".\n\n" +
		"| column | Arrow type | meaning | codes or hash capacity | null / OOV code |\n|---|---|---|---|---|\n")
	for _, col := range c.columns() {
		meaning, codes, special := "", "–", "–"
		switch d := col.def; {
		case d.Name() != "":
			meaning = d.Meaning()
			if d.Categorical() {
				var cs []string
				for _, code := range d.Codes() {
					cs = append(cs, fmt.Sprintf("%d %s", code.Code, code.Label))
				}
				codes = strings.Join(cs, ", ")
				var sp []string
				if null, ok := d.NullCode(); ok {
					sp = append(sp, fmt.Sprintf("null %d", null))
				}
				if oov, ok := d.OOVCode(); ok {
					sp = append(sp, fmt.Sprintf("OOV %d", oov))
				}
				if len(sp) > 0 {
					special = strings.Join(sp, ", ")
				}
			}
			if h, ok := d.Hash(); ok {
				codes = fmt.Sprintf("%s buckets (%s of the %s)", numfmt.Group(int64(h.Capacity)), h.Algorithm, h.Input)
			}
		case col.name == labels.ColIsAttack:
			meaning = "The event's time falls inside a labels window (see Labels)."
			codes = "true, false"
		case col.name == labels.ColLabelTechnique:
			meaning = "The ATT&CK technique (or chain) id of that window."
			special = "null when benign"
		}
		if col.def.Nullable() && special == "–" {
			special = "may be null"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(col.name), mdCell(col.typ), mdCell(meaning), mdCell(codes), mdCell(special))
	}
	b.WriteString("\n")
}

// writeProvenance says how the corpus was built.
func (c *Card) writeProvenance(b *strings.Builder, m CardInfo) {
	d := c.defs
	b.WriteString("\n## How it was built\n\n")
	fmt.Fprintf(b, "- Tool: %s, tetrahids version %s, on %s.\n", c.toolText(), toolVersion(), m.Built.UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "- Feature schema %s (the reference release %s), parser %s; `reproduction/` holds the definitions and the parser version.\n",
		d.SchemaVersion(), d.CorpusRelease(), d.ParserVersion())
	fmt.Fprintf(b, "- Input: %s.\n", m.Inputs)
	fmt.Fprintf(b, "- Split: %s\n", m.SplitRule)
	for _, f := range m.Filters {
		fmt.Fprintf(b, "- %s\n", f)
	}
	if c.split(SplitTrain) != nil && c.split(SplitTest) != nil {
		b.WriteString("- Lineage: process trees are walked over every train event first, then every test event, as the reference pipeline does, so the test split's lineage features see the processes started during train.\n")
	}
	if c.anonymized {
		fmt.Fprintf(b, "- Anonymization (package anonymize): %s, "+
			"then the shards are read back from disk and checked for every forbidden value, rewritten path, renamed binary and address pattern, raw or base64-encoded. ", "basename aliases, working-directory rules, HMAC exec-id pseudonyms and a final sweep")
		if c.policyDigest != "" {
			fmt.Fprintf(b, "Policy digest: `%s` (keyed with the build's HMAC key, so whoever holds the key can check which policy built the corpus, and nobody else can test guesses at the names it lists).\n", c.policyDigest)
		} else {
			b.WriteString("No policy digest is given: keyed with the public demonstration key, it would let anyone test guesses at the names the policy lists.\n")
		}
	} else {
		b.WriteString("- Anonymization: none (`-no-anonymize`).\n")
	}
	b.WriteString("- Every counter of the build (lines read, kept and dropped by reason, lineage and encoder statistics, timings) is in `stats.json`; the tables above are also in `datacard.md`.\n\n")
}

// writeLicense writes the licence and the citation to fill in.
func (c *Card) writeLicense(b *strings.Builder, m CardInfo) {
	fmt.Fprintf(b, "## License\n\n`%s` (a Hugging Face Hub licence identifier). The feature definitions are those of the v0.2 Tetragon-native HIDS corpus, released under CC BY 4.0.\n\n", c.license)
	fmt.Fprintf(b, "## Citation\n\nFill in this corpus's own entry before publishing it, and cite the v0.2 Tetragon-native HIDS corpus, whose feature space it reuses, as its card asks.\n\n"+
		"```bibtex\n@misc{TODO_key,\n  title        = {TODO: title of this corpus},\n  author       = {TODO},\n  year         = {%d},\n  howpublished = {TODO: URL of the dataset},\n"+
		"  note         = {Built with tetrahids (%s), feature schema %s}\n}\n```\n",
		m.Built.UTC().Year(), module, c.defs.SchemaVersion())
}

// cardFilters says, for README.md, how input lines became rows: the
// selection (cardSelection: an anonymized build does not record the
// selectors' values, which may name hosts or workloads), the sentinel
// windows, the line accounting and the row order.
func (b *builder) cardFilters() []string {
	total := b.parsedStats()
	fs := []string{b.cardSelection(&total)}
	if len(b.sents) > 0 {
		fs = append(fs, fmt.Sprintf("Sentinel windows: %d periods (set-up, smoke tests) whose events were dropped.", len(b.sents)))
	}
	var drops []string
	m := total.Map()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasPrefix(k, "drop_") && m[k] > 0 {
			drops = append(drops, fmt.Sprintf("%s %s", strings.TrimPrefix(k, "drop_"), numfmt.Group(m[k])))
		}
	}
	acc := fmt.Sprintf("Lines: %s read, %s kept as rows, %s dropped", numfmt.Group(total.LinesRead), numfmt.Group(total.Kept()), numfmt.Group(total.Dropped()))
	if len(drops) > 0 {
		acc += " (" + strings.Join(drops, ", ") + ")"
	}
	acc += fmt.Sprintf(", %s blank, %s unreadable", numfmt.Group(total.Blank), numfmt.Group(total.Errors()))
	if b.noTime > 0 {
		acc += fmt.Sprintf("; %s rows without an event_time dropped by the cut", numfmt.Group(b.noTime))
	}
	fs = append(fs, acc+".")
	order := "Row order: input order, file by file (the reference pipeline's)."
	if b.cfg.Order == tetraparse.TimeOrder {
		order = "Row order: sorted by event time."
	}
	return append(fs, order)
}
