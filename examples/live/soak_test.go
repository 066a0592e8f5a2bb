package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/internal/tstime"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// soakEnv names the soak's settings.
const (
	soakEnv      = "TETRAHIDS_LIVE_SOAK"                  // events after the training split; the soak runs when set
	soakRateEnv  = "TETRAHIDS_LIVE_SOAK_RATE"             // events/s of the paced phase (default 20000)
	soakProcsEnv = "TETRAHIDS_LIVE_SOAK_PROCS"            // -max-processes (default 20000)
	soakCPEnv    = "TETRAHIDS_LIVE_SOAK_CHECKPOINT_EVERY" // -checkpoint-every (default 10s)
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestScoringSoak runs the program as a deployment would, on one core
// (GOMAXPROCS=1), following a generated export of TETRAHIDS_LIVE_SOAK
// events (5,000,000 for the published numbers) with a model and a seed
// graph fitted on the 200,000 events before them:
//
//  1. throughput: the first fifth of the events is written to the file
//     before the service starts; the time it takes to score them is its
//     rate on a backlog;
//  2. soak: the rest is written at TETRAHIDS_LIVE_SOAK_RATE events/s
//     (default 10,000), rotated every 10 MB (Tetragon's default) to
//     gzip'd backups (at most 20 kept), while the service follows; the
//     time from each line's write to its score's arrival on the service's
//     standard output is its latency.
//
// Throughout, the heap the service reports (/metrics) is sampled: the
// bytes the last garbage collection found live, which -max-processes
// (TETRAHIDS_LIVE_SOAK_PROCS, default 20,000, so that eviction runs)
// bounds, and the heap's objects with garbage not yet collected. At the
// end every line must have been read once and every kept event scored
// once, in order; the service stops on SIGTERM with exit code 0.
//
//	TETRAHIDS_LIVE_SOAK=5000000 go -C examples/live test -run TestScoringSoak -timeout 60m -v .
func TestScoringSoak(t *testing.T) {
	n := envInt(soakEnv, 0)
	if n == 0 {
		t.Skipf("set %s to a number of events to run it", soakEnv)
	}
	rate, maxProcs := envInt(soakRateEnv, 10000), envInt(soakProcsEnv, 20000)
	cpEvery := os.Getenv(soakCPEnv)
	if cpEvery == "" {
		cpEvery = "10s"
	}
	const train = 200_000
	dir := t.TempDir()
	gen := synth.New(synth.Config{Seed: 77, Events: train + n})
	var trainLines [][]byte
	for range train {
		trainLines = append(trainLines, bytes.Clone(bytes.TrimSuffix(gen.Next(), []byte{'\n'})))
	}
	model, graph := filepath.Join(dir, "model.bin"), filepath.Join(dir, "train.graph")
	m, err := fitTrain(trainLines, tetraparse.Config{}, graph)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeModel(m, model); err != nil {
		t.Fatal(err)
	}
	trainLines = nil

	in := filepath.Join(dir, "export", "tetragon.log")
	if err := os.MkdirAll(filepath.Dir(in), 0o700); err != nil {
		t.Fatal(err)
	}
	e := testexport.New(t, in)
	// Fastest compression: at gzip's default level the test's compression
	// of the backups alone would take most of the second core.
	e.Compress, e.CompressLevel, e.MaxBackups = true, gzip.BestSpeed, 20
	var written atomic.Int64
	times := newWriteTimes()
	write := func(line []byte) {
		et, ok := eventTime(line)
		if !ok {
			t.Fatalf("no time in %q", line)
		}
		times.add(et, time.Now())
		e.Write(string(bytes.TrimSuffix(line, []byte{'\n'})))
		written.Add(1)
	}
	backlog := n / 5
	for range backlog {
		write(gen.Next())
	}

	port := freePort(t)
	cmd := exec.Command(binary(t), "-model", model, "-lineage", graph, "-follow", in, "-out", "-",
		"-state", filepath.Join(dir, "state"), "-max-processes", strconv.Itoa(maxProcs),
		"-metrics-addr", "127.0.0.1:"+port, "-status-every", "10s", "-checkpoint-every", cpEvery)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	// The reader: each output line is matched, in order, with the line
	// written for it (lines dropped by the filter have none).
	var (
		scored       atomic.Int64
		latencies    []time.Duration
		readErr      error
		readFinished = make(chan struct{})
	)
	go func() {
		defer close(readFinished)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			now := time.Now()
			et, err := outTime(sc.Bytes())
			if err != nil {
				readErr = err
				return
			}
			idx, at, ok := times.match(et)
			if !ok {
				readErr = fmt.Errorf("output line %d (event_time %d) matches no line written after the previous one's: scored twice or out of order", scored.Load(), et)
				return
			}
			scored.Add(1)
			if idx >= backlog {
				latencies = append(latencies, now.Sub(at))
			}
		}
	}()

	heap := newHeapSampler(t, port)
	var backlogTime time.Duration
	keptBacklog := 0
	for deadline := time.Now().Add(30 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		s := heap.metrics()
		if s["tetrahids_live_lines_read_total"] == float64(backlog) && s["tetrahids_live_events_kept_total"] == float64(scored.Load()) {
			backlogTime, keptBacklog = time.Since(start), int(scored.Load())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backlog was not scored in 30 minutes\n%s", tail(stderr.String()))
		}
	}
	_, liveAfterBacklog := heap.peak()
	backlogCPU := procCPU(cmd.Process.Pid)

	// The paced phase, rotated every 10 MB. The backlog's file goes
	// first, as if its backup were deleted at once: compressing 2 GB
	// would compete with the service for the second core.
	e.Remove()
	size := int64(0)
	paceStart := time.Now()
	for i := backlog; i < n; i++ {
		line := gen.Next()
		if size+int64(len(line)) > 10<<20 {
			e.Rotate()
			size = 0
		}
		if k := i - backlog; k%100 == 0 {
			if ahead := time.Until(paceStart.Add(time.Duration(float64(k) / float64(rate) * float64(time.Second)))); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		write(line)
		size += int64(len(line))
	}
	paceTime := time.Since(paceStart)
	var expected int64
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		s := heap.metrics()
		if s["tetrahids_live_lines_read_total"] == float64(n) && float64(scored.Load()) == s["tetrahids_live_events_kept_total"] {
			expected = int64(s["tetrahids_live_events_kept_total"])
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done: %d lines read of %d, %d scored; metrics %v\n%s", int64(s["tetrahids_live_lines_read_total"]), n, scored.Load(), s, tail(stderr.String()))
		}
	}
	final := heap.metrics()
	heap.stop()
	vmHWM := procStatus(cmd.Process.Pid, "VmHWM")
	cpu := procCPU(cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-readFinished
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, tail(stderr.String()))
	}
	if readErr != nil {
		t.Fatal(readErr)
	}
	if scored.Load() != expected {
		t.Errorf("%d events scored, the service counted %d kept", scored.Load(), expected)
	}
	dropped := final["tetrahids_live_events_dropped_total"]
	if float64(expected)+dropped != float64(n) {
		t.Errorf("%d kept + %v dropped != %d lines", expected, dropped, n)
	}
	for _, k := range []string{"tetrahids_live_input_gaps_total", "tetrahids_live_input_lines_dropped_total"} {
		if final[k] != 0 {
			t.Errorf("%s = %v", k, final[k])
		}
	}
	slices.Sort(latencies)
	q := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	t.Logf("%d events (%d rotations), %d kept and scored once each, %v dropped; -max-processes %d", n, int(final["tetrahids_live_input_rotations_total"]), expected, dropped, maxProcs)
	t.Logf("throughput on the backlog (%d events, %d kept, GOMAXPROCS=1): %.0f events/s in %v wall from the start of the process, %.0f events per CPU-second (%.2f s of CPU)",
		backlog, keptBacklog, float64(backlog)/backlogTime.Seconds(), backlogTime.Round(time.Millisecond), float64(backlog)/backlogCPU, backlogCPU)
	t.Logf("following the paced phase: %.1f s of CPU for %d events (%.1f µs per event, most of it waking up for a few lines at a time)",
		cpu-backlogCPU, n-backlog, (cpu-backlogCPU)/float64(n-backlog)*1e6)
	t.Logf("paced phase: %d events at %d events/s target (%.0f achieved); latency write → score p50 %v, p99 %v, p99.9 %v, max %v",
		n-backlog, rate, float64(n-backlog)/paceTime.Seconds(), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(0.999).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond))
	objects, live := heap.peak()
	t.Logf("heap found live by the garbage collector (/metrics every 200 ms): peak %.1f MiB (%.1f MiB after the backlog), by quarter of the run %s; heap objects with garbage peak %.1f MiB; peak RSS %s",
		mib(live), mib(liveAfterBacklog), heap.quarters(), mib(objects), vmHWM)
	t.Logf("status lines:\n%s", statusLines(stderr.String()))
}

