package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/internal/parallel"
	"github.com/tetrahids/tetrahids/labels"
)

// The anonymize stage's policy and key, and the post-write check of the
// shards.

// demoKey is the HMAC key of the built-in sample. The sample is synthetic,
// so its key protects nothing; it is fixed so that the sample's output is
// reproducible. Real inputs need Config.HMACKeyFile.
var demoKey = []byte("tetrahids built-in sample: not a secret key")

// samplePolicy is the default policy plus the sample's operator and
// project names, so that the post-write checks prove they are gone (a
// release's policy lists the real ones).
func samplePolicy() anonymize.Policy {
	p := anonymize.DefaultPolicy()
	p.Forbidden = append(p.Forbidden, "rypow", "webapp")
	return p
}

// loadAnonymization reads the policy and the key (the sample's defaults
// when building the built-in sample) and checks that they make a
// pipeline.
func (p *Plan) loadAnonymization() error {
	c := &p.cfg
	p.policy = anonymize.DefaultPolicy()
	if c.Sample && c.PolicyFile == "" {
		p.policy = samplePolicy()
	}
	if c.PolicyFile != "" {
		f, err := os.Open(c.PolicyFile)
		if err != nil {
			return &ConfigError{Field: "PolicyFile", Err: err}
		}
		p.policy, err = anonymize.LoadPolicy(f)
		f.Close()
		if err != nil {
			return &ConfigError{Field: "PolicyFile", Err: fmt.Errorf("%s: %w", c.PolicyFile, err)}
		}
	}
	for _, w := range p.policy.Warnings() {
		c.warn("%s", w)
	}
	switch {
	case c.HMACKeyFile != "":
		var err error
		if p.key, err = readKey(c.HMACKeyFile, c.warn); err != nil {
			return &ConfigError{Field: "HMACKeyFile", Err: err}
		}
	case c.Sample:
		p.key = demoKey
	default:
		return &ConfigError{Field: "HMACKeyFile", Err: ErrNoKey}
	}
	if _, err := p.NewAnonymizer(); err != nil {
		field := "PolicyFile"
		if errors.Is(err, anonymize.ErrKey) {
			field = "HMACKeyFile"
		}
		return &ConfigError{Field: field, Err: err}
	}
	var err error
	if p.digest, err = p.policyDigest(); err != nil {
		return &ConfigError{Field: "PolicyFile", Err: err}
	}
	return nil
}

// readKey reads an HMAC key file. A key that is printable text (such as
// the output of `openssl rand -hex 32`) is used without its trailing line
// break; any other content is used byte for byte. A key readable by group
// or others draws a warning.
func readKey(path string, warn func(string, ...any)) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		warn("the HMAC key %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimRight(key, "\r\n")
	printable := len(trimmed) > 0
	for _, c := range trimmed {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		key = trimmed
	}
	return key, nil
}

