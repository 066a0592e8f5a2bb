package labels

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sampleCSV = `start_ts,end_ts,technique_id,trial,tactic,technique_name
2026-04-19T21:48:02.652Z,2026-04-19T21:48:05.081Z,T1195.002,1,Initial Access,Supply Chain Compromise
2026-04-19T21:48:08.777Z,2026-04-19T21:48:12.025Z,T1195.002,2,Initial Access,Supply Chain Compromise
2026-04-19T21:50:42.982Z,2026-04-19T21:50:45.831Z,T1082,1,Discovery,System Information Discovery
2026-04-19T21:49:47.696Z,2026-04-19T21:49:50.739Z,T1222.002,1,Defense Evasion,"File and Directory Permissions Modification: Linux, Mac"
`

// anyTechnique accepts the short made-up technique ids (T1, OUTER) of the
// tests of everything but technique ids.
var anyTechnique = WithTechniquePattern(nil)

func mustLoad(t *testing.T, s string) *Set {
	t.Helper()
	set, err := Load(strings.NewReader(s), anyTechnique)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return set
}

func mustTime(t *testing.T, s string) int64 {
	t.Helper()
	ns, err := ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestLoadSample(t *testing.T) {
	set := mustLoad(t, sampleCSV)
	if got, want := set.Len(), 4; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	if got, want := set.Header(), []string{"start_ts", "end_ts", "technique_id", "trial", "tactic", "technique_name"}; !slices.Equal(got, want) {
		t.Errorf("Header = %q, want %q", got, want)
	}
	if !set.HasColumn(ColTactic) || set.HasColumn("nope") {
		t.Error("HasColumn wrong")
	}
	ws := set.Windows()
	// Sorted by start: the T1082 row (line 4) comes after T1222.002 (line 5).
	var lines []int
	for _, w := range ws {
		lines = append(lines, w.Line)
	}
	if want := []int{2, 3, 5, 4}; !slices.Equal(lines, want) {
		t.Errorf("window lines in label order = %v, want %v", lines, want)
	}
	w := ws[2]
	if w.TechniqueID != "T1222.002" || w.Trial != "1" || w.Tactic() != "Defense Evasion" ||
		w.Attrs[ColTechniqueName] != "File and Directory Permissions Modification: Linux, Mac" {
		t.Errorf("window 2 = %+v", w)
	}
	if w.Start != mustTime(t, "2026-04-19T21:49:47.696Z") || w.End != mustTime(t, "2026-04-19T21:49:50.739Z") {
		t.Errorf("window 2 times = %d, %d", w.Start, w.End)
	}
	if _, ok := w.Attrs[ColStartTS]; ok {
		t.Error("required columns must not be in Attrs")
	}
	if got, ok := set.Window(-1); ok {
		t.Errorf("Window(-1) = %+v, true", got)
	}
	if got, ok := set.Window(3); !ok || got.Line != 4 {
		t.Errorf("Window(3) = %+v, %v", got, ok)
	}
	if len(set.Overlaps()) != 0 {
		t.Errorf("Overlaps = %v, want none", set.Overlaps())
	}
}

func TestLoadUnsortedFileSameSet(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(sampleCSV), "\n")
	header, rows := lines[0], lines[1:]
	sorted := mustLoad(t, sampleCSV)
	// Every rotation and the reversal of the data rows give the same
	// windows in the same label order (lines differ, so compare content).
	perms := [][]string{slices.Clone(rows)}
	slices.Reverse(perms[0])
	for i := 1; i < len(rows); i++ {
		perms = append(perms, append(slices.Clone(rows[i:]), rows[:i]...))
	}
	times := []int64{
		mustTime(t, "2026-04-19T21:48:03Z"), mustTime(t, "2026-04-19T21:48:06Z"),
		mustTime(t, "2026-04-19T21:49:48Z"), mustTime(t, "2026-04-19T21:50:44Z"),
	}
	want := sorted.Label(times)
	for _, p := range perms {
		set := mustLoad(t, header+"\n"+strings.Join(p, "\n")+"\n")
		for i, w := range set.Windows() {
			s := sorted.Windows()[i]
			if w.Start != s.Start || w.End != s.End || w.TechniqueID != s.TechniqueID || w.Trial != s.Trial {
				t.Fatalf("order %v: window %d = %+v, want %+v", p, i, w, s)
			}
		}
		if got := set.Label(times); !slices.Equal(got, want) {
			t.Errorf("labels = %v, want %v", got, want)
		}
	}
}

