package corpus

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Split names, in output order.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// splitAll names the input set of Config.In, which the cut splits.
const splitAll = "all"

// setFields names the Config field of each input set.
var setFields = map[string]string{splitAll: "In", SplitTrain: "TrainIn", SplitTest: "TestIn"}

// Plan is a checked Config: every field validated, every file a field
// names read and parsed, the inputs listed, nothing written. Build runs
// one; its methods hand out the stages configured exactly as Build
// configures them, for a runner that drives the stages itself (per node,
// per day). A Plan is immutable and safe for concurrent use; what its
// methods return is not shared.
type Plan struct {
	cfg     Config
	defs    *schema.Definitions
	sents   []tetraparse.Window
	set     *labels.Set // nil without labels
	lblCSV  []byte      // Out/labels.csv: the release form, or as read (NoAnonymize)
	policy  anonymize.Policy
	key     []byte
	rawCols []string
	sets    []inputSet // the input sets; the sample's are listed by Build
	cut     int64      // first test time when splitting by time; MaxInt64: none
	rule    string     // how rows are split, for stats.json and the card
	splits  []string
	out     string // absolute
	lineage string // absolute LineageOut, or ""
	private string // absolute PrivateAliasMap, or ""
	digest  string // the policy's keyed digest (policyDigest), or ""
	mem     memory.Allocator
}

// NewPlan checks cfg and loads everything it names. It returns a
// *ConfigError naming the field for anything it cannot use. Out and the
// inputs may be left empty in a Plan that only hands out stages; Build
// needs them.
func NewPlan(cfg Config) (*Plan, error) {
	c := cfg.withDefaults()
	p := &Plan{cfg: c, cut: math.MaxInt64, mem: memory.DefaultAllocator}
	inputs := len(c.In) + len(c.TrainIn) + len(c.TestIn)
	switch {
	case len(c.In) > 0 && len(c.TrainIn)+len(c.TestIn) > 0:
		return nil, configErr("In", "use either In (with Cut) or TrainIn/TestIn, not both")
	case !c.Cut.IsZero() && len(c.TrainIn)+len(c.TestIn) > 0:
		return nil, configErr("Cut", "Cut splits In; TrainIn/TestIn are already split")
	case c.Sample && (inputs > 0 || !c.Cut.IsZero() || c.LabelsFile != "" || c.SentinelsFile != "" || len(c.TargetInums) > 0 || len(c.Select) > 0 || c.KeepWithoutNamespace):
		return nil, configErr("Sample", "the built-in sample has its own inputs, cut, labels and target: leave In, TrainIn, TestIn, Cut, LabelsFile, SentinelsFile, TargetInums, Select and KeepWithoutNamespace empty")
	case len(c.Select) > 0 && len(c.TargetInums) > 0:
		return nil, configErr("Select", "Select replaces TargetInums: name the PID namespaces as selectors (pid-ns=INUM)")
	case c.KeepWithoutNamespace && len(c.TargetInums) > 0:
		return nil, configErr("KeepWithoutNamespace", "events without a namespace cannot match TargetInums: pick the target with Select")
	case c.ShardRows < 0:
		return nil, configErr("ShardRows", "%d: must not be negative", c.ShardRows)
	case c.RowGroupRows < 0:
		return nil, configErr("RowGroupRows", "%d: must not be negative", c.RowGroupRows)
	case c.BatchRows < 0:
		return nil, configErr("BatchRows", "%d: must not be negative", c.BatchRows)
	case c.Workers < 0:
		return nil, configErr("Workers", "%d: must not be negative", c.Workers)
	case !knownSpillCodec(c.SpillCompression):
		return nil, configErr("SpillCompression", "%q: want none, lz4 or zstd", c.SpillCompression)
	case c.Order != tetraparse.FileOrder && c.Order != tetraparse.TimeOrder:
		return nil, configErr("Order", "%d: want tetraparse.FileOrder or TimeOrder", c.Order)
	case c.NoAnonymize && (c.HMACKeyFile != "" || c.PolicyFile != "" || c.PrivateAliasMap != ""):
		return nil, configErr("NoAnonymize", "HMACKeyFile, PolicyFile and PrivateAliasMap configure anonymization, which NoAnonymize skips")
	case !licenseID.MatchString(c.License):
		return nil, configErr("License", "%q: want a Hugging Face Hub licence identifier such as cc-by-4.0, cc0-1.0 or other (lower case, no spaces)", c.License)
	}
	// Input problems first: they are what a user gets wrong most.
	if err := p.loadInputs(); err != nil {
		return nil, err
	}
	if len(c.Select) > 0 {
		if _, err := tetraparse.New(p.ParserConfig()); err != nil {
			return nil, &ConfigError{Field: "Select", Err: err}
		}
	}
	var err error
	if p.defs, err = loadSchema(c.Schema); err != nil {
		return nil, &ConfigError{Field: "Schema", Err: err}
	}
	if c.SentinelsFile != "" {
		if p.sents, err = readWindows(c.SentinelsFile); err != nil {
			return nil, &ConfigError{Field: "SentinelsFile", Err: err}
		}
	}
	if err := p.loadLabels(); err != nil {
		return nil, err
	}
	if err := p.splitRule(); err != nil {
		return nil, err
	}
	if !c.NoAnonymize {
		if err := p.loadAnonymization(); err != nil {
			return nil, err
		}
	}
	// The raw table is only an intermediate here: parse and spill just
	// the columns the encoder reads.
	probe, err := encode.New(p.defs, nil)
	if err != nil {
		return nil, &ConfigError{Field: "Schema", Err: err}
	}
	p.rawCols = probe.RawColumns()
	if c.LineageOut != "" {
		if p.lineage, err = checkLineageOut(c.LineageOut, p.out); err != nil {
			return nil, &ConfigError{Field: "LineageOut", Err: err}
		}
	}
	if err := p.checkPrivateAliasMap(); err != nil {
		return nil, err
	}
	return p, nil
}

