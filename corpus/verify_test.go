package corpus

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// TestVerifyShardsCatchesWrittenLeaks writes released batches to several
// shards and plants values in one of them after Apply: the post-write
// check, which reads shards in parallel and decodes only the columns the
// Verifier reads, must name that shard and column.
func TestVerifyShardsCatchesWrittenLeaks(t *testing.T) {
	defs := schema.Default()
	mem := memory.NewGoAllocator()
	var in bytes.Buffer
	synth.New(synth.Config{Seed: 12, Events: 3000}).WriteTo(&in)
	p, err := tetraparse.New(tetraparse.Config{BatchSize: 500})
	require.NoError(t, err)
	g := lineage.New()
	var raw []arrow.RecordBatch
	for rec, err := range p.Records(&in, "synth.json") {
		require.NoError(t, err)
		require.NoError(t, g.AddBatch(rec))
		rec.Retain()
		raw = append(raw, rec)
	}
	enc, err := encode.New(defs, g)
	require.NoError(t, err)
	plan, err := NewPlan(Config{Sample: true, Out: filepath.Join(t.TempDir(), "out")})
	require.NoError(t, err)
	a, err := plan.NewAnonymizer()
	require.NoError(t, err)
	var encoded []arrow.RecordBatch
	for _, r := range raw {
		out, err := enc.Encode(r)
		require.NoError(t, err)
		r.Release()
		require.NoError(t, a.Observe(out))
		encoded = append(encoded, out)
	}
	a.Freeze()
	var released []arrow.RecordBatch
	for _, r := range encoded {
		out, err := a.Apply(r)
		require.NoError(t, err)
		r.Release()
		released = append(released, out)
	}
	defer func() {
		for _, r := range released {
			r.Release()
		}
	}()
	write := func(dir string, recs []arrow.RecordBatch) []string {
		// Row groups of 64 rows: a shard's checks run in parts of
		// verifyGroups row groups, in parallel.
		w := newShardWriter(dir, "train", 700, 64, defs.EncodedSchema().Metadata(), "test")
		for _, r := range recs {
			require.NoError(t, w.Write(r))
		}
		paths, err := w.Close()
		require.NoError(t, err)
		return paths
	}
	good := write(t.TempDir(), released)
	require.Greater(t, len(good), 2)
	require.NoError(t, VerifyShards(context.Background(), a.Verifier(), good, mem))
	// The check reads string columns as dictionaries, a row group per
	// batch: a batch's dictionaries are its row group's, whose every entry
	// the Verifier requires the batch's rows to justify.
	dicts := 0
	var batchRows []int64
	require.NoError(t, readShard(context.Background(), good[0], mem, a.Verifier().Reads, nil, func(rec arrow.RecordBatch) error {
		for _, f := range rec.Schema().Fields() {
			require.NotEqual(t, arrow.STRING, f.Type.ID(), f.Name)
			if f.Type.ID() == arrow.DICTIONARY {
				dicts++
			}
		}
		batchRows = append(batchRows, rec.NumRows())
		return nil
	}))
	require.Positive(t, dicts)
	pf, err := file.OpenParquetFile(good[0], false)
	require.NoError(t, err)
	var groupRows []int64
	for g := range pf.NumRowGroups() {
		groupRows = append(groupRows, pf.MetaData().RowGroup(g).NumRows())
	}
	require.NoError(t, pf.Close())
	require.Greater(t, len(groupRows), 1)
	require.Equal(t, groupRows, batchRows)

	// replace returns rec with column name's row 3 set by set.
	replace := func(rec arrow.RecordBatch, name string, set func(b array.Builder, col arrow.Array, i int)) arrow.RecordBatch {
		cols := rec.Columns()
		out := make([]arrow.Array, len(cols))
		for c, col := range cols {
			if rec.ColumnName(c) != name {
				col.Retain()
				out[c] = col
				continue
			}
			b := array.NewBuilder(mem, col.DataType())
			for i := range col.Len() {
				set(b, col, i)
			}
			out[c] = b.NewArray()
			b.Release()
		}
		defer func() {
			for _, c := range out {
				c.Release()
			}
		}()
		return array.NewRecordBatch(rec.Schema(), out, rec.NumRows())
	}
	for _, tc := range []struct {
		column string
		check  anonymize.Check
		set    func(b array.Builder, col arrow.Array, i int)
	}{
		// A forbidden name in a string column.
		{"proc_cwd_normalized", anonymize.CheckForbidden, func(b array.Builder, col arrow.Array, i int) {
			s := col.(*array.String).Value(i)
			if i == 3 {
				s = "/home/rypow/"
			}
			b.(*array.StringBuilder).Append(s)
		}},
		// An action-family code that no longer matches the token: the
		// Verifier reads this integer column too.
		{"token", anonymize.CheckDerivation, nil},
	} {
		t.Run(tc.column, func(t *testing.T) {
			recs := append([]arrow.RecordBatch{}, released...)
			last := len(recs) - 1
			if tc.set != nil {
				recs[last] = replace(recs[last], tc.column, tc.set)
			} else {
				recs[last] = replace(recs[last], "f_action_family", func(b array.Builder, col arrow.Array, i int) {
					v := col.(*array.Uint8).Value(i)
					if i == 3 {
						v = (v + 1) % 4
					}
					b.(*array.Uint8Builder).Append(v)
				})
			}
			defer recs[last].Release()
			paths := write(t.TempDir(), recs)
			err := VerifyShards(context.Background(), a.Verifier(), paths, mem)
			var lce *LeakCheckError
			require.True(t, errors.As(err, &lce), "%v", err)
			var leak *anonymize.LeakError
			require.True(t, errors.As(err, &leak), "%v", err)
			require.Equal(t, tc.column, leak.Column)
			require.Equal(t, tc.check, leak.Check)
			// The planted row's shard, 700 rows per shard.
			row := int64(3)
			for _, r := range recs[:last] {
				row += r.NumRows()
			}
			require.Equal(t, filepath.Base(paths[row/700]), lce.Shard)
			require.Equal(t, SplitTrain, lce.Split)
			require.Contains(t, err.Error(), lce.Shard)
			require.Equal(t, int(row%700), leak.Row)
		})
	}
}
