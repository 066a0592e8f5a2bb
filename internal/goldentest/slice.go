package goldentest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Source is where a parity test reads the reference's golden rows and
// their inputs: the full shared set beside the module when it is there,
// else the slice committed under testdata/parity, so that the parity
// tests run in a bare clone too.
type Source struct {
	// Golden is the directory of the golden files
	// (sample-train.golden.jsonl.gz, sample-small.golden.jsonl.gz,
	// tetragon-docs.golden.jsonl, sample-small.labeled.csv.gz).
	Golden string
	// Testdata is the directory holding tetragon/ (sample-train.jsonl,
	// sample-small.jsonl, sample.sentinels.csv, sample-small.labels.csv)
	// and tetragon-docs/events.jsonl.
	Testdata string
	// Full is true for the full shared goldens. Only they come with the
	// reference's counters (*.stats.json, baselines/) and the robustness
	// sample, and only they hold the row counts the tests quote.
	Full bool
}

// Parity returns the full shared goldens when ../shared is present beside
// the module, and the committed slice otherwise, or when the environment
// variable TETRAHIDS_PARITY is "slice" (to run the tests a bare clone runs).
func Parity() Source {
	if d := Dir(); d != "" && os.Getenv("TETRAHIDS_PARITY") != "slice" {
		return Source{Golden: d, Testdata: SharedTestdata(), Full: true}
	}
	s := SliceDir()
	return Source{Golden: filepath.Join(s, "golden"), Testdata: s}
}

// Describe names the source for test logs.
func (s Source) Describe() string {
	if s.Full {
		return "the full shared goldens"
	}
	return "the committed parity slice (testdata/parity)"
}

// SliceDir returns the directory of the committed parity slice,
// testdata/parity at the module root.
func SliceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "parity")
}

// sliceSpec chooses the input lines of the slice: line windows of each
// split, picked to hold a bit of everything the full samples exercise
// (procfs-walk execs, host and other-container noise, junk lines,
// sentinel windows, every kprobe function, the PID-namespace rotation).
// Lines outside the windows become blank lines, so that every kept line
// keeps its number (_source_line) and the golden rows are the reference's
// own, byte for byte.
var sliceSpec = struct{ train, small [][2]int }{
	train: [][2]int{{1, 250}},
	small: [][2]int{{1, 120}, {610, 630}, {680, 800}, {1020, 1030}, {1165, 1172}, {1740, 1746},
		{1812, 1830}, {1994, 2000}, {2130, 2200}, {2860, 2910}},
}

func inWindows(line int, ws [][2]int) bool {
	for _, w := range ws {
		if w[0] <= line && line <= w[1] {
			return true
		}
	}
	return false
}

// goldenLine is one line of a golden file, with what the selection reads.
type goldenLine struct {
	text                   []byte
	line                   int
	execID, parent         string // parent: proc_parent_exec_id, else parent_exec_id
	hasExecID, registering bool
}

func readGoldenLines(path string) ([]goldenLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var out []goldenLine
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var row Row
		if err := decodeRow(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, len(out)+1, err)
		}
		str := func(name string) string { s, _ := row.Raw.Values[name].(string); return s }
		n, err := strconv.Atoi(Format(row.Raw.Values["_source_line"]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: _source_line: %w", path, len(out)+1, err)
		}
		g := goldenLine{text: bytes.Clone(sc.Bytes()), line: n, execID: str("proc_exec_id")}
		g.hasExecID = g.execID != ""
		if g.parent = str("proc_parent_exec_id"); g.parent == "" {
			g.parent = str("parent_exec_id")
		}
		out = append(out, g)
	}
	return out, sc.Err()
}