// VerifyShards is the post-write check: it reads every written shard back
// from disk and runs v's assertions over it, so that what is checked is
// exactly what will be published (the label columns, which the policy
// does not classify, are left out: technique_id holds the labels'
// technique ids, checked against their pattern when loaded and, in
// labels.csv, by VerifyFiles). v is the anonymize
// pipeline's Verifier after its last Apply. Runs of row groups are
// checked in parallel, each by its own clone of v, and only the columns v
// reads are decoded, string columns as dictionaries (no string is copied
// out of its page). A leak is reported as a *LeakCheckError naming the
// shard, whose *anonymize.LeakError names the column and the row within
// the shard; of several, the first in shard and row order.
func VerifyShards(ctx context.Context, v *anonymize.Verifier, paths []string, mem memory.Allocator) error {
	// A part is a run of row groups of one shard.
	type part struct {
		shard    int
		groups   []int
		firstRow int64
	}
	var parts []part
	for i, path := range paths {
		pf, err := file.OpenParquetFile(path, true)
		if err != nil {
			return fmt.Errorf("post-write check of %s: %w", filepath.Base(path), err)
		}
		row := int64(0)
		for g := 0; g < pf.NumRowGroups(); g += verifyGroups {
			p := part{shard: i, firstRow: row}
			for k := g; k < min(g+verifyGroups, pf.NumRowGroups()); k++ {
				p.groups = append(p.groups, k)
				row += pf.MetaData().RowGroup(k).NumRows()
			}
			parts = append(parts, p)
		}
		pf.Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(parts)) // by part, so the first failure is named
	parallel.Do(len(parts), runtime.GOMAXPROCS(0), v.Clone, func(v *anonymize.Verifier, i int) {
		if errs[i] = ctx.Err(); errs[i] != nil {
			return // another part failed: skip the rest
		}
		p := &parts[i]
		row := p.firstRow
		err := readShard(ctx, paths[p.shard], mem, v.Reads, p.groups, func(rec arrow.RecordBatch) error {
			rec = withoutColumns(rec, labels.ColIsAttack, labels.ColLabelTechnique)
			defer rec.Release()
			err := v.Verify(rec)
			var leak *anonymize.LeakError
			if errors.As(err, &leak) && leak.Row >= 0 {
				leak.Row += int(row) // the row within the shard
			}
			row += rec.NumRows()
			return err
		})
		if err != nil {
			name := filepath.Base(paths[p.shard])
			if leak := (*anonymize.LeakError)(nil); errors.As(err, &leak) {
				errs[i] = &LeakCheckError{Split: splitOf(name), Shard: name, Err: err}
			} else {
				errs[i] = fmt.Errorf("post-write check of %s: %w", name, err)
			}
			cancel()
		}
	})
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err // a real failure, not a sibling cancelled by it
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// verifyGroups is how many row groups one post-write check reads.
const verifyGroups = 4

// withoutColumns returns rec without the named columns (a new reference
// either way; the caller releases it).
func withoutColumns(rec arrow.RecordBatch, names ...string) arrow.RecordBatch {
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if !slices.Contains(names, f.Name) {
			fields = append(fields, f)
			cols = append(cols, rec.Column(i))
		}
	}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
}

// readShard calls fn with the batches of one Parquet shard (fn must not
// keep them): the columns want accepts (nil: all) of rowGroups (nil: all),
// in order, top-level string columns as dictionary arrays, one batch per
// row group. A batch is a whole row group because a dictionary column
// read back carries its row group's dictionary: the Verifier requires
// every entry to be justified by the batch's rows.
func readShard(ctx context.Context, path string, mem memory.Allocator, want func(arrow.Field) bool, rowGroups []int, fn func(arrow.RecordBatch) error) error {
	pf, err := file.OpenParquetFile(path, true)
	if err != nil {
		return err
	}
	defer pf.Close()
	props := pqarrow.ArrowReadProperties{BatchSize: 0} // 0: a reader's rows in one batch
	// The manifest tells which columns to read and which to read as
	// dictionaries; NewFileReader builds its own from the final props.
	man, err := pqarrow.NewSchemaManifest(pf.MetaData().Schema, pf.MetaData().KeyValueMetadata(), &props)
	if err != nil {
		return err
	}
	var leaves []int // nil: every column
	if want != nil {
		leaves = []int{}
	}
	for i := range man.Fields {
		f := &man.Fields[i]
		if want != nil && !want(*f.Field) {
			continue
		}
		if f.IsLeaf() && f.Field.Type.ID() == arrow.STRING {
			props.SetReadDict(f.ColIndex, true)
		}
		if want != nil {
			leaves = appendLeaves(leaves, f)
		}
	}
	if leaves != nil && len(leaves) == 0 {
		return nil
	}
	fr, err := pqarrow.NewFileReader(pf, props, mem)
	if err != nil {
		return err
	}
	if rowGroups == nil {
		rowGroups = make([]int, pf.NumRowGroups())
		for g := range rowGroups {
			rowGroups[g] = g
		}
	}
	for _, g := range rowGroups {
		if err := readRowGroup(ctx, fr, leaves, g, fn); err != nil {
			return err
		}
	}
	return nil
}

// readRowGroup calls fn with row group g of fr's file, the leaves columns,
// as one batch.
func readRowGroup(ctx context.Context, fr *pqarrow.FileReader, leaves []int, g int, fn func(arrow.RecordBatch) error) error {
	rr, err := fr.GetRecordReader(ctx, leaves, []int{g})
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// appendLeaves appends the Parquet leaf columns of a field.
func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

// splitOf is the split of a shard's file name (<split>-NNNNN-of-NNNNN.parquet).
func splitOf(shard string) string {
	split, _, _ := strings.Cut(shard, "-")
	return split
}