// loadInputs lists the input sets, warns about what their directories
// hold besides export files, and checks Out and that no input is inside
// it.
func (p *Plan) loadInputs() error {
	c := &p.cfg
	for _, x := range []struct {
		name string
		args []string
	}{{splitAll, c.In}, {SplitTrain, c.TrainIn}, {SplitTest, c.TestIn}} {
		if len(x.args) == 0 {
			continue
		}
		set, err := expandInputs(x.name, x.args)
		if err != nil {
			return &ConfigError{Field: setFields[x.name], Err: err}
		}
		c.warnSkipped(set)
		p.sets = append(p.sets, set)
	}
	if c.Out == "" {
		return nil
	}
	var err error
	if p.out, err = checkOut(*c); err != nil {
		return err
	}
	for _, set := range p.sets {
		if err := checkInputsOutside(set, p.out); err != nil {
			return &ConfigError{Field: setFields[set.name], Err: err}
		}
	}
	return nil
}

// warn hands a warning to Config.OnWarning, or to slog's default logger.
func (c *Config) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.OnWarning != nil {
		c.OnWarning(msg)
		return
	}
	slog.Warn(msg, "package", "corpus")
}

// loadSchema resolves Config.Schema: an embedded version or a definitions
// file.
func loadSchema(v string) (*schema.Definitions, error) {
	if strings.HasSuffix(v, ".json") || strings.ContainsRune(v, os.PathSeparator) {
		f, err := os.Open(v)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		d, err := schema.Load(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v, err)
		}
		return d, nil
	}
	d, err := schema.Version(v)
	if err != nil {
		return nil, fmt.Errorf("%q: %w (embedded versions: %s; or name a feature_definitions.json)", v, err, strings.Join(schema.EmbeddedVersions(), ", "))
	}
	return d, nil
}

