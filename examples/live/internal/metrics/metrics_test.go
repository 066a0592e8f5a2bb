package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
)

// family is one parsed metric family.
type family struct {
	help, typ string
	samples   map[string]float64 // label set as written → value
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseExposition parses Prometheus text format strictly enough to catch
// what a scraper would reject: names, HELP/TYPE before samples and once per
// family, counters named *_total, label syntax and escapes, values, no
// duplicate series.
func parseExposition(t *testing.T, text string) map[string]*family {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("exposition does not end with a newline")
	}
	fams := map[string]*family{}
	var cur string
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(f string, a ...any) { t.Fatalf("line %d %q: %s", i+1, line, fmt.Sprintf(f, a...)) }
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, ok := strings.Cut(line[len("# HELP "):], " ")
			if !ok || !metricName.MatchString(name) {
				fail("bad HELP")
			}
			if _, dup := fams[name]; dup {
				fail("family %s described twice", name)
			}
			if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(help, `\\`, ""), `\n`, ""), `\`) {
				fail("bad escape in HELP")
			}
			fams[name] = &family{help: help, samples: map[string]float64{}}
			cur = name
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, ok := strings.Cut(line[len("# TYPE "):], " ")
			if !ok || name != cur || fams[name].typ != "" || len(fams[name].samples) > 0 {
				fail("TYPE not right after its HELP")
			}
			switch typ {
			case "counter":
				if !strings.HasSuffix(name, "_total") {
					fail("counter %s does not end in _total", name)
				}
			case "gauge":
				if strings.HasSuffix(name, "_total") {
					fail("gauge %s ends in _total", name)
				}
			default:
				fail("type %q", typ)
			}
			fams[name].typ = typ
		case strings.HasPrefix(line, "#") || line == "":
			fail("unexpected line")
		default:
			name, rest := line, ""
			if i := strings.IndexAny(line, "{ "); i >= 0 {
				name, rest = line[:i], line[i:]
			}
			if name != cur || fams[cur].typ == "" {
				fail("sample of %s outside its family", name)
			}
			labels := ""
			if strings.HasPrefix(rest, "{") {
				end := parseLabels(t, rest, fail)
				labels, rest = rest[:end], rest[end:]
			}
			vs, ok := strings.CutPrefix(rest, " ")
			if !ok {
				fail("no value")
			}
			v, err := strconv.ParseFloat(vs, 64)
			if err != nil {
				fail("value: %v", err)
			}
			if _, dup := fams[cur].samples[labels]; dup {
				fail("duplicate series")
			}
			fams[cur].samples[labels] = v
		}
	}
	for name, f := range fams {
		if f.typ == "" {
			t.Errorf("%s has no TYPE", name)
		}
		if !strings.HasPrefix(name, Prefix) {
			t.Errorf("%s lacks the prefix %s", name, Prefix)
		}
	}
	return fams
}

// parseLabels checks `{name="value",...}` with escapes and returns the
// index after the closing brace.
func parseLabels(t *testing.T, s string, fail func(string, ...any)) int {
	i := 1
	for {
		j := strings.Index(s[i:], `="`)
		if j < 0 || !labelName.MatchString(s[i:i+j]) {
			fail("bad label name")
		}
		i += j + 2
		for ; ; i++ {
			if i >= len(s) {
				fail("unterminated label value")
			}
			if s[i] == '\\' {
				if i+1 >= len(s) || !strings.ContainsRune(`\"n`, rune(s[i+1])) {
					fail("bad escape")
				}
				i++
				continue
			}
			if s[i] == '\n' {
				fail("raw newline in label")
			}
			if s[i] == '"' {
				break
			}
		}
		i++
		if i < len(s) && s[i] == '}' {
			return i + 1
		}
		if i >= len(s) || s[i] != ',' {
			fail("bad label list")
		}
		i++
	}
}

func sample(c *Counters) Snapshot {
	for range 5 {
		c.Line(100)
	}
	c.Kept()
	c.Kept()
	c.Alert()
	c.Dropped("filtered")
	c.Dropped(`odd "reason"\with` + "\nnewline")
	c.Dropper("parse_error").Add(2)
	c.InputDropped("line_too_long")
	c.Gap("truncated")
	c.Checkpointed(time.Unix(1700000000, 500_000_000), nil)
	c.Checkpointed(time.Now(), errors.New("disk full"))
	return c.Snapshot(follow.Stats{Rotations: 3, LagBytes: 4096, LagSeconds: 1.5, Watching: true})
}

