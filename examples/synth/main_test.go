package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		require.NoError(t, err)
		r = zr
	}
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	return bytes.Count(data, []byte{'\n'})
}

func TestStdoutAndFile(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-events", "50", "-seed", "3", "-q"}, &out, io.Discard))
	assert.Equal(t, 50, bytes.Count(out.Bytes(), []byte{'\n'}))

	dir := t.TempDir()
	gz := filepath.Join(dir, "events.json.gz")
	require.NoError(t, run([]string{"-events", "50", "-seed", "3", "-q", "-out", gz}, io.Discard, io.Discard))
	assert.Equal(t, 50, lines(t, gz))
	// Deterministic for a seed: the gzip'd file holds the same bytes.
	zf, err := os.Open(gz)
	require.NoError(t, err)
	defer zf.Close()
	zr, err := gzip.NewReader(zf)
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, out.Bytes(), plain)
}

func TestRotatedSet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	var stderr bytes.Buffer
	require.NoError(t, run([]string{"-events", "1050", "-rotate", "300", "-compress", "-out", dir,
		"-labels", filepath.Join(dir, "..", "labels.csv"), "-windows", "5"}, io.Discard, &stderr))
	files, err := tetraparse.Inputs(dir)
	require.NoError(t, err)
	var names []string
	total := 0
	for _, f := range files {
		names = append(names, filepath.Base(f))
		total += lines(t, f)
	}
	// Lumberjack's layout: three compressed backups named by their
	// rotation time, oldest first, then the active file.
	require.Len(t, names, 4)
	assert.Equal(t, "tetragon.log", names[3])
	var stamps []time.Time
	for _, n := range names[:3] {
		stamp, ok := strings.CutPrefix(n, "tetragon-")
		require.True(t, ok, n)
		stamp, ok = strings.CutSuffix(stamp, ".log.gz")
		require.True(t, ok, n)
		at, err := time.Parse("2006-01-02T15-04-05.000", stamp)
		require.NoError(t, err, n)
		stamps = append(stamps, at)
	}
	assert.Equal(t, 1050, total)
	// Each backup was rotated by the first event of the next file: its
	// time lies between its own last event and that first event.
	for k, at := range stamps {
		ev := eventTimes(t, files[k])
		next := eventTimes(t, files[k+1])
		assert.Len(t, ev, 300)
		assert.False(t, at.Before(ev[len(ev)-1].Truncate(time.Millisecond)), names[k])
		assert.Equal(t, next[0].Truncate(time.Millisecond), at, names[k])
	}
	assert.Len(t, eventTimes(t, files[3]), 150)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no temporary file left behind")
	assert.Contains(t, stderr.String(), "build with -cut ")

	// The labels load, do not overlap, and all start at or after the cut.
	set, err := labels.LoadFile(filepath.Join(dir, "..", "labels.csv"))
	require.NoError(t, err)
	assert.Equal(t, 5, set.Len())
	assert.Empty(t, set.Overlaps())
	cutText := strings.TrimSpace(stderr.String()[strings.LastIndex(stderr.String(), "-cut ")+5:])
	cut, err := time.Parse(time.RFC3339Nano, cutText)
	require.NoError(t, err)
	_, err = set.Split(cut.UnixNano())
	require.NoError(t, err)

	// Parsing the set accounts for every line.
	p, err := tetraparse.New(tetraparse.Config{})
	require.NoError(t, err)
	for _, err := range p.Files(files) {
		require.NoError(t, err)
	}
	st := p.Stats()
	require.NoError(t, st.Check())
	assert.EqualValues(t, 1050, st.LinesRead)
	assert.Zero(t, st.JSONErrors)
}

// eventTimes returns the "time" of every event of an export file, in
// file order.
func eventTimes(t *testing.T, path string) []time.Time {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		require.NoError(t, err)
		r = zr
	}
	var out []time.Time
	dec := json.NewDecoder(r)
	for dec.More() {
		var ev struct {
			Time time.Time `json:"time"`
		}
		require.NoError(t, dec.Decode(&ev))
		out = append(out, ev.Time)
	}
	return out
}

// TestCorpusSample checks that package corpus's embedded sample labels
// and cut still match what this command makes from the sample's
// parameters (they would drift if internal/synth changed).
func TestCorpusSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "corpus", "sample", "sample.json"))
	require.NoError(t, err)
	var p struct {
		Seed         uint64  `json:"seed"`
		Events       int     `json:"events"`
		Rotate       int     `json:"rotate"`
		Windows      int     `json:"windows"`
		TestFraction float64 `json:"test_fraction"`
		Cut          string  `json:"cut"`
	}
	require.NoError(t, json.Unmarshal(data, &p))
	o := &options{seed: p.Seed, events: p.Events}
	cfg, err := o.config()
	require.NoError(t, err)
	sp, err := writeRotated(cfg, t.TempDir(), p.Rotate, false)
	require.NoError(t, err)
	cut, ws := Windows(p.Seed, sp.first, sp.last, p.TestFraction, p.Windows)
	assert.Equal(t, p.Cut, fmtTime(cut), "sample.json cut")
	var b bytes.Buffer
	require.NoError(t, WriteLabels(&b, ws))
	want, err := os.ReadFile(filepath.Join("..", "..", "corpus", "sample", "labels.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "regenerate with the command in corpus/sample.go")
}

func TestWindows(t *testing.T) {
	first := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	last := first.Add(time.Hour)
	cut, ws := Windows(9, first, last, 0.25, 25)
	assert.Equal(t, first.Add(45*time.Minute), cut)
	require.Len(t, ws, 25)
	trials := map[string]int{}
	for i, w := range ws {
		assert.False(t, w.Start.Before(cut))
		assert.True(t, w.End.After(w.Start))
		assert.False(t, w.End.After(last))
		if i > 0 {
			assert.False(t, w.Start.Before(ws[i-1].End), "windows overlap")
		}
		trials[w.Technique.ID]++
		assert.Equal(t, trials[w.Technique.ID], w.Trial)
	}
	cut2, ws2 := Windows(9, first, last, 0.25, 25)
	assert.Equal(t, cut, cut2)
	assert.Equal(t, ws, ws2)
	_, none := Windows(9, first, last, 0.25, 0)
	assert.Empty(t, none)
	assert.Equal(t, `"a,b"`, csvField("a,b"))
	assert.Equal(t, `"say ""hi"""`, csvField(`say "hi"`))
}

func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-events", "-1"}, "-events"},
		{[]string{"-rotate", "10"}, "-out directory"},
		{[]string{"-compress", "-out", "x"}, "-compress"},
		{[]string{"-test-fraction", "1"}, "-test-fraction"},
		{[]string{"-start", "tomorrow"}, "-start"},
		{[]string{"extra"}, "unexpected"},
	} {
		err := run(c.args, io.Discard, io.Discard)
		assert.ErrorContains(t, err, c.want, "%v", c.args)
	}
	err := run([]string{"-events", "0", "-labels", filepath.Join(t.TempDir(), "l.csv")}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "no events")
}
