// Package goldentest reads the reference pipeline's golden rows
// (../shared/golden/*.golden.jsonl[.gz], or the slice of them committed
// under testdata/parity; see Parity) and compares them with Arrow output
// cell by cell. It is used by the tests of several packages.
package goldentest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Row is one golden line: the raw parser row and the encoded row, each as
// an ordered list of columns with their values.
type Row struct {
	Raw, Encoded Columns
}

// Columns is an ordered JSON object.
type Columns struct {
	Names  []string
	Values map[string]any // json.Number for numbers
}

// Dir returns the path of the shared golden directory, or "" when it is
// not present beside the repository (tests then skip).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "golden")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// SharedTestdata returns the path of ../shared/testdata, or "".
func SharedTestdata() string {
	d := Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(d), "testdata")
}

// Read reads a golden file (gzip'd when it ends in .gz).
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	var rows []Row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var row Row
		if err := decodeRow(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, len(rows)+1, err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

func decodeRow(line []byte, row *Row) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var cols *Columns
		switch k {
		case "raw":
			cols = &row.Raw
		case "encoded":
			cols = &row.Encoded
		default:
			return fmt.Errorf("unexpected key %v", k)
		}
		if err := decodeColumns(dec, cols); err != nil {
			return err
		}
	}
	return nil
}

func decodeColumns(dec *json.Decoder, c *Columns) error {
	c.Values = map[string]any{}
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		name := k.(string)
		c.Names = append(c.Names, name)
		c.Values[name] = v
	}
	_, err := dec.Token()
	return err
}

// Format renders a golden value canonically: "null", numbers as written,
// strings quoted, booleans, lists as [a,b].
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case json.Number:
		return x.String()
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Format(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("%v", v)
}

// Cell renders row i of an Arrow column the way Format renders a golden
// value (timestamps as int64 nanoseconds).
func Cell(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "null"
	}
	switch a := col.(type) {
	case *array.String:
		return strconv.Quote(a.Value(i))
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Timestamp:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.List:
		start, end := a.ValueOffsets(i)
		parts := make([]string, 0, end-start)
		for k := start; k < end; k++ {
			parts = append(parts, Cell(a.ListValues(), int(k)))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("<%s>", col.DataType())
}

// Mismatches compares the named columns of recs (concatenated in order)
// with the golden rows' values of side ("raw" or "encoded") and returns the
// mismatch count per column and the first few differences as text.
func Mismatches(recs []arrow.RecordBatch, rows []Row, side string, columns []string) (map[string]int, []string) {
	counts := map[string]int{}
	var examples []string
	r := 0
	for _, rec := range recs {
		for i := range int(rec.NumRows()) {
			if r >= len(rows) {
				counts["<extra rows>"]++
				r++
				continue
			}
			g := rows[r].Raw
			if side == "encoded" {
				g = rows[r].Encoded
			}
			for _, name := range columns {
				idx := rec.Schema().FieldIndices(name)
				want := Format(g.Values[name])
				got := "<missing column>"
				if len(idx) == 1 {
					got = Cell(rec.Column(idx[0]), i)
				}
				if got != want {
					counts[name]++
					if len(examples) < 20 {
						examples = append(examples, fmt.Sprintf("row %d %s: got %s want %s", r, name, trunc(got), trunc(want)))
					}
				}
			}
			r++
		}
	}
	if r < len(rows) {
		counts["<missing rows>"] = len(rows) - r
	}
	return counts, examples
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