func readWindows(path string) ([]tetraparse.Window, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ws, err := tetraparse.ReadWindows(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}

// loadLabels reads LabelsFile (or the sample's labels), checking the
// technique ids, prepares Out/labels.csv and warns about overlapping
// windows.
func (p *Plan) loadLabels() error {
	c := &p.cfg
	var opts []labels.LoadOption
	if c.TechniquePattern != "" {
		re, err := regexp.Compile(c.TechniquePattern)
		if err != nil {
			return &ConfigError{Field: "TechniquePattern", Err: err}
		}
		opts = append(opts, labels.WithTechniquePattern(re))
	}
	var err error
	switch {
	case c.Sample:
		p.lblCSV, _ = sampleFS.ReadFile("sample/labels.csv")
		if p.set, err = labels.Load(bytes.NewReader(p.lblCSV), opts...); err != nil {
			return fmt.Errorf("built-in sample labels: %w", err)
		}
	case c.LabelsFile != "":
		if p.lblCSV, err = os.ReadFile(c.LabelsFile); err != nil {
			return &ConfigError{Field: "LabelsFile", Err: err}
		}
		if p.set, err = labels.LoadFile(c.LabelsFile, opts...); err != nil {
			return &ConfigError{Field: "LabelsFile", Err: err} // LoadFile's errors name the file and line
		}
	default:
		return nil
	}
	if !c.NoAnonymize {
		// A release publishes the documented columns only; free-text
		// notes stay home.
		var b bytes.Buffer
		if err := p.set.WriteRelease(&b); err != nil {
			return &ConfigError{Field: "LabelsFile", Err: err}
		}
		p.lblCSV = b.Bytes()
	}
	for _, ov := range p.set.Overlaps() {
		w1, _ := p.set.Window(ov.First)
		w2, _ := p.set.Window(ov.Second)
		c.warn("labels windows on lines %d and %d overlap from %s to %s; the later-starting window labels the overlap",
			w1.Line, w2.Line, labels.FormatTime(ov.From), labels.FormatTime(ov.To))
	}
	return nil
}

// splitRule decides the splits, the cut and the sentence that describes
// them.
func (p *Plan) splitRule() error {
	c := &p.cfg
	cut := c.Cut
	if c.Sample {
		_, sampleCut, err := loadSampleParams()
		if err != nil {
			return err
		}
		cut = sampleCut
	}
	if len(c.In) == 0 && !c.Sample {
		p.rule = "Train and test come from separate inputs (-train-in, -test-in); every row of each is kept in its split."
		if len(c.TrainIn) > 0 {
			p.splits = append(p.splits, SplitTrain)
		}
		if len(c.TestIn) > 0 {
			p.splits = append(p.splits, SplitTest)
		}
		return nil
	}
	switch {
	case !cut.IsZero():
		p.cut = cut.UnixNano()
		p.rule = fmt.Sprintf("Rows are split by time at %s: event_time before it is train, from it on test (rows without an event_time are dropped).", labels.FormatTime(p.cut))
	case p.set != nil && p.set.Len() > 0:
		p.cut = p.set.Windows()[0].Start
		p.rule = fmt.Sprintf("Rows are split by time at %s, the start of the first labels window (no -cut): event_time before it is train, from it on test (rows without an event_time are dropped).", labels.FormatTime(p.cut))
	default:
		p.rule = "Every row is train (no -cut and no labels)."
	}
	if p.set != nil && p.cut != math.MaxInt64 {
		if _, err := p.set.Split(p.cut); err != nil {
			return configErr("Cut", "%s: %w (train must be benign-only: move the cut before the first window)", labels.FormatTime(p.cut), err)
		}
	}
	p.splits = []string{SplitTrain}
	if p.cut != math.MaxInt64 {
		p.splits = append(p.splits, SplitTest)
	}
	return nil
}

// Definitions returns the feature definitions of the build.
func (p *Plan) Definitions() *schema.Definitions { return p.defs }

// Labels returns the labels windows, or nil without labels.
func (p *Plan) Labels() *labels.Set { return p.set }

// ParserConfig returns the configuration of the parse stage: the
// definitions, target (inums or selectors, events without a namespace),
// sentinel windows, node name, batch size, workers, order, line limit and
// bad-file rule of the Config, and only the raw columns the encoder
// reads. The caller may set TempDir, OnRead and OnLineError before
// tetraparse.New.
func (p *Plan) ParserConfig() tetraparse.Config {
	c := &p.cfg
	return tetraparse.Config{
		Definitions:          p.defs,
		TargetInums:          append([]uint64(nil), c.TargetInums...),
		Select:               append([]tetraparse.Selector(nil), c.Select...),
		KeepWithoutNamespace: c.KeepWithoutNamespace,
		Sentinels:            append([]tetraparse.Window(nil), p.sents...),
		NodeName:             c.NodeName,
		BatchSize:            c.BatchRows,
		Workers:              c.Workers,
		Order:                c.Order,
		Columns:              append([]string(nil), p.rawCols...),
		Allocator:            p.mem,
		MaxLineBytes:         c.MaxLineBytes,
		SkipBadFiles:         c.SkipBadFiles,
	}
}

// NewEncoder returns the encode stage for one split: an Encoder over g
// (which must hold the split's lineage, train rows before test rows, and
// not change while the encoder runs) with the Config's workers. The
// encoder carries per-process state from batch to batch, so one split's
// batches go through one encoder, in order.
func (p *Plan) NewEncoder(g *lineage.Graph) (*encode.Encoder, error) {
	return encode.New(p.defs, g, encode.WithAllocator(p.mem), encode.WithWorkers(p.workers()))
}

// Label is the label stage: it appends is_attack and technique_id to an
// encoded (or anonymized) batch when there are labels and label columns
// are wanted, and returns rec itself otherwise. It takes ownership of
// rec.
func (p *Plan) Label(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if p.set == nil || p.cfg.NoLabelColumns {
		return rec, nil
	}
	out, err := p.set.AppendLabels(rec, p.mem)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("labelling: %w", err)
	}
	return out, nil
}

