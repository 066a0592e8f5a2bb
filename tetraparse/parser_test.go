package tetraparse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
)

func sharedInput(t *testing.T, rel string) string {
	t.Helper()
	dir := goldentest.SharedTestdata()
	if dir == "" {
		t.Skip("../shared/testdata not present")
	}
	return filepath.Join(dir, rel)
}

func rowCount(recs []arrow.RecordBatch) int {
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	return n
}

func TestRobustnessAccountsForEveryLine(t *testing.T) {
	path := sharedInput(t, "tetragon/robustness.jsonl")
	var lineErrs []*LineError
	p, err := New(Config{TargetInums: []uint64{4026533329, 4026533387}, OnLineError: func(e *LineError) { lineErrs = append(lineErrs, e) }})
	require.NoError(t, err)
	recs := parseAll(t, p, path)
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 2000, st.LinesRead)
	require.EqualValues(t, rowCount(recs), st.Kept())
	require.Greater(t, st.Kept(), int64(1500))
	require.EqualValues(t, 9, st.Blank)
	require.EqualValues(t, 11, st.JSONErrors)
	require.Len(t, lineErrs, int(st.JSONErrors+st.StructureErrors))
	for _, e := range lineErrs {
		require.Equal(t, "robustness.jsonl", e.File)
		require.Positive(t, e.Line)
		require.Contains(t, e.Error(), fmt.Sprintf("robustness.jsonl:%d", e.Line))
	}
	// The events with 32-bit numbers written as strings are kept, with
	// their values (the reference crashes on them).
	stringPIDs := 0
	for _, rec := range recs {
		lines := rec.Column(rec.Schema().FieldIndices("_source_line")[0])
		pids := rec.Column(rec.Schema().FieldIndices("proc_pid")[0])
		for i := range int(rec.NumRows()) {
			if goldentest.Cell(lines, i) == "310" || goldentest.Cell(lines, i) == "513" {
				require.False(t, pids.IsNull(i))
				stringPIDs++
			}
		}
	}
	require.Equal(t, 2, stringPIDs, "lines 310 and 513 carry string inums and must be kept")
}

func TestInvariantOnEveryShardInput(t *testing.T) {
	for _, rel := range []string{"tetragon/sample-train.jsonl", "tetragon/sample-small.jsonl", "tetragon/robustness.jsonl", "tetragon-docs/events.jsonl"} {
		path := sharedInput(t, rel)
		for _, cfg := range []Config{{}, {TargetInums: []uint64{4026533329}}, {KeepHostNamespace: true, KeepWithoutProcess: true}} {
			p, err := New(cfg)
			require.NoError(t, err)
			recs := parseAll(t, p, path)
			st := p.Stats()
			require.NoError(t, st.Check(), rel)
			require.EqualValues(t, rowCount(recs), st.Kept(), rel)
		}
	}
}

func TestGzipAndTruncatedGzip(t *testing.T) {
	var plain bytes.Buffer
	for i := range 5000 {
		fmt.Fprintf(&plain, `{"process_exec":{"process":{"exec_id":"id%d","pid":%d,"ns":{"pid":{"inum":7}}}},"time":"2026-04-19T10:00:00.%09dZ"}`+"\n", i, i, i)
	}
	dir := t.TempDir()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(plain.Bytes())
	zw.Close()
	full := filepath.Join(dir, "events.json.gz")
	require.NoError(t, os.WriteFile(full, gz.Bytes(), 0o644))
	cut := filepath.Join(dir, "cut.json.gz")
	require.NoError(t, os.WriteFile(cut, gz.Bytes()[:gz.Len()/2], 0o644))
	missing := filepath.Join(dir, "missing.json")

	var read atomic.Int64
	p, err := New(Config{BatchSize: 700, OnRead: func(n int) { read.Add(int64(n)) }})
	require.NoError(t, err)
	var rows int
	var errs []error
	for rec, err := range p.Files([]string{full, cut, missing}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows += int(rec.NumRows())
	}
	require.Len(t, errs, 2)
	var fe *FileError
	require.ErrorAs(t, errs[0], &fe)
	require.Equal(t, cut, fe.File)
	require.Positive(t, fe.Lines)
	require.Less(t, fe.Lines, int64(5000))
	require.Contains(t, errs[0].Error(), "cut.json.gz")
	require.ErrorAs(t, errs[1], &fe)
	require.Equal(t, missing, fe.File)
	require.ErrorIs(t, errs[1], os.ErrNotExist)
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 2, st.FilesRead)
	require.EqualValues(t, 2, st.FilesFailed)
	// OnRead saw every byte of the full file and part of the cut one.
	require.Greater(t, read.Load(), int64(gz.Len()))
	require.LessOrEqual(t, read.Load(), int64(gz.Len()+gz.Len()/2))
	// Every complete line before the damage is delivered.
	require.EqualValues(t, rows, st.Kept())
	require.GreaterOrEqual(t, int64(rows), 5000+fe.Lines-1)
}