// writeTimes are the write times of the lines written, by event time, in
// order; the reader takes them in order, so memory stays at the lines
// in flight.
type writeTimes struct {
	mu   sync.Mutex
	et   []int64
	at   []time.Time
	head int // index of et[0] in the stream
}

func newWriteTimes() *writeTimes { return &writeTimes{} }

func (w *writeTimes) add(et int64, at time.Time) {
	w.mu.Lock()
	w.et = append(w.et, et)
	w.at = append(w.at, at)
	w.mu.Unlock()
}

// match takes the lines up to the one with event time et (lines before
// it were dropped) and returns its index and write time.
func (w *writeTimes) match(et int64) (int, time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range w.et {
		if v == et {
			idx, at := w.head+k, w.at[k]
			w.et, w.at = w.et[k+1:], w.at[k+1:]
			w.head += k + 1
			if cap(w.et) > 1<<20 && len(w.et) < cap(w.et)/4 {
				w.et, w.at = slices.Clone(w.et), slices.Clone(w.at)
			}
			return idx, at, true
		}
	}
	return 0, time.Time{}, false
}

// eventTime reads a generated line's time (the field Tetragon writes
// last).
func eventTime(line []byte) (int64, bool) {
	i := bytes.LastIndex(line, []byte(`"time":"`))
	if i < 0 {
		return 0, false
	}
	rest := line[i+8:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	return tstime.Parse(string(rest[:j]))
}

// outTime reads an output line's event_time.
func outTime(line []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"event_time":`))
	if !ok {
		return 0, fmt.Errorf("output line %q", line)
	}
	j := bytes.IndexByte(rest, ',')
	if j < 0 {
		return 0, fmt.Errorf("output line %q", line)
	}
	return strconv.ParseInt(string(rest[:j]), 10, 64)
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// heapSampler reads the service's /metrics every 200 ms.
type heapSampler struct {
	url           string
	mu            sync.Mutex
	samples, live []float64 // heap objects; live after the last collection
	done          chan struct{}
}

func newHeapSampler(t *testing.T, port string) *heapSampler {
	h := &heapSampler{url: "http://127.0.0.1:" + port + "/metrics", done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-h.done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			m := h.metrics()
			if v, ok := m["tetrahids_live_heap_bytes"]; ok {
				h.mu.Lock()
				h.samples = append(h.samples, v)
				h.live = append(h.live, m["tetrahids_live_heap_live_bytes"])
				h.mu.Unlock()
			}
		}
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *heapSampler) stop() {
	select {
	case <-h.done:
	default:
		close(h.done)
	}
}

// metrics reads the unlabelled samples of /metrics, and the labelled
// ones summed by name.
func (h *heapSampler) metrics() map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(h.url)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(val, 64)
		if err == nil {
			out[name] += v
		}
	}
	return out
}

// peak returns the largest heap sample, and the largest live heap.
func (h *heapSampler) peak() (objects, live float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Max(append([]float64{0}, h.samples...)), slices.Max(append([]float64{0}, h.live...))
}

// quarters gives the peak live heap of each quarter of the samples.
func (h *heapSampler) quarters() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var parts []string
	for q := range 4 {
		s := h.live[q*len(h.live)/4 : (q+1)*len(h.live)/4]
		if len(s) > 0 {
			parts = append(parts, fmt.Sprintf("%.1f", mib(slices.Max(s))))
		}
	}
	return strings.Join(parts, ", ") + " MiB"
}

func mib(b float64) float64 { return b / (1 << 20) }

// procStatus reads a field of /proc/PID/status ("" off Linux).
func procStatus(pid int, field string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// procCPU reads the user and system CPU seconds of a process.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // clock ticks; 100 per second on Linux
}

func statusLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "lines ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
