package tetraparse

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tetrahids/tetrahids/internal/synth"
)

var updateStats = flag.Bool("update", false, "rewrite testdata/stats.golden.json from this build's Stats")

// statsInput is a generated stream and one line of every kind the
// counters distinguish: each event kind, each drop reason, blank, JSON
// and structure errors, an over-long line and an unparseable time.
func statsInput(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 7, Events: 3000}).WriteTo(&b)
	for _, l := range []string{
		"", "   ", "{not json", `"text"`, `{"unknown":{}}`, `{"process_exec":[]}`,
		`{"process_tracepoint":{}}`, `{"process_loader":{}}`, `{"process_uprobe":{}}`, `{"process_throttle":{}}`,
		`{"process_lsm":{}}`, `{"process_usdt":{}}`, `{"rate_limit_info":{}}`, `{"test":{}}`,
		`{"process_exec":{}}`,
		`{"process_exec":{"process":{"exec_id":"h","pid":3,"ns":{"pid":{"inum":4026531836,"is_host":true}}}},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_exec":{"process":{"exec_id":"n","pid":4}},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_exec":{"process":{"exec_id":"w","pid":5,"ns":{"pid":{"inum":1}}}},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_exec":{"process":{"exec_id":"s","pid":6,"ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-14T01:41:13.5Z"}`,
		`{"process_exec":{"process":{"exec_id":"t","pid":7,"ns":{"pid":{"inum":4026533329}}}},"time":"not a time"}`,
		`{"process_exec":{"process":{"exec_id":"u","pid":"x","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_exit":{"process":{"exec_id":"v","pid":8,"ns":{"pid":{"inum":4026533387}}}},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_kprobe":{"process":{"exec_id":"k","pid":9,"ns":{"pid":{"inum":4026533329}}},"function_name":"security_file_permission","args":[7]},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_kprobe":{"process":{"exec_id":"k","pid":9,"ns":{"pid":{"inum":4026533329}}},"function_name":"fd_install","args":7},"time":"2026-04-14T01:41:14Z"}`,
		`{"process_exec":{"process":{"exec_id":"long","pid":10,"ns":{"pid":{"inum":4026533329}}}},"pad":"` + strings.Repeat("x", 5000) + `"}`,
	} {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestStatsGolden pins the counter names and values of Stats.Map,
// Stats.Reference and Stats.String (what stats.json files and logs show)
// for the reference filter and for selectors, so that a change to the
// Stats type cannot change them. Regenerate with -update only when a
// counter is meant to change.
func TestStatsGolden(t *testing.T) {
	in := statsInput(t)
	sentinels := []Window{{Start: 1776130873400000000, End: 1776130873600000000, Label: "s"}}
	runs := []struct {
		name string
		cfg  Config
	}{
		{"reference", Config{TargetInums: []uint64{4026533329, 4026533387}, Sentinels: sentinels, MaxLineBytes: 4096}},
		{"selectors", Config{Select: []Selector{{PIDNamespace: 4026533329}, {PIDNamespace: 4026533387}}, KeepWithoutNamespace: true, Sentinels: sentinels, MaxLineBytes: 4096}},
	}
	var out bytes.Buffer
	for _, r := range runs {
		p, err := New(r.cfg)
		require.NoError(t, err)
		for rec, err := range p.Records(strings.NewReader(in), "stats.jsonl") {
			require.NoError(t, err)
			_ = rec
		}
		st := p.Stats()
		require.NoError(t, st.Check())
		m, err := json.MarshalIndent(st.Map(), "", " ")
		require.NoError(t, err)
		ref, err := json.MarshalIndent(st.Reference(), "", " ")
		require.NoError(t, err)
		fmt.Fprintf(&out, "# %s: Map\n%s\n# %s: Reference\n%s\n# %s: String\n%s\n", r.name, m, r.name, ref, r.name, st.String())
	}
	path := filepath.Join("testdata", "stats.golden.txt")
	if *updateStats {
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test ./tetraparse -run TestStatsGolden -update writes it")
	require.Equal(t, string(want), out.String())
}