// TestHugeLine: a 32 MiB line is parsed whole without a limit; under the
// default limit (16 MiB) it is one over-long line, counted and reported,
// and the next line is parsed.
func TestHugeLine(t *testing.T) {
	arg := strings.Repeat("A", 32<<20)
	line := `{"process_exec":{"process":{"exec_id":"big","arguments":"` + arg + `","ns":{"pid":{"inum":1}}}},"time":"2026-04-19T10:00:00Z"}`
	in := "\n" + line + "\n" + `{"process_exit":{"process":{"exec_id":"big","ns":{"pid":{"inum":1}}}}}` + "\n"
	for _, limit := range []int{-1, 0} {
		var lineErrs []*LineError
		p, err := New(Config{MaxLineBytes: limit, OnLineError: func(e *LineError) { lineErrs = append(lineErrs, e) }})
		require.NoError(t, err)
		var got int
		for rec, err := range p.Records(strings.NewReader(in), "huge.json") {
			require.NoError(t, err)
			args := rec.Column(rec.Schema().FieldIndices("proc_arguments")[0])
			for i := range int(rec.NumRows()) {
				if !args.IsNull(i) {
					require.Len(t, goldentest.Cell(args, i), len(arg)+2)
				}
				got++
			}
		}
		st := p.Stats()
		require.NoError(t, st.Check())
		require.EqualValues(t, 3, st.LinesRead)
		require.EqualValues(t, 1, st.Blank)
		if limit < 0 {
			require.Equal(t, 2, got)
			require.Zero(t, st.LinesTooLong)
			require.Empty(t, lineErrs)
			continue
		}
		require.Equal(t, 1, got)
		require.EqualValues(t, 1, st.LinesTooLong)
		require.Len(t, lineErrs, 1)
		require.ErrorIs(t, lineErrs[0], ErrLineTooLong)
		require.EqualValues(t, 2, lineErrs[0].Line)
		require.Contains(t, lineErrs[0].Error(), fmt.Sprintf("huge.json:2: %v: %d bytes", ErrLineTooLong, len(line)))
	}
}

func TestFileOrderIsDeterministicAcrossWorkers(t *testing.T) {
	a := sharedInput(t, "tetragon/sample-train.jsonl")
	b := sharedInput(t, "tetragon/sample-small.jsonl")
	paths := []string{a, b, a, b, a}
	var want []string
	for _, workers := range []int{1, 2, 4} {
		p, err := New(Config{Workers: workers, BatchSize: 333})
		require.NoError(t, err)
		var got []string
		for rec, err := range p.Files(paths) {
			require.NoError(t, err)
			f := rec.Column(rec.Schema().FieldIndices("_source_file")[0])
			l := rec.Column(rec.Schema().FieldIndices("_source_line")[0])
			for i := range int(rec.NumRows()) {
				got = append(got, goldentest.Cell(f, i)+":"+goldentest.Cell(l, i))
			}
		}
		if want == nil {
			want = got
		}
		require.Equal(t, want, got, "workers=%d", workers)
	}
}

func TestEarlyStopReleasesEverything(t *testing.T) {
	path := sharedInput(t, "tetragon/sample-train.jsonl")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	p, err := New(Config{Allocator: mem, BatchSize: 100, Workers: 2})
	require.NoError(t, err)
	n := 0
	for _, err := range p.Files([]string{path, path, path, path}) {
		require.NoError(t, err)
		n++
		if n == 3 {
			break
		}
	}
	mem.AssertSize(t, 0)
}

