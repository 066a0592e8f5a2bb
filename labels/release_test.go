package labels

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLoadRejectsFreeTextTechniqueID: a technique_id is an ATT&CK id or a
// chain id; free text planted in it (a note, a host name) would reach the
// shards' technique_id column and the data card.
func TestLoadRejectsFreeTextTechniqueID(t *testing.T) {
	for _, id := range []string{
		"T1059.004 ask rypow",
		"prox1",
		"T1059.4",
		"t1059",
		"T10590",
		"CHAIN.CAP01 (dendroaspis)",
		"CHAIN.",
		"T1059\n",
		" T1059",
	} {
		in := "start_ts,end_ts,technique_id,trial\n" +
			"2026-04-19T21:00:00Z,2026-04-19T21:00:01Z,T1082,1\n" +
			"2026-04-19T21:00:02Z,2026-04-19T21:00:03Z,\"" + id + "\",1\n"
		set, err := Load(strings.NewReader(in))
		if err == nil {
			t.Fatalf("technique_id %q accepted", id)
		}
		if set != nil || !strings.Contains(err.Error(), "technique_id") || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("technique_id %q: %v", id, err)
		}
	}
	for _, id := range []string{"T1059", "T1059.004", "CHAIN.CAP01", "T1003.008"} {
		in := "start_ts,end_ts,technique_id,trial\n2026-04-19T21:00:00Z,2026-04-19T21:00:01Z," + id + ",1\n"
		if _, err := Load(strings.NewReader(in)); err != nil {
			t.Errorf("technique_id %q: %v", id, err)
		}
	}
}

