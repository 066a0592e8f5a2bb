package tetraparse

import (
	"bytes"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/synth"
)

func parseBytes(t *testing.T, cfg Config, data []byte) ([]arrow.RecordBatch, Stats) {
	t.Helper()
	p, err := New(cfg)
	require.NoError(t, err)
	var recs []arrow.RecordBatch
	for rec, err := range p.Records(bytes.NewReader(data), "synth.json") {
		require.NoError(t, err)
		require.True(t, rec.Schema().Equal(p.Schema()))
		for c, col := range rec.Columns() {
			require.NoError(t, array.ValidateFull(col), rec.ColumnName(c))
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs, p.Stats()
}

func TestColumnsProjectTheRawTable(t *testing.T) {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 9, Events: 3000}).WriteTo(&b)
	full, fullStats := parseBytes(t, Config{BatchSize: 700}, b.Bytes())
	// Out of schema order, with columns of every type and kprobe values.
	cols := []string{"kp_mmap_prot", "proc_exec_id", "parent_cap_effective", "event_time", "exit_status", "proc_is_procfs_walk", "kp_fd_install_path",
		"parent_ns_mnt_inum", "proc_creds_euid"}
	part, partStats := parseBytes(t, Config{BatchSize: 700, Columns: cols}, b.Bytes())
	require.Equal(t, fullStats, partStats, "every line is still counted")
	require.Equal(t, len(full), len(part))
	want := []string{"event_time", "proc_exec_id", "proc_is_procfs_walk", "proc_creds_euid", "parent_cap_effective", "parent_ns_mnt_inum",
		"exit_status", "kp_fd_install_path", "kp_mmap_prot"}
	for i := range full {
		var names []string
		for _, f := range part[i].Schema().Fields() {
			names = append(names, f.Name)
		}
		require.Equal(t, want, names, "raw schema order")
		require.Equal(t, full[i].NumRows(), part[i].NumRows())
		for c, name := range names {
			fc := full[i].Column(full[i].Schema().FieldIndices(name)[0])
			require.True(t, array.Equal(fc, part[i].Column(c)), "batch %d column %s", i, name)
		}
	}
}

func TestColumnsErrors(t *testing.T) {
	_, err := New(Config{Columns: []string{"proc_exec_id", "no_such_column"}})
	require.ErrorContains(t, err, `"no_such_column" is not a raw column`)

	p, err := New(Config{Columns: []string{"proc_exec_id"}, Order: TimeOrder})
	require.NoError(t, err)
	var names []string
	for _, f := range p.Schema().Fields() {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"event_time", "proc_exec_id", "_source_line"}, names, "TimeOrder sorts by event_time and _source_line")
}

func TestColumnsWithTimeOrder(t *testing.T) {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 4, Events: 2000}).WriteTo(&b)
	path := t.TempDir() + "/in.json"
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	parse := func(cols []string) []arrow.RecordBatch {
		// A small SortMemory makes the sort spill runs to disk.
		p, err := New(Config{Order: TimeOrder, Columns: cols, BatchSize: 300, SortMemory: 64 << 10, TempDir: t.TempDir()})
		require.NoError(t, err)
		return parseAll(t, p, path)
	}
	full, part := parse(nil), parse([]string{"proc_binary", "kp_sock_dport"})
	require.Equal(t, rowCount(full), rowCount(part))
	for _, name := range []string{"event_time", "proc_binary", "kp_sock_dport", "_source_line"} {
		var fc, pc []arrow.Array
		for _, r := range full {
			fc = append(fc, r.Column(r.Schema().FieldIndices(name)[0]))
		}
		for _, r := range part {
			pc = append(pc, r.Column(r.Schema().FieldIndices(name)[0]))
		}
		fa, err := array.Concatenate(fc, memory.DefaultAllocator)
		require.NoError(t, err)
		pa, err := array.Concatenate(pc, memory.DefaultAllocator)
		require.NoError(t, err)
		require.True(t, array.Equal(fa, pa), name)
		fa.Release()
		pa.Release()
	}
}

// TestLargeColumnsFlushEarly lowers the per-column byte bound: batches end
// before a column's strings outgrow what Arrow's int32 offsets address,
// and the rows are those of an unbounded parse.
func TestLargeColumnsFlushEarly(t *testing.T) {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 2, Events: 2000}).WriteTo(&b)
	want, _ := parseBytes(t, Config{}, b.Bytes())
	defer func(n int) { maxColumnBytes = n }(maxColumnBytes)
	maxColumnBytes = 20_000
	got, _ := parseBytes(t, Config{}, b.Bytes())
	require.Len(t, want, 1)
	require.Greater(t, len(got), 5)
	for _, rec := range got {
		for c, col := range rec.Columns() {
			if s, ok := col.(*array.String); ok {
				// The bound is checked after each row: one row may cross it.
				require.Less(t, len(s.ValueBytes()), maxColumnBytes+8192, rec.ColumnName(c))
			}
		}
	}
	for c := range want[0].Columns() {
		var parts []arrow.Array
		for _, rec := range got {
			parts = append(parts, rec.Column(c))
		}
		joined, err := array.Concatenate(parts, memory.DefaultAllocator)
		require.NoError(t, err)
		require.True(t, array.Equal(want[0].Column(c), joined), want[0].ColumnName(c))
		joined.Release()
	}
}