func TestTimeOrder(t *testing.T) {
	a := sharedInput(t, "tetragon/sample-train.jsonl")
	b := sharedInput(t, "tetragon/sample-small.jsonl")
	check := func(cfg Config) []string {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		cfg.Order, cfg.Allocator, cfg.TempDir = TimeOrder, mem, t.TempDir()
		p, err := New(cfg)
		require.NoError(t, err)
		var keys []string
		var prev *rowRef
		for rec, err := range p.Files([]string{b, a}) {
			require.NoError(t, err)
			ts := rec.Column(rec.Schema().FieldIndices("event_time")[0])
			f := rec.Column(rec.Schema().FieldIndices("_source_file")[0])
			l := rec.Column(rec.Schema().FieldIndices("_source_line")[0])
			for i := range int(rec.NumRows()) {
				cur := &rowRef{hasTime: !ts.IsNull(i)}
				if cur.hasTime {
					fmt.Sscan(goldentest.Cell(ts, i), &cur.time)
				}
				if prev != nil && prev.hasTime && cur.hasTime {
					require.LessOrEqual(t, prev.time, cur.time)
				}
				if prev != nil {
					require.False(t, !prev.hasTime && cur.hasTime, "rows without time must come last")
				}
				prev = cur
				keys = append(keys, goldentest.Cell(f, i)+":"+goldentest.Cell(l, i))
			}
		}
		st := p.Stats()
		require.NoError(t, st.Check())
		require.EqualValues(t, len(keys), st.Kept())
		return keys
	}
	inMemory := check(Config{BatchSize: 1000})
	// A tiny memory budget forces many spilled runs and a k-way merge; the
	// order must not change.
	spilled := check(Config{BatchSize: 97, SortMemory: 64 << 10})
	require.Equal(t, inMemory, spilled)
	require.Greater(t, len(inMemory), 5000)
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{Sentinels: []Window{{Start: 10, End: 5, Label: "bad"}}})
	require.Error(t, err)
	_, err = ReadWindows(strings.NewReader("start_ts,end_ts\n2026-04-19T00:00:00Z,nope\n"))
	require.ErrorIs(t, err, ErrWindows)
	require.Contains(t, err.Error(), "line 2")
	_, err = ReadWindows(strings.NewReader("begin,end\n"))
	require.True(t, errors.Is(err, ErrWindows))
}

func sharedTestdataDir() string { return goldentest.SharedTestdata() }

// TestBlockCacheIsTransparent parses the shared samples with and without
// the process-block cache: every cell and counter must agree.
func TestBlockCacheIsTransparent(t *testing.T) {
	inputs := map[string][]byte{}
	for _, rel := range []string{"tetragon/sample-small.jsonl", "tetragon/robustness.jsonl", "tetragon-docs/events.jsonl"} {
		data, err := os.ReadFile(sharedInput(t, rel))
		require.NoError(t, err)
		inputs[rel] = data
	}
	// Lines with more blocks than a line normally has (duplicate keys, two
	// bodies), after the same line plain, so that every block is cached.
	var line []byte
	for l := range bytes.Lines(inputs["tetragon/sample-small.jsonl"]) {
		if bytes.Contains(l, []byte(`"process_kprobe"`)) && bytes.Contains(l, []byte(`"parent":{`)) {
			line = bytes.TrimSpace(l)
			break
		}
	}
	require.NotNil(t, line)
	body := line[len(`{"process_kprobe":{`):bytes.Index(line, []byte(`, "function_name"`))]
	dup := bytes.Replace(line, body, []byte(string(body)+", "+string(body)+", "+string(body)), 1)
	twoBodies := bytes.Replace(line, []byte(`{"process_kprobe":{`), []byte(`{"process_exec":{`+string(body)+`}, "process_kprobe":{`), 1)
	inputs["duplicate blocks"] = bytes.Join([][]byte{line, line, dup, twoBodies, dup, line}, []byte("\n"))
	for rel, data := range inputs {
		run := func(cache bool) ([]string, Stats) {
			p, err := New(Config{TargetInums: []uint64{4026533329, 4026533387}})
			require.NoError(t, err)
			s, err := p.newStream()
			require.NoError(t, err)
			defer s.rows.discard()
			if !cache {
				s.dec.blocks = nil
			}
			var rows []string
			require.NoError(t, s.parse(bytes.NewReader(data), "x", false, func(rec arrow.RecordBatch) bool {
				for i := range int(rec.NumRows()) {
					row := ""
					for c := range int(rec.NumCols()) {
						row += goldentest.Cell(rec.Column(c), i) + "|"
					}
					rows = append(rows, row)
				}
				return true
			}))
			return rows, s.stats
		}
		with, st1 := run(true)
		without, st2 := run(false)
		require.Equal(t, without, with, rel)
		require.Equal(t, st2, st1, rel)
	}
}

