package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/corpustest"
)

// duckdbDir holds the Node script and its pinned DuckDB package; CI
// installs it with `npm ci --prefix examples/corpus/testdata/duckdb`.
const duckdbDir = "testdata/duckdb"

// duckdbType is the DuckDB type an Arrow column of the shards must read as.
func duckdbType(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.UINT8:
		return "UTINYINT"
	case arrow.UINT16:
		return "USMALLINT"
	case arrow.UINT32:
		return "UINTEGER"
	case arrow.UINT64:
		return "UBIGINT"
	case arrow.INT32:
		return "INTEGER"
	case arrow.INT64:
		return "BIGINT"
	case arrow.STRING:
		return "VARCHAR"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "TIMESTAMP WITH TIME ZONE" // isAdjustedToUTC
	}
	return dt.String()
}

// duckCell renders row i of col the way check.mjs's JSON renders DuckDB's
// value (event_time as epoch microseconds).
func duckCell(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "null"
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Timestamp:
		return strconv.FormatInt(int64(a.Value(i))/1000, 10)
	}
	return col.ValueStr(i)
}

func jsonCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case json.Number:
		return x.String()
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// TestDuckDB reads a built corpus with DuckDB through Node and checks row
// counts, column names and types, the first and last rows of each split,
// the attack count, the row-group sizes and the codec against the same
// shards read with Arrow; and that DuckDB reads every file README.md's
// metadata lists for a split, with the split's rows. It skips with -short; without node or the npm
// package it skips, or fails when TETRAHIDS_REQUIRE_DUCKDB is set (as
// .ci/run sets it).
func TestDuckDB(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no external reader")
	}
	missing := t.Skip
	if os.Getenv("TETRAHIDS_REQUIRE_DUCKDB") != "" {
		missing = t.Fatal
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(duckdbDir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		missing("DuckDB for Node is not installed: run npm ci --prefix examples/corpus/testdata/duckdb")
	}
	out := build(t, "-shard-rows", "1000", "-row-group-rows", "700")
	// The files README.md's metadata lists per split, as a loader reads them.
	fm := corpustest.CheckFrontMatter(t, out)
	listed := fm.SplitFiles(t)
	filesJSON, err := json.Marshal(listed)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs", out, "--files="+string(filesJSON))
	cmd.Dir = duckdbDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node check.mjs: %v\n%s", err, stderr.String())
	}
	type splitReport struct {
		Rows    int64 `json:"rows"`
		Columns []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"columns"`
		First     map[string]any `json:"first"`
		Last      map[string]any `json:"last"`
		Attacks   *int64         `json:"attacks"`
		RowGroups []int64        `json:"row_groups"`
		Codecs    []string       `json:"codecs"`
	}
	var got map[string]json.RawMessage
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	require.NoError(t, dec.Decode(&got))

	// DuckDB read every file the card lists, and their rows are the
	// split's.
	var configs map[string][]struct {
		Path string `json:"path"`
		Rows int64  `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(got["configs"], &configs))
	require.Len(t, configs, len(listed))
	for split, paths := range listed {
		require.Greater(t, len(paths), 1, "%s: several shards", split)
		require.Len(t, configs[split], len(paths), split)
		var rows int64
		for i, p := range paths {
			assert.Equal(t, p, configs[split][i].Path)
			assert.Equal(t, rowCount(readParquet(t, []string{filepath.Join(out, filepath.FromSlash(p))})), configs[split][i].Rows, p)
			rows += configs[split][i].Rows
		}
		assert.Equal(t, rowCount(readParquet(t, shards(t, out, split))), rows, "%s rows", split)
	}

	for _, split := range []string{"train", "test"} {
		raw, ok := got[split]
		require.True(t, ok, split)
		var rep splitReport
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		require.NoError(t, d.Decode(&rep))
		paths := shards(t, out, split)
		recs := readParquet(t, paths)
		require.Equal(t, rowCount(recs), rep.Rows, "%s rows", split)
		sc := recs[0].Schema()
		require.Len(t, rep.Columns, sc.NumFields())
		for i, f := range sc.Fields() {
			assert.Equal(t, f.Name, rep.Columns[i].Name)
			assert.Equal(t, duckdbType(f.Type), rep.Columns[i].Type, "column %s", f.Name)
		}
		last := recs[len(recs)-1]
		for _, x := range []struct {
			what string
			rec  arrow.RecordBatch
			row  int
			vals map[string]any
		}{{"first", recs[0], 0, rep.First}, {"last", last, int(last.NumRows()) - 1, rep.Last}} {
			for i, f := range sc.Fields() {
				assert.Equal(t, duckCell(x.rec.Column(i), x.row), jsonCell(x.vals[f.Name]), "%s %s row: %s", split, x.what, f.Name)
			}
		}
		var attacks int64
		for _, r := range recs {
			a := r.Column(r.Schema().FieldIndices("is_attack")[0]).(*array.Boolean)
			for i := range a.Len() {
				if a.Value(i) {
					attacks++
				}
			}
		}
		require.NotNil(t, rep.Attacks)
		assert.Equal(t, attacks, *rep.Attacks, "%s attacks", split)
		var groups []int64
		for _, p := range paths {
			pf, err := file.OpenParquetFile(p, false)
			require.NoError(t, err)
			for g := range pf.NumRowGroups() {
				groups = append(groups, pf.MetaData().RowGroup(g).NumRows())
			}
			pf.Close()
		}
		assert.Equal(t, groups, rep.RowGroups, "%s row groups", split)
		assert.Equal(t, []string{"SNAPPY"}, rep.Codecs)
	}
}