func TestLoadHeaderLeniency(t *testing.T) {
	// BOM, padded names, columns in another order, CRLF, blank lines.
	set := mustLoad(t, "\ufefftrial , technique_id,end_ts, start_ts\r\n\r\n1,T1,2026-01-01T00:00:01Z,2026-01-01T00:00:00Z\r\n")
	w := set.Windows()[0]
	if w.Trial != "1" || w.TechniqueID != "T1" || w.End-w.Start != 1e9 || w.Line != 3 {
		t.Errorf("window = %+v", w)
	}
}

func TestLoadErrors(t *testing.T) {
	const hdr = "start_ts,end_ts,technique_id,trial\n"
	const ok = "2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,T1,1\n"
	cases := []struct {
		name, in string
		want     error
		line     int
		column   string
		msg      string // substring of the message
	}{
		{"empty file", "", ErrMissingColumn, 1, "", "labels: line 1: missing required column: empty file"},
		{"missing start_ts", "end_ts,technique_id,trial\n", ErrMissingColumn, 1, ColStartTS, "start_ts: missing required column"},
		{"missing end_ts", "start_ts,technique_id,trial\n", ErrMissingColumn, 1, ColEndTS, ""},
		{"missing technique_id", "start_ts,end_ts,trial\n", ErrMissingColumn, 1, ColTechniqueID, ""},
		{"missing trial", "start_ts,end_ts,technique_id\n", ErrMissingColumn, 1, ColTrial, ""},
		{"duplicate column", "start_ts,end_ts,technique_id,trial,trial\n", ErrDuplicateColumn, 1, ColTrial, ""},
		{"field count", hdr + ok + "2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,T1\n", ErrFieldCount, 3, "", "wrong number of fields: 3, header has 4"},
		{"bad start", hdr + ok + "yesterday,2026-01-01T00:00:01Z,T2,1\n", ErrBadTime, 3, ColStartTS, `line 3: start_ts "yesterday": unparseable timestamp`},
		{"bad end", hdr + "2026-01-01T00:00:00Z,2026-01-01T00:00:01,T2,1\n", ErrBadTime, 2, ColEndTS, `end_ts "2026-01-01T00:00:01": unparseable`},
		{"empty time", hdr + ",2026-01-01T00:00:01Z,T2,1\n", ErrBadTime, 2, ColStartTS, `start_ts "": unparseable`},
		{"end == start", hdr + "2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,T2,1\n", ErrEmptyWindow, 2, ColEndTS, "window end not after start"},
		{"end < start", hdr + "2026-01-01T00:00:01Z,2026-01-01T00:00:00Z,T2,1\n", ErrEmptyWindow, 2, ColEndTS, ""},
		{"duplicate window", hdr + ok + "\n" + "2026-01-02T00:00:00Z,2026-01-02T00:00:01Z,T1,1\n", ErrDuplicateWindow, 4, "", `duplicate (technique_id, trial): ("T1", "1") (first on line 2)`},
		{"empty technique", hdr + "2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,,1\n", ErrEmptyValue, 2, ColTechniqueID, `technique_id "": empty required value`},
		{"empty trial", hdr + "2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,T1,\n", ErrEmptyValue, 2, ColTrial, ""},
		// Quotes are lenient, as in Python's csv: an unterminated quote
		// swallows the rest of the file, which then has too few fields.
		{"unterminated quote", hdr + ok + "2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,\"T2,1\n" + ok, ErrFieldCount, 3, "", "wrong number of fields: 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := Load(strings.NewReader(c.in), anyTechnique)
			if set != nil || err == nil {
				t.Fatalf("Load = %v, %v; want error", set, err)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("error %q is not %v", err, c.want)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %q is not a *LineError", err)
			}
			if le.Line != c.line || le.Column != c.column {
				t.Errorf("LineError line %d column %q, want %d %q (%v)", le.Line, le.Column, c.line, c.column, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err, c.msg)
			}
		})
	}
}

