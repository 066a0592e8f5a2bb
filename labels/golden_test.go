package labels

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// The shared sample: ../shared beside the module, or the committed parity
// slice (the labels file whole, the golden rows a slice).
func goldenEvents() string {
	return filepath.Join(goldentest.Parity().Golden, "sample-small.golden.jsonl.gz")
}

func goldenLabeled() string {
	return filepath.Join(goldentest.Parity().Golden, "sample-small.labeled.csv.gz")
}

func sampleLabels() string {
	return filepath.Join(goldentest.Parity().Testdata, "tetragon", "sample-small.labels.csv")
}

func openGz(t *testing.T, path string) *gzip.Reader {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("shared sample absent: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return zr
}

// goldenTimes reads raw.event_time of every golden row (valid false = null).
func goldenTimes(t *testing.T) (times []int64, valid []bool) {
	t.Helper()
	dec := json.NewDecoder(openGz(t, goldenEvents()))
	for line := 1; dec.More(); line++ {
		var row struct {
			Raw struct {
				EventTime *int64 `json:"event_time"`
			} `json:"raw"`
		}
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("%s line %d: %v", goldenEvents(), line, err)
		}
		if row.Raw.EventTime == nil {
			times, valid = append(times, 0), append(valid, false)
		} else {
			times, valid = append(times, *row.Raw.EventTime), append(valid, true)
		}
	}
	return times, valid
}

type goldenRow struct {
	eventTime string
	isAttack  bool
	technique string
}

func goldenLabels(t *testing.T) []goldenRow {
	t.Helper()
	cr := csv.NewReader(openGz(t, goldenLabeled()))
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", goldenLabeled(), err)
	}
	if len(recs) == 0 || len(recs[0]) != 4 || recs[0][0] != "row" || recs[0][1] != "event_time" ||
		recs[0][2] != "is_attack" || recs[0][3] != "technique_id" {
		t.Fatalf("%s: unexpected header %q", goldenLabeled(), recs[0])
	}
	out := make([]goldenRow, 0, len(recs)-1)
	for i, r := range recs[1:] {
		if r[0] != strconv.Itoa(i) {
			t.Fatalf("%s line %d: row %q, want %d", goldenLabeled(), i+2, r[0], i)
		}
		out = append(out, goldenRow{eventTime: r[1], isAttack: r[2] == "true", technique: r[3]})
	}
	return out
}

func loadSampleLabels(t *testing.T) *Set {
	t.Helper()
	set, err := LoadFile(sampleLabels())
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("shared sample absent: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestGoldenSampleSmall(t *testing.T) {
	set := loadSampleLabels(t)
	if set.Len() != 61 {
		t.Errorf("%s: %d windows, want 61", sampleLabels(), set.Len())
	}
	if ov := set.Overlaps(); len(ov) != 0 {
		t.Errorf("sample windows overlap: %+v", ov)
	}
	times, valid := goldenTimes(t)
	want := goldenLabels(t)
	if len(times) != len(want) {
		t.Fatalf("%d golden events, %d labeled rows", len(times), len(want))
	}
	labels, err := set.LabelInto(nil, times, valid)
	if err != nil {
		t.Fatal(err)
	}

	// Same rows through the Arrow path.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := eventRecord(t, mem, tsNS, times, valid)
	defer rec.Release()
	labeled, err := set.AppendLabels(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer labeled.Release()
	att := labeled.Column(2).(*array.Boolean)
	tech := labeled.Column(3).(*array.String)

	mismatches, attacks := 0, 0
	for i, w := range want {
		et := ""
		if valid[i] {
			et = strconv.FormatInt(times[i], 10)
		}
		gotTech := set.Technique(labels[i])
		arrowTech := ""
		if tech.IsValid(i) {
			arrowTech = tech.Value(i)
		}
		if et != w.eventTime || (labels[i] >= 0) != w.isAttack || gotTech != w.technique ||
			att.Value(i) != w.isAttack || arrowTech != w.technique || tech.IsNull(i) == w.isAttack {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("row %d: event_time %s is_attack %v technique %q (arrow %v %q); golden %s %v %q",
					i, et, labels[i] >= 0, gotTech, att.Value(i), arrowTech, w.eventTime, w.isAttack, w.technique)
			}
		}
		if w.isAttack {
			attacks++
		}
	}
	t.Logf("compared %d rows (%d attack rows), %d mismatches", len(want), attacks, mismatches)
	if attacks == 0 {
		t.Error("golden has no attack rows; the comparison is vacuous")
	}

	// The tables of the sample, through AddRecord (which cross-checks).
	tally := NewTally(set, nil)
	if err := tally.AddRecord(labeled); err != nil {
		t.Fatal(err)
	}
	if got := tally.Splits()[0]; got.Events != int64(len(want)) || got.Attacks != int64(attacks) {
		t.Errorf("tally = %+v, want %d events %d attacks", got, len(want), attacks)
	}
}