// selectRows returns which golden rows of train and small the slice keeps:
// those on the windows' lines whose encoded values depend only on kept
// rows. Two things reach across rows: the lineage walk (the first row of
// every exec_id on the walk registers it, train first) and the
// per-process previous event (delta_t_prev_ns). A row whose walk or whose
// previous event of the same process is not kept is dropped, until
// nothing changes.
func selectRows(train, small []goldenLine) (keepTrain, keepSmall []bool) {
	keepTrain, keepSmall = make([]bool, len(train)), make([]bool, len(small))
	for i, g := range train {
		keepTrain[i] = inWindows(g.line, sliceSpec.train)
	}
	for i, g := range small {
		keepSmall[i] = inWindows(g.line, sliceSpec.small)
	}
	type at struct {
		small bool
		i     int
	}
	reg := map[string]at{}
	for i, g := range train {
		if _, ok := reg[g.execID]; g.hasExecID && !ok {
			reg[g.execID] = at{false, i}
		}
	}
	for i, g := range small {
		if _, ok := reg[g.execID]; g.hasExecID && !ok {
			reg[g.execID] = at{true, i}
		}
	}
	kept := func(a at) bool {
		if a.small {
			return keepSmall[a.i]
		}
		return keepTrain[a.i]
	}
	row := func(a at) goldenLine {
		if a.small {
			return small[a.i]
		}
		return train[a.i]
	}
	for changed := true; changed; {
		changed = false
		for _, split := range []struct {
			rows []goldenLine
			keep []bool
		}{{train, keepTrain}, {small, keepSmall}} {
			last := map[string]int{}
			for i, g := range split.rows {
				ok := true
				if p, seen := last[g.execID]; seen && !split.keep[p] {
					ok = false
				}
				last[g.execID] = i
				seen := map[string]bool{}
				for x, steps := g.execID, 0; x != "" && steps < 70 && !seen[x]; steps++ {
					a, registered := reg[x]
					if !registered {
						break
					}
					if !kept(a) {
						ok = false
						break
					}
					seen[x] = true
					x = row(a).parent
				}
				if split.keep[i] && !ok {
					split.keep[i] = false
					changed = true
				}
			}
		}
	}
	return keepTrain, keepSmall
}

// sliceFiles renders the slice from the full shared set in shared (the
// directory holding golden/ and testdata/): file path relative to the
// slice directory → content.
func sliceFiles(shared string) (map[string][]byte, error) {
	gdir, tdir := filepath.Join(shared, "golden"), filepath.Join(shared, "testdata")
	train, err := readGoldenLines(filepath.Join(gdir, "sample-train.golden.jsonl.gz"))
	if err != nil {
		return nil, err
	}
	small, err := readGoldenLines(filepath.Join(gdir, "sample-small.golden.jsonl.gz"))
	if err != nil {
		return nil, err
	}
	keepTrain, keepSmall := selectRows(train, small)
	out := map[string][]byte{}
	for _, s := range []struct {
		name, input string
		rows        []goldenLine
		keep        []bool
		windows     [][2]int
	}{
		{"sample-train", "sample-train.jsonl", train, keepTrain, sliceSpec.train},
		{"sample-small", "sample-small.jsonl", small, keepSmall, sliceSpec.small},
	} {
		var golden bytes.Buffer
		rowLine := map[int]bool{}  // lines that are golden rows
		keptLine := map[int]bool{} // lines whose golden row is kept
		for i, g := range s.rows {
			rowLine[g.line] = true
			if s.keep[i] {
				keptLine[g.line] = true
				golden.Write(g.text)
				golden.WriteByte('\n')
			}
		}
		gz, err := gzipBytes(golden.Bytes())
		if err != nil {
			return nil, err
		}
		out["golden/"+s.name+".golden.jsonl.gz"] = gz
		data, err := os.ReadFile(filepath.Join(tdir, "tetragon", s.input))
		if err != nil {
			return nil, err
		}
		lines := strings.SplitAfter(string(data), "\n")
		var in strings.Builder
		for i, l := range lines {
			n := i + 1
			if l == "" {
				continue // after the last newline
			}
			// A line outside the windows, or a row the selection dropped,
			// becomes blank; the other lines of a window (junk, dropped
			// events) stay, for the parser's rules.
			if inWindows(n, s.windows) && (keptLine[n] || !rowLine[n]) {
				in.WriteString(l)
			} else {
				in.WriteString("\n")
			}
		}
		out["tetragon/"+s.input] = []byte(in.String())
	}
	// The labels of the kept test rows, renumbered to the slice's rows.
	labeled, err := sliceLabeled(filepath.Join(gdir, "sample-small.labeled.csv.gz"), keepSmall)
	if err != nil {
		return nil, err
	}
	out["golden/sample-small.labeled.csv.gz"] = labeled
	for _, copyFile := range []string{
		"golden/tetragon-docs.golden.jsonl",
		"testdata/tetragon/sample.sentinels.csv",
		"testdata/tetragon/sample-small.labels.csv",
		"testdata/tetragon-docs/events.jsonl",
	} {
		data, err := os.ReadFile(filepath.Join(shared, copyFile))
		if err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(copyFile, "testdata/")] = data
	}
	return out, nil
}

func sliceLabeled(path string, keep []bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(zr)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	if len(header) == 0 || header[0] != "row" {
		return nil, fmt.Errorf("%s: first column %q, want row", path, header)
	}
	w.Write(header)
	next := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(rec[0])
		if err != nil || i < 0 || i >= len(keep) {
			return nil, fmt.Errorf("%s: row %q", path, rec[0])
		}
		if keep[i] {
			rec[0] = strconv.Itoa(next)
			next++
			w.Write(rec)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return gzipBytes(b.Bytes())
}

// gzipBytes compresses deterministically (no name, no time in the header).
func gzipBytes(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