func TestLoadReportsAllErrors(t *testing.T) {
	in := "start_ts,end_ts,technique_id,trial\n" +
		"2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,T1,1\n" +
		"bad,2026-01-01T00:00:01Z,T1,2\n" +
		"2026-01-01T00:00:05Z,2026-01-01T00:00:04Z,T1,3\n" +
		"2026-01-01T00:00:06Z,2026-01-01T00:00:07Z,T1,1\n"
	_, err := Load(strings.NewReader(in), anyTechnique)
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("%v is not a *LineError", e)
		}
		lines = append(lines, le.Line)
	}
	if want := []int{3, 4, 5}; !slices.Equal(lines, want) {
		t.Errorf("error lines = %v, want %v (%v)", lines, want, err)
	}
	for _, s := range []error{ErrBadTime, ErrEmptyWindow, ErrDuplicateWindow} {
		if !errors.Is(err, s) {
			t.Errorf("joined error is not %v", s)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(path, []byte("start_ts,end_ts,technique_id,trial\nx,2026-01-01T00:00:01Z,T1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path, anyTechnique)
	if want := path + `:2: start_ts "x": unparseable timestamp`; err == nil || err.Error() != want {
		t.Errorf("LoadFile error = %v, want %q", err, want)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(path, []byte(sampleCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if set, err := LoadFile(path); err != nil || set.Len() != 4 {
		t.Errorf("LoadFile = %v, %v", set, err)
	}
}

func TestParseTime(t *testing.T) {
	if ns, err := ParseTime("1970-01-01T00:00:01.5Z"); err != nil || ns != 1_500_000_000 {
		t.Errorf("ParseTime = %d, %v", ns, err)
	}
	if _, err := ParseTime("1970-01-01T00:00:01"); !errors.Is(err, ErrBadTime) {
		t.Errorf("ParseTime(no Z) error = %v", err)
	}
}

func TestOverlaps(t *testing.T) {
	set := mustLoad(t, `start_ts,end_ts,technique_id,trial
1970-01-01T00:00:10Z,1970-01-01T00:00:40Z,OUTER,1
1970-01-01T00:00:20Z,1970-01-01T00:00:25Z,INNER,1
1970-01-01T00:00:30Z,1970-01-01T00:00:50Z,LATE,1
1970-01-01T00:00:50Z,1970-01-01T00:01:00Z,ADJACENT,1
`)
	got := set.Overlaps()
	s := func(x int64) int64 { return x * 1e9 }
	want := []Overlap{
		{First: 0, Second: 1, From: s(20), To: s(25)},
		{First: 0, Second: 2, From: s(30), To: s(40)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Overlaps = %+v, want %+v (adjacent windows do not overlap)", got, want)
	}
}

// TestSetHandsOutCopies: a Set is immutable, so the windows it returns,
// and their Attrs, are copies.
func TestSetHandsOutCopies(t *testing.T) {
	set, err := Load(strings.NewReader("start_ts,end_ts,technique_id,trial,tactic\n" +
		"2026-04-19T22:00:00Z,2026-04-19T22:00:03Z,T1059,1,Execution\n"))
	if err != nil {
		t.Fatal(err)
	}
	ws := set.Windows()
	ws[0].Attrs["tactic"] = "changed"
	ws[0].TechniqueID = "T0000"
	w, ok := set.Window(0)
	if !ok || w.Tactic() != "Execution" || w.TechniqueID != "T1059" {
		t.Fatalf("Set changed through Windows: %+v", w)
	}
	w.Attrs["tactic"] = "changed again"
	if got := set.Windows()[0].Tactic(); got != "Execution" {
		t.Fatalf("Set changed through Window: tactic %q", got)
	}
}
