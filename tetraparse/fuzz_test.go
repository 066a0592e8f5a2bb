package tetraparse

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary lines to Decode and to a Parser stream. The
// committed seed corpus (testdata/fuzz/FuzzDecode) holds lines of the
// shared samples; when ../shared is present all of their lines are added.
func FuzzDecode(f *testing.F) {
	for _, rel := range []string{"tetragon/sample-small.jsonl", "tetragon/robustness.jsonl", "tetragon-docs/events.jsonl"} {
		dir := sharedTestdataOrEmpty()
		if dir == "" {
			break
		}
		fh, err := os.Open(dir + "/" + rel)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<24)
		for i := 0; sc.Scan(); i++ {
			if i%7 == 0 { // a spread of lines keeps start-up short
				f.Add(append([]byte(nil), sc.Bytes()...))
			}
		}
		fh.Close()
	}
	p, err := New(Config{TargetInums: []uint64{4026533329, 4026533387}, BatchSize: 4})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := Decode(line)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || (!errors.Is(err, ErrSyntax) && !errors.Is(err, ErrStructure)) {
				t.Fatalf("Decode error %T %v is not a *DecodeError", err, err)
			}
		} else if ev == nil {
			t.Fatal("nil event without error")
		}
		s, err := p.newStream()
		if err != nil {
			t.Fatal(err)
		}
		defer s.rows.discard()
		// The same line twice: the second time its process blocks may come
		// from the block cache, and must decode identically.
		s.line(line, "fuzz", 1)
		s.line(line, "fuzz", 1)
		if err := s.stats.Check(); err != nil {
			t.Fatal(err)
		}
		if s.stats.LinesRead != 2 {
			t.Fatalf("lines read %d", s.stats.LinesRead)
		}
		// The stream checks no UTF-8 itself: a line that is not UTF-8
		// must fail to parse.
		if !utf8.Valid(line) && s.stats.JSONErrors != 2 {
			t.Fatalf("a line that is not UTF-8 was not a JSON error: %+v", s.stats)
		}
		if rec := s.rows.flush(); rec != nil {
			defer rec.Release()
			if rec.NumRows() != 2 || s.stats.Kept() != 2 {
				t.Fatalf("rows %d, kept %d", rec.NumRows(), s.stats.Kept())
			}
			for c := range int(rec.NumCols()) {
				if a, b := rec.Column(c).GetOneForMarshal(0), rec.Column(c).GetOneForMarshal(1); fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("column %s: %v then %v", rec.Schema().Field(c).Name, a, b)
				}
			}
		} else if s.stats.Kept() != 0 {
			t.Fatal("kept rows but no batch")
		}
		// Decode's result through a Builder gives the row and counters
		// of the line itself.
		var viaLine, viaEvent []string
		var stLine, stEvent Stats
		for i, add := range []func(b *Builder) bool{
			func(b *Builder) bool { return b.AddLine(line) },
			func(b *Builder) bool { return b.AddEvent(Decode(line)) },
		} {
			b, err := p.NewBuilder("fuzz")
			if err != nil {
				t.Fatal(err)
			}
			add(b)
			var rows []string
			if rec := b.Flush(); rec != nil {
				rows = cells(rec)
				rec.Release()
			}
			if i == 0 {
				viaLine, stLine = rows, b.Stats()
			} else {
				viaEvent, stEvent = rows, b.Stats()
			}
			b.Close()
		}
		if fmt.Sprint(viaLine) != fmt.Sprint(viaEvent) || !reflect.DeepEqual(stLine, stEvent) {
			t.Fatalf("AddEvent(Decode(line)) differs from AddLine(line):\n%v %+v\n%v %+v", viaLine, stLine, viaEvent, stEvent)
		}
	})
}

func sharedTestdataOrEmpty() string {
	if dir := sharedTestdataDir(); dir != "" {
		return dir
	}
	return ""
}