func TestPrometheusFormat(t *testing.T) {
	var c Counters
	var b strings.Builder
	if err := sample(&c).WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	fams := parseExposition(t, b.String())
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"lines_read_total", "", 5},
		{"input_bytes_total", "", 500},
		{"events_kept_total", "", 2},
		{"alerts_total", "", 1},
		{"events_dropped_total", `{reason="filtered"}`, 1},
		{"events_dropped_total", `{reason="parse_error"}`, 2},
		{"events_dropped_total", `{reason="odd \"reason\"\\with\nnewline"}`, 1},
		{"input_lines_dropped_total", `{reason="line_too_long"}`, 1},
		{"input_gaps_total", `{reason="truncated"}`, 1},
		{"input_rotations_total", "", 3},
		{"input_watching", "", 1},
		{"lag_bytes", "", 4096},
		{"lag_seconds", "", 1.5},
		{"checkpoints_total", "", 1},
		{"checkpoint_errors_total", "", 1},
		{"last_checkpoint_timestamp_seconds", "", 1700000000.5},
	} {
		f := fams[Prefix+tc.name]
		if f == nil {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if got, ok := f.samples[tc.labels]; !ok || got != tc.want {
			t.Errorf("%s%s = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if f := fams[Prefix+"heap_bytes"]; f == nil || f.samples[""] <= 0 {
		t.Error("heap_bytes missing or zero")
	}
	if f := fams[Prefix+"heap_live_bytes"]; f == nil {
		t.Error("heap_live_bytes missing")
	}
	runtime.GC() // before the first collection nothing is known live
	if s := new(Counters).Snapshot(follow.Stats{}); s.HeapLiveBytes == 0 {
		t.Errorf("heap live %d, objects %d", s.HeapLiveBytes, s.HeapBytes)
	}
}

func TestHandler(t *testing.T) {
	var c Counters
	snap := func() Snapshot { return sample(&c) }
	srv := httptest.NewServer(Handler(snap))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	parseExposition(t, string(body))
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"POST", "/metrics", 405}, {"GET", "/", 404}, {"GET", "/debug/pprof/", 404}} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestServe(t *testing.T) {
	var c Counters
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := Serve(ctx, "127.0.0.1:0", func() Snapshot { return c.Snapshot(follow.Stats{}) })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	found := false
	for sc.Scan() {
		found = found || sc.Text() == Prefix+"lines_read_total 0"
	}
	resp.Body.Close()
	if !found {
		t.Error("no lines_read_total sample")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("server: %v", err)
	}
}

func TestStatusLine(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	prev := Snapshot{Time: t0, Lines: 1000}
	cur := Snapshot{
		Time: t0.Add(10 * time.Second), Lines: 41000, Kept: 40000, Alerts: 3,
		Dropped:   map[string]uint64{"parse_error": 10, "filtered": 990},
		Gaps:      map[string]uint64{"truncated": 1},
		Input:     follow.Stats{LagBytes: 2048, LagSeconds: 0.25},
		HeapBytes: 43_200_000,
	}
	got := StatusLine(prev, cur)
	want := "lines 41000 (4000.0/s) kept 40000 dropped 1000 [filtered=990 parse_error=10] alerts 3 lag 2.0 KiB 0.2 s heap 41.2 MiB gaps 1 [truncated=1]"
	if got != want {
		t.Errorf("status line\n got %s\nwant %s", got, want)
	}
}

func TestCountersRoundTrip(t *testing.T) {
	var c Counters
	sample(&c)
	handle := c.Dropper("filtered")
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d Counters
	d.Dropped("stale")
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	s1, s2 := c.Snapshot(follow.Stats{}), d.Snapshot(follow.Stats{})
	if s1.Lines != s2.Lines || s1.Kept != s2.Kept || fmt.Sprint(s1.Dropped) != fmt.Sprint(map[string]uint64{"filtered": 1, "parse_error": 2, `odd "reason"\with` + "\nnewline": 1}) {
		t.Errorf("after round trip %+v", s2)
	}
	if s2.Dropped["stale"] != 0 {
		t.Errorf("a count not in the saved state survived: %v", s2.Dropped)
	}
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	handle.Add(1)
	if got := c.Snapshot(follow.Stats{}).Dropped["filtered"]; got != 2 {
		t.Errorf("a Dropper handle taken before UnmarshalBinary no longer counts: %d", got)
	}
}

func TestReasonsBounded(t *testing.T) {
	var c Counters
	for i := range 1000 {
		c.Dropped(fmt.Sprint("reason-", i))
	}
	s := c.Snapshot(follow.Stats{})
	if len(s.Dropped) != MaxReasons || s.Dropped["other"] != 1000-MaxReasons+1 {
		t.Errorf("%d reasons, other=%d", len(s.Dropped), s.Dropped["other"])
	}
}

func FuzzCountersUnmarshal(f *testing.F) {
	var c Counters
	sample(&c)
	b, _ := c.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Counters
		if err := c.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadCounters) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, _ := c.MarshalBinary()
		var d Counters
		if err := d.UnmarshalBinary(again); err != nil {
			t.Fatal(err)
		}
		if third, _ := d.MarshalBinary(); string(third) != string(again) {
			t.Fatal("not stable")
		}
	})
}