// TestBlockCacheKeepsVariants: blocks of one process that differ only
// after their leading bytes (a thread's tid, the refcnt) are all kept, so
// that alternating between them hits the cache, and each decodes as
// without it.
func TestBlockCacheKeepsVariants(t *testing.T) {
	data, err := os.ReadFile(sharedInput(t, "tetragon/sample-small.jsonl"))
	require.NoError(t, err)
	line := bytes.TrimSpace(data[:bytes.IndexByte(data, '\n')])
	require.True(t, bytes.HasPrefix(line, []byte(`{"process_kprobe":{"process":{`)))
	var variants [][]byte
	for _, refcnt := range []string{"1", "2", "3", "4", "5"} {
		v := bytes.Replace(line, []byte(`"refcnt":1,`), []byte(`"refcnt":`+refcnt+`,`), 1)
		require.NotEqual(t, -1, bytes.Index(v, []byte(`"refcnt":`+refcnt+`,`)))
		variants = append(variants, v)
	}
	var d decoder
	d.blocks = newBlockCache()
	var ev Event
	for round := range 3 {
		for k, v := range variants {
			require.NoError(t, d.decode(&ev, v, false))
			hits := 0
			for _, h := range d.blocks.hits {
				if h.e != nil {
					hits++
				}
			}
			if round > 0 {
				require.Equal(t, 2, hits, "round %d variant %d: process and parent from the cache", round, k)
			}
			want, err := Decode(v)
			require.NoError(t, err)
			require.Equal(t, *want.Process, *ev.Process)
			require.Equal(t, want.Process.Refcnt.Value, uint32(k+1))
		}
	}
}

// TestInvalidUTF8Lines: a line that is not UTF-8 is a JSON error named
// "invalid UTF-8" at its first bad byte, wherever the byte is: in a string,
// outside strings, and inside a process block the cache holds a valid copy
// of. Non-ASCII UTF-8 in strings parses.
func TestInvalidUTF8Lines(t *testing.T) {
	data, err := os.ReadFile(sharedInput(t, "tetragon/sample-small.jsonl"))
	require.NoError(t, err)
	var line []byte
	for l := range bytes.Lines(data) {
		if bytes.Contains(l, []byte(`"process_kprobe"`)) && bytes.Contains(l, []byte(`"parent":{`)) {
			line = bytes.TrimSpace(l)
			break
		}
	}
	require.NotNil(t, line)
	cwd := bytes.Index(line, []byte(`"cwd":"`)) + len(`"cwd":"`)
	require.Greater(t, cwd, len(`"cwd":"`))
	at := func(b []byte, i int, with string) []byte {
		return slices.Concat(b[:i], []byte(with), b[i:])
	}
	cases := []struct {
		name   string
		line   []byte
		column int // of the bad byte; 0: the line parses
	}{
		{"valid", line, 0},
		{"non-ASCII UTF-8 in a string", at(line, cwd, "é"), 0},
		{"bad byte in a cached block", at(line, cwd, "\xff"), cwd + 1},
		{"truncated sequence in a string", at(line, cwd, "\xc3"), cwd + 1},
		{"bad byte outside strings", at(line, len(line)-1, " \xfe"), len(line) + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var errs []*LineError
			// The valid line first: its blocks are cached when the
			// changed line comes.
			_, st := parseBytes(t, Config{
				TargetInums: []uint64{4026533329, 4026533387},
				OnLineError: func(e *LineError) { errs = append(errs, e) },
			}, bytes.Join([][]byte{line, c.line}, []byte("\n")))
			require.NoError(t, st.Check())
			if c.column == 0 {
				require.Empty(t, errs)
				require.Zero(t, st.JSONErrors)
				return
			}
			require.EqualValues(t, 1, st.JSONErrors)
			require.Len(t, errs, 1)
			require.Equal(t, int64(2), errs[0].Line)
			require.Equal(t, c.column, errs[0].Column)
			require.ErrorIs(t, errs[0].Err, ErrSyntax)
			require.Contains(t, errs[0].Err.Error(), "invalid UTF-8")
		})
	}
}

// TestBlockCacheStoresABlockOnce: a block parsed although the cache holds
// it (a line's third block: the hit slots are taken) is not stored again,
// where its copy would push out another variant.
func TestBlockCacheStoresABlockOnce(t *testing.T) {
	data, err := os.ReadFile(sharedInput(t, "tetragon/sample-small.jsonl"))
	require.NoError(t, err)
	line := bytes.TrimSpace(data[:bytes.IndexByte(data, '\n')])
	require.True(t, bytes.HasPrefix(line, []byte(`{"process_kprobe":{"process":{`)))
	body := line[len(`{"process_kprobe":{`):bytes.Index(line, []byte(`, "function_name"`))]
	// The body's process and parent blocks three times over.
	dup := bytes.Replace(line, body, []byte(string(body)+", "+string(body)+", "+string(body)), 1)
	var d decoder
	d.blocks = newBlockCache()
	var ev Event
	require.NoError(t, d.decode(&ev, line, false))
	stored := d.blocks.n
	require.Equal(t, 2, stored)
	for range 3 {
		require.NoError(t, d.decode(&ev, dup, false))
		require.Equal(t, stored, d.blocks.n)
	}
}