// TestLoadTechniquePattern: the pattern is configurable, matched whole.
func TestLoadTechniquePattern(t *testing.T) {
	in := "start_ts,end_ts,technique_id,trial\n2026-04-19T21:00:00Z,2026-04-19T21:00:01Z,LAB-7,1\n"
	_, err := Load(strings.NewReader(in))
	if !errors.Is(err, ErrTechniqueID) {
		t.Fatalf("LAB-7 under the default pattern: %v", err)
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || le.Column != ColTechniqueID || le.Value != "LAB-7" {
		t.Errorf("error %v", err)
	}
	if _, err := Load(strings.NewReader(in), WithTechniquePattern(regexp.MustCompile(`^LAB-[0-9]+$`))); err != nil {
		t.Errorf("LAB-7 under its own pattern: %v", err)
	}
	// An unanchored pattern still has to match the whole id.
	_, err = Load(strings.NewReader(strings.Replace(in, "LAB-7", "LAB-7 notes", 1)), WithTechniquePattern(regexp.MustCompile(`LAB-[0-9]+`)))
	if !errors.Is(err, ErrTechniqueID) {
		t.Errorf("a partial match accepted: %v", err)
	}
	if _, err := Load(strings.NewReader(in), WithTechniquePattern(nil)); err != nil {
		t.Errorf("nil pattern: %v", err)
	}
}

// TestWriteReleaseKeepsDocumentedColumns: a labels file with extra
// columns is released with the documented ones only, in their order, and
// reads back to the same windows.
func TestWriteReleaseKeepsDocumentedColumns(t *testing.T) {
	in := "notes,technique_name,trial,technique_id,end_ts,start_ts,tactic,operator\n" +
		"\"ran by rypow on prox1, see ticket\",\"Command and Scripting Interpreter: Unix Shell\",1,T1059.004,2026-04-19T21:48:05.081Z,2026-04-19T21:48:02.652Z,Execution,rypow\n" +
		"second,\"Permissions Modification: Linux, Mac\",2,T1222.002,2026-04-19T21:48:01Z,2026-04-19T21:47:59.5Z,Defense Evasion,rypow\n" +
		"chain,Capstone,1,CHAIN.CAP01,2026-04-19T21:50:00.000000001Z,2026-04-19T21:49:00Z,Multiple,rypow\n"
	set, err := Load(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := set.WriteRelease(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "start_ts,end_ts,technique_id,trial,tactic,technique_name\n" +
		"2026-04-19T21:48:02.652Z,2026-04-19T21:48:05.081Z,T1059.004,1,Execution,Command and Scripting Interpreter: Unix Shell\n" +
		"2026-04-19T21:47:59.500Z,2026-04-19T21:48:01.000Z,T1222.002,2,Defense Evasion,\"Permissions Modification: Linux, Mac\"\n" +
		"2026-04-19T21:49:00.000Z,2026-04-19T21:50:00.000000001Z,CHAIN.CAP01,1,Multiple,Capstone\n"
	if out != want {
		t.Fatalf("release:\n%s\nwant:\n%s", out, want)
	}
	for _, s := range []string{"rypow", "prox1", "notes", "operator", "ticket"} {
		if strings.Contains(out, s) {
			t.Errorf("release holds %q", s)
		}
	}
	back, err := Load(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	a, c := set.Windows(), back.Windows()
	if len(a) != len(c) {
		t.Fatalf("%d windows back, want %d", len(c), len(a))
	}
	for i := range a {
		if a[i].Start != c[i].Start || a[i].End != c[i].End || a[i].TechniqueID != c[i].TechniqueID ||
			a[i].Trial != c[i].Trial || a[i].Tactic() != c[i].Tactic() || a[i].Attrs[ColTechniqueName] != c[i].Attrs[ColTechniqueName] {
			t.Errorf("window %d: %+v back as %+v", i, a[i], c[i])
		}
		if _, ok := c[i].Attrs["notes"]; ok {
			t.Errorf("window %d keeps notes", i)
		}
	}
	// Only the required columns: only those are written.
	min, err := Load(strings.NewReader("trial,technique_id,start_ts,end_ts,notes\n1,T1082,2026-04-19T21:00:00Z,2026-04-19T21:00:01Z,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := min.WriteRelease(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "start_ts,end_ts,technique_id,trial\n2026-04-19T21:00:00.000Z,2026-04-19T21:00:01.000Z,T1082,1\n" {
		t.Errorf("minimal release %q", got)
	}
}

// TestWriteReleaseTimesRoundTrip: written times read back to the same
// nanosecond over the whole int64 range the times can take.
func TestWriteReleaseTimesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		ns := rng.Int64N(1<<62) - 1<<61
		if rng.IntN(4) == 0 {
			ns -= ns % 1e6
		}
		if rng.IntN(4) == 0 {
			ns -= ns % 1e3
		}
		back, err := ParseTime(releaseTime(ns))
		if err != nil || back != ns {
			t.Fatalf("%d → %s → %d, %v", ns, releaseTime(ns), back, err)
		}
	}
}

// TestWriteReleaseSharedSample: the shared labels file, which holds only
// documented columns, is released as it is, but for the spelling of
// times (a whole second is written with its milliseconds).
func TestWriteReleaseSharedSample(t *testing.T) {
	data, err := os.ReadFile(sampleLabels())
	if err != nil {
		t.Skip("../shared not present")
	}
	set, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := set.WriteRelease(&b); err != nil {
		t.Fatal(err)
	}
	got, want := strings.Split(b.String(), "\n"), strings.Split(string(data), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := strings.SplitN(got[i], ",", 3), strings.SplitN(want[i], ",", 3)
		if len(g) != len(w) || (len(g) == 3 && g[2] != w[2]) {
			t.Fatalf("line %d: %q, want %q", i+1, got[i], want[i])
		}
		if i == 0 || len(g) < 3 {
			continue
		}
		for k := range 2 {
			tg, err1 := ParseTime(g[k])
			tw, err2 := ParseTime(w[k])
			if err1 != nil || err2 != nil || tg != tw {
				t.Errorf("line %d: time %q, want %q", i+1, g[k], w[k])
			}
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReleaseWriteError(t *testing.T) {
	set := mustLoad(t, sampleCSV)
	if err := set.WriteRelease(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteRelease to a failing writer: %v", err)
	}
}