// NewAnonymizer returns the anonymize stage, a new anonymize.Pipeline
// with the Config's policy and key and strict aliases, or nil for a
// NoAnonymize build. The pipeline is used in two passes: Observe every
// encoded batch of every split, Freeze, then Apply to each batch before
// it is labelled and written; alias numbers depend on every basename of
// the whole corpus, so all partitions must be observed before any is
// applied.
func (p *Plan) NewAnonymizer() (*anonymize.Pipeline, error) {
	if p.cfg.NoAnonymize {
		return nil, nil
	}
	return anonymize.New(p.policy, anonymize.WithKey(p.key), anonymize.WithDefinitions(p.defs),
		anonymize.WithAllocator(p.mem), anonymize.WithStrictAliases())
}

// NewShardWriter returns the writer of one split's shards in dir, with
// the Config's shard and row-group sizes and the schema version in the
// files' metadata.
func (p *Plan) NewShardWriter(dir, split string) *ShardWriter {
	return newShardWriter(dir, split, p.cfg.ShardRows, p.cfg.RowGroupRows, p.defs.EncodedSchema().Metadata(), p.createdBy())
}

// NewCard returns an empty datacard for the named splits (in the card's
// column order), for the build's definitions and labels, licence and
// anonymization (whether it makes a release, the policy's digest).
func (p *Plan) NewCard(splits ...string) *Card {
	c := newCard(p.defs, p.set, splits...)
	c.tool, c.anonymized, c.labelCols = p.cfg.Tool, !p.cfg.NoAnonymize, !p.cfg.NoLabelColumns
	c.shardRows, c.rowGroupRows = p.cfg.ShardRows, p.cfg.RowGroupRows
	c.license, c.blockers, c.policyDigest = p.cfg.License, p.releaseBlockers(), p.digest
	return c
}

// workers is Config.Workers or GOMAXPROCS.
func (p *Plan) workers() int {
	if p.cfg.Workers > 0 {
		return p.cfg.Workers
	}
	return runtimeWorkers()
}

// createdBy is the shards' created_by.
func (p *Plan) createdBy() string {
	return "tetrahids " + shortTool(p.cfg.Tool) + " (parquet-go " + arrow.PkgVersion + ")"
}

// shortTool names a tool of this module by its path within the module.
func shortTool(tool string) string {
	if rel, ok := strings.CutPrefix(tool, module+"/"); ok {
		return rel
	}
	return tool
}
