package tetraparse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// splitLines splits data as the Parser does (universal newlines).
func splitLines(t testing.TB, data []byte) [][]byte {
	t.Helper()
	lr := newLineReader(bytes.NewReader(data), 0)
	var out [][]byte
	for {
		l, ok := lr.next()
		if !ok {
			break
		}
		out = append(out, bytes.Clone(l))
	}
	require.NoError(t, lr.err)
	return out
}

// cells renders every row of recs, column by column.
func cells(recs ...arrow.RecordBatch) []string {
	var rows []string
	for _, rec := range recs {
		for i := range int(rec.NumRows()) {
			row := ""
			for c := range int(rec.NumCols()) {
				row += rec.Schema().Field(c).Name + "=" + goldentest.Cell(rec.Column(c), i) + " "
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// builderConfigs are the configurations the Builder is compared with the
// Parser under: the golden one, and a projection on a few columns.
func builderConfigs(onErr func(*LineError)) map[string]Config {
	base := Config{TargetInums: []uint64{4026533329, 4026533387}, NodeName: "prox1", BatchSize: 1 << 20, OnLineError: onErr}
	proj := base
	proj.Columns = []string{"event_type", "proc_exec_id", "kprobe_args_json", "kp_fd_install_path", "kp_sock_dport", "proc_cap_effective", "_source_line"}
	short := base
	short.MaxLineBytes = 2000 // many sample lines are longer
	return map[string]Config{"all columns": base, "projection": proj, "short lines": short}
}

// TestBuilderMatchesParser feeds the shared samples line by line to a
// Builder, as lines and as Decode's results, and checks that the rows, the
// counters and the reported line errors are those of Parser.Records.
func TestBuilderMatchesParser(t *testing.T) {
	for _, rel := range []string{"tetragon/sample-small.jsonl", "tetragon/robustness.jsonl", "tetragon-docs/events.jsonl"} {
		data, err := os.ReadFile(sharedInput(t, rel))
		require.NoError(t, err)
		lines := splitLines(t, data)
		for name := range builderConfigs(nil) {
			t.Run(rel+"/"+name, func(t *testing.T) {
				var errs []string
				cfg := builderConfigs(func(e *LineError) { errs = append(errs, e.Error()) })[name]
				if rel == "tetragon-docs/events.jsonl" {
					cfg.TargetInums = nil // another host's namespaces
				}
				p, err := New(cfg)
				require.NoError(t, err)
				var want []string
				for rec, err := range p.Records(bytes.NewReader(data), rel) {
					require.NoError(t, err)
					want = append(want, cells(rec)...)
				}
				wantStats, wantErrs := p.Stats(), errs
				if cfg.MaxLineBytes == 0 {
					require.NotEmpty(t, want)
				}

				for _, mode := range []string{"AddLine", "AddEvent"} {
					if mode == "AddEvent" && cfg.MaxLineBytes > 0 {
						continue // Decode has seen the whole line: no limit applies
					}
					errs = nil
					p, err := New(cfg)
					require.NoError(t, err)
					b, err := p.NewBuilder(rel)
					require.NoError(t, err)
					kept := 0
					for _, l := range lines {
						var ok bool
						if mode == "AddLine" {
							ok = b.AddLine(l)
						} else {
							ok = b.AddEvent(Decode(l))
						}
						if ok {
							kept++
						}
					}
					require.Equal(t, kept, b.Len(), mode)
					var got []string
					if rec := b.Flush(); rec != nil {
						got = cells(rec)
						rec.Release()
					}
					require.Equal(t, want, got, mode)
					require.Nil(t, b.Flush(), "an empty Builder flushes nothing")
					require.Equal(t, wantStats, b.Stats(), mode)
					require.Equal(t, wantErrs, errs, mode)
					b.Close()
					b.Close()
					require.Equal(t, wantStats, p.Stats(), "Close adds the counters to the Parser's")
				}
			})
		}
	}
}

// TestRowsView checks every value the Rows view reads against the batch
// Flush builds from the same rows.
func TestRowsView(t *testing.T) {
	data, err := os.ReadFile(sharedInput(t, "tetragon/robustness.jsonl"))
	require.NoError(t, err)
	p, err := New(Config{TargetInums: []uint64{4026533329, 4026533387}, NodeName: "prox1"})
	require.NoError(t, err)
	b, err := p.NewBuilder("robustness.jsonl")
	require.NoError(t, err)
	defer b.Close()
	for _, l := range splitLines(t, data) {
		b.AddLine(l)
	}
	rows := b.Rows()
	require.Greater(t, rows.Len(), 1000)
	require.Same(t, p.Schema(), rows.Schema())
	var got []string
	for i := range rows.Len() {
		row := ""
		for c := range rows.Schema().NumFields() {
			row += rows.Schema().Field(c).Name + "=" + viewCell(rows.Column(c), i) + " "
		}
		got = append(got, row)
	}
	rec := b.Flush()
	defer rec.Release()
	require.Zero(t, b.Len())
	var want []string
	for i := range int(rec.NumRows()) {
		row := ""
		for c := range int(rec.NumCols()) {
			cell := goldentest.Cell(rec.Column(c), i)
			if rec.Schema().Field(c).Type.ID() == arrow.LIST && cell != "null" {
				// The view reads a list's length.
				start, end := rec.Column(c).(*array.List).ValueOffsets(i)
				cell = fmt.Sprintf("len %d", end-start)
			}
			row += rec.Schema().Field(c).Name + "=" + cell + " "
		}
		want = append(want, row)
	}
	require.Equal(t, want, got)
}

// viewCell renders a Rows value as goldentest.Cell renders Arrow's.
func viewCell(c RowsColumn, i int) string {
	if c.IsNull(i) {
		return "null"
	}
	switch c.Type().ID() {
	case arrow.STRING:
		return strconv.Quote(c.Str(i))
	case arrow.BOOL:
		return strconv.FormatBool(c.Bool(i))
	case arrow.UINT64:
		return strconv.FormatUint(c.Uint(i), 10)
	case arrow.LIST:
		return fmt.Sprintf("len %d", c.ListLen(i))
	}
	return strconv.FormatInt(c.Int(i), 10)
}

func TestBuilderResetAndDue(t *testing.T) {
	line := []byte(`{"process_exec":{"process":{"exec_id":"a","binary":"/bin/sh","ns":{"pid":{"inum":1}}}},"time":"2026-04-19T21:48:02Z"}`)
	p, err := New(Config{BatchSize: 3, MaxDelay: -1})
	require.NoError(t, err)
	b, err := p.NewBuilder("/var/log/live.json")
	require.NoError(t, err)
	defer b.Close()
	require.False(t, b.Due(), "nothing pending")
	require.True(t, b.AddLine(line))
	require.False(t, b.AddLine([]byte(" ")))
	require.True(t, b.AddLine(line))
	require.False(t, b.Due(), "2 of 3 rows, no delay bound")
	b.Reset()
	require.Zero(t, b.Len())
	require.True(t, b.AddLine(line))
	require.True(t, b.AddLine(line))
	require.True(t, b.AddLine(line))
	require.True(t, b.Due(), "BatchSize rows")
	rec := b.Flush()
	require.EqualValues(t, 3, rec.NumRows())
	// Lines are numbered from the Builder's first, blank ones included;
	// rows name the base name of the source.
	src := rec.Column(rec.Schema().FieldIndices("_source_line")[0])
	file := rec.Column(rec.Schema().FieldIndices("_source_file")[0])
	require.Equal(t, []string{"4", "5", "6"}, []string{src.ValueStr(0), src.ValueStr(1), src.ValueStr(2)})
	require.Equal(t, "live.json", file.ValueStr(0))
	rec.Release()
	st := b.Stats()
	require.EqualValues(t, 6, st.LinesRead)
	require.EqualValues(t, 5, st.Kept())
	require.NoError(t, st.Check())

	p, err = New(Config{MaxDelay: time.Nanosecond})
	require.NoError(t, err)
	b2, err := p.NewBuilder("live")
	require.NoError(t, err)
	defer b2.Close()
	require.True(t, b2.AddLine(line))
	time.Sleep(time.Millisecond)
	require.True(t, b2.Due(), "the first row has waited longer than MaxDelay")
}

func TestAddEventErrors(t *testing.T) {
	p, err := New(Config{})
	require.NoError(t, err)
	var lineErrs []*LineError
	p.cfg.OnLineError = func(e *LineError) { lineErrs = append(lineErrs, e) }
	b, err := p.NewBuilder("x")
	require.NoError(t, err)
	defer b.Close()
	require.False(t, b.AddEvent(Decode([]byte("  \t"))))
	require.False(t, b.AddEvent(Decode([]byte(`{"process_exec":`))))
	require.False(t, b.AddEvent(nil, io.EOF))
	require.False(t, b.AddEvent(nil, nil))
	// A structure error found after the filters counts as one; before the
	// container filter drops the event, it counts as a drop (as in the
	// Parser).
	require.False(t, b.AddEvent(Decode([]byte(`{"process_exec":{"process":{"exec_id":"a","ns":{"pid":{"inum":1}},"flags":[1]}}}`))))
	require.False(t, b.AddEvent(Decode([]byte(`{"process_exec":{"process":{"exec_id":"a","ns":{"pid":{"is_host":true}},"flags":[1]}}}`))))
	// A kprobe event not made by Decode has no argument tree.
	ev := &Event{Kind: KindKprobe, Process: &Process{NS: Namespaces{PID: Namespace{Inum: some(uint64(1)), InumPresent: true}}}}
	ev.Kprobe.FunctionName = some("fd_install")
	require.True(t, b.AddEvent(ev, nil))
	st := b.Stats()
	require.EqualValues(t, 7, st.LinesRead)
	require.EqualValues(t, 1, st.Blank)
	require.EqualValues(t, 3, st.JSONErrors)
	require.EqualValues(t, 1, st.StructureErrors)
	require.EqualValues(t, 1, st.DroppedBy(DropHostNamespace))
	require.EqualValues(t, 1, st.ExtractionFailures)
	require.NoError(t, st.Check())
	require.Len(t, lineErrs, 4)
	require.Equal(t, int64(2), lineErrs[0].Line)
	require.Equal(t, 17, lineErrs[0].Column)
	require.ErrorIs(t, lineErrs[1], io.EOF)
	require.ErrorIs(t, lineErrs[3], ErrStructure)
}

// TestRecordsPromptOnPipe writes five lines into a pipe 200 ms apart and
// checks that each reaches the consumer before the next is written: the
// parser emits a partial batch whenever the pipe has nothing more.
func TestRecordsPromptOnPipe(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	p, err := New(Config{})
	require.NoError(t, err)
	got := make(chan int64, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rec, err := range p.Records(r, "pipe") {
			if err != nil {
				t.Error(err)
				return
			}
			lines := rec.Column(rec.Schema().FieldIndices("_source_line")[0])
			for i := range lines.Len() {
				n, _ := strconv.ParseInt(lines.ValueStr(i), 10, 64)
				got <- n
			}
		}
	}()
	for k := int64(1); k <= 5; k++ {
		if k > 1 {
			time.Sleep(200 * time.Millisecond)
		}
		_, err := fmt.Fprintf(w, `{"process_exec":{"process":{"exec_id":"e%d","ns":{"pid":{"inum":7}}}},"time":"2026-04-19T21:48:0%dZ"}`+"\n", k, k)
		require.NoError(t, err)
		// Nothing more is written until the line has arrived: a parser
		// that waited for more input would never deliver it.
		select {
		case n := <-got:
			require.Equal(t, k, n)
		case <-time.After(20 * time.Second):
			t.Fatalf("line %d did not reach the consumer before line %d was written", k, k+1)
		}
	}
	w.Close()
	<-done
	st := p.Stats()
	require.EqualValues(t, 5, st.LinesRead)
	require.EqualValues(t, 5, st.Kept())
}

// TestRecordsPipeMatchesFile streams a sample through a pipe in uneven
// writes and checks the rows and counters against a parse of the file.
func TestRecordsPipeMatchesFile(t *testing.T) {
	data, err := os.ReadFile(sharedInput(t, "tetragon/robustness.jsonl"))
	require.NoError(t, err)
	cfg := Config{TargetInums: []uint64{4026533329, 4026533387}, BatchSize: 100}
	p, err := New(cfg)
	require.NoError(t, err)
	var want []string
	for rec, err := range p.Records(bytes.NewReader(data), "robustness.jsonl") {
		require.NoError(t, err)
		want = append(want, cells(rec)...)
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	go func() {
		defer w.Close()
		for rest, n := data, 1; len(rest) > 0; n = n*7%4093 + 1 {
			k := min(n, len(rest))
			if _, err := w.Write(rest[:k]); err != nil {
				return
			}
			rest = rest[k:]
		}
	}()
	p2, err := New(cfg)
	require.NoError(t, err)
	var got []string
	batches := 0
	for rec, err := range p2.Records(r, "robustness.jsonl") {
		require.NoError(t, err)
		require.LessOrEqual(t, rec.NumRows(), int64(100))
		got = append(got, cells(rec)...)
		batches++
	}
	require.Equal(t, want, got)
	require.Equal(t, p.Stats(), p2.Stats())
	t.Logf("%d rows in %d batches", len(got), batches)
}

// TestRecordsStopsOnPipe stops consuming while the writer keeps the pipe
// open: the loop must end without more input.
func TestRecordsStopsOnPipe(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	p, err := New(Config{})
	require.NoError(t, err)
	fmt.Fprintln(w, `{"process_exec":{"process":{"exec_id":"a","ns":{"pid":{"inum":7}}}}}`)
	n := 0
	for rec, err := range p.Records(r, "pipe") {
		require.NoError(t, err)
		n += int(rec.NumRows())
		break
	}
	require.Equal(t, 1, n)
}

func TestCanBlock(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	f, err := os.Open(sharedInput(t, "tetragon/sample-small.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	require.True(t, canBlock(r))
	require.True(t, canBlock(io.MultiReader(f)))
	require.False(t, canBlock(f))
	require.False(t, canBlock(bytes.NewReader(nil)))
}

// TestRecordsMaxDelay: with a bound of 1 ns, a row never waits for a
// second one to join its batch, however fast the input arrives.
func TestRecordsMaxDelay(t *testing.T) {
	var data bytes.Buffer
	for k := range 50 {
		fmt.Fprintf(&data, `{"process_exec":{"process":{"exec_id":"e%d","ns":{"pid":{"inum":7}}}}}`+"\n", k)
	}
	p, err := New(Config{MaxDelay: time.Nanosecond})
	require.NoError(t, err)
	rows := 0
	for rec, err := range p.Records(io.MultiReader(&data), "stream") {
		require.NoError(t, err)
		require.LessOrEqual(t, rec.NumRows(), int64(2))
		rows += int(rec.NumRows())
	}
	require.Equal(t, 50, rows)
}

// TestAddEventEnvelopeStructureErrors: an event whose body is not an
// object is a structure error at the envelope, before any filter, through
// AddEvent as through AddLine (Decode must hand the stage on).
func TestAddEventEnvelopeStructureErrors(t *testing.T) {
	p, err := New(Config{})
	require.NoError(t, err)
	for _, line := range []string{
		`{"process_kprobe":""}`,
		`{"process_exec":"x"}`,
		`{"process_exit":[1]}`,
	} {
		var st [2]Stats
		for i, add := range []func(b *Builder){
			func(b *Builder) { b.AddLine([]byte(line)) },
			func(b *Builder) { b.AddEvent(Decode([]byte(line))) },
		} {
			b, err := p.NewBuilder("x")
			require.NoError(t, err)
			add(b)
			st[i] = b.Stats()
			b.Close()
		}
		require.EqualValues(t, 1, st[0].StructureErrors, line)
		require.Equal(t, st[0], st[1], line)
	}
}
