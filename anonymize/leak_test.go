package anonymize

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/schema"
)

// The identifiers the leak test plants: an operator, a host, two
// projects, a MAC and an IP. The shared samples already carry some of them
// (the user's home, the project mounts, the host inside every base64
// exec id).
const (
	plantUser    = "rypow"
	plantHost    = "prox1"
	plantProject = "dendroaspis"
	plantProj2   = "webapp"
	plantMAC     = "02:42:ac:11:00:02"
	plantIP      = "10.20.30.40"
)

var plantedIdentifiers = []string{plantUser, plantHost, plantProject, plantProj2, plantMAC, plantIP}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Planted values. Basenames and exec ids carry the identifiers raw and
// base64-encoded the way argument-derived names do (a dropper named after
// an encoded payload, Tetragon's base64 exec ids).
var (
	plantBasenames = []string{
		plantUser + "-sync",
		plantHost + "-agent",
		plantProject + "-cli",
		"fw-" + plantMAC,
		"probe-" + plantIP,
		"stage-" + strings.TrimRight(b64(plantUser+"@"+plantHost), "=") + ".sh",
		"x" + strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(plantProject+":"+plantIP)), "="),
	}
	plantCwds = []string{
		"/home/" + plantUser + "/projects/" + plantProj2 + "/",
		"/users/" + plantUser + "/dev/",
		"/mnt/projects/" + plantProject + "/src/",
		"/srv/" + plantHost + "/" + plantIP + "/",
		"/var/lib/net/" + plantMAC + "/",
	}
	plantExecIDs = []string{
		b64(plantHost + ":987654321000:4242"),
		b64(plantUser + "@" + plantHost + ":1:2"),
	}
)

// leakPolicy is the default policy with the operator's identifiers: the
// user and the projects are removed by the cwd rules, the host, the IP and
// the MAC by the sweep.
func leakPolicy() Policy {
	p := DefaultPolicy()
	p.Forbidden = []string{plantUser, plantHost, plantProject, plantProj2, plantMAC, plantIP}
	p.Sweep = []Replacement{{From: plantHost, To: "host"}, {From: plantIP, To: "_ip_"}, {From: plantMAC, To: "_mac_"}}
	return p
}

// plant writes the planted values into every 5th row (cwd), 7th row
// (basenames, rotating over the three columns) and 11th row (exec ids) of
// an encoded batch, then recomputes pair and token so that they are what
// the encoder would have produced for those basenames.
func plant(t testing.TB, rec arrow.RecordBatch, seed int) arrow.RecordBatch {
	t.Helper()
	cols := map[string][]string{}
	for _, name := range []string{"proc_binary_basename", "parent_binary_basename", "root_ancestor_basename", "proc_cwd_normalized", "proc_exec_id", "process_tree_root_exec_id"} {
		cols[name] = stringsOf(t, rec, name)
	}
	baseCols := []string{"proc_binary_basename", "parent_binary_basename", "root_ancestor_basename"}
	n := int(rec.NumRows())
	for i := range n {
		k := i + seed
		if k%5 == 0 {
			cols["proc_cwd_normalized"][i] = plantCwds[(k/5)%len(plantCwds)]
		}
		if k%7 == 0 {
			cols[baseCols[(k/7)%3]][i] = plantBasenames[(k/7)%len(plantBasenames)]
		}
		if k%11 == 0 {
			c := "proc_exec_id"
			if (k/11)%2 == 1 {
				c = "process_tree_root_exec_id"
			}
			cols[c][i] = plantExecIDs[(k/11)%len(plantExecIDs)]
		}
	}
	defs := schema.Default()
	tok, err := encode.NewTokens(defs)
	require.NoError(t, err)
	actions := actionLabels(defs)
	action := column(t, rec, "f_action_family")
	path, ip, port := stringsOf(t, rec, "path_category"), stringsOf(t, rec, "dst_ip_category"), stringsOf(t, rec, "dst_port_category")
	pairs, tokens := make([]string, n), make([]string, n)
	for i := range n {
		code, _ := intValue(action, i)
		proc, parent := cols["proc_binary_basename"][i], cols["parent_binary_basename"][i]
		pairs[i] = tok.Pair(parent, proc)
		tokens[i] = tok.Token(actions[code], proc, parent, path[i], ip[i], port[i])
	}
	cols["parent_child_pair"], cols["token"] = pairs, tokens
	return replaceColumns(t, rec, cols)
}

// plantedInput returns the encoded input with the plants.
func plantedInput(t testing.TB, batch int) []arrow.RecordBatch {
	return plantedInputFrom(t, batch, true)
}

var plantedCache struct {
	sync.Mutex
	m map[[2]int][]arrow.RecordBatch
}

// plantedInputFrom is plantedInput; useShared false forces generated
// export. The batches are shared by the tests: do not release them.
func plantedInputFrom(t testing.TB, batch int, useShared bool) []arrow.RecordBatch {
	t.Helper()
	key := [2]int{batch, 0}
	if useShared {
		key[1] = 1
	}
	in := encodedInputFrom(t, batch, useShared)
	plantedCache.Lock()
	defer plantedCache.Unlock()
	if recs, ok := plantedCache.m[key]; ok {
		return recs
	}
	var out []arrow.RecordBatch
	seed := 0
	for _, r := range in {
		out = append(out, plant(t, r, seed))
		seed += int(r.NumRows())
	}
	if plantedCache.m == nil {
		plantedCache.m = map[[2]int][]arrow.RecordBatch{}
	}
	plantedCache.m[key] = out
	return out
}

// needles returns what the independent scan looks for: every identifier
// (case-insensitive) and the three alignment-invariant cores of its
// base64 encoding in both alphabets (the classic way to find an encoded
// value inside a longer encoded text without decoding).
func needles(ids []string) (plain, encoded []string) {
	for _, id := range ids {
		plain = append(plain, strings.ToLower(id))
		for pad := range 3 {
			e := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00", pad) + id))
			// Drop the characters that depend on the neighbours.
			lead := []int{0, 2, 3}[pad]
			tail := (len(id) + pad) % 3
			core := strings.TrimRight(e, "=")
			if tail != 0 {
				core = core[:len(core)-1]
			}
			core = core[lead:]
			if len(core) >= 4 {
				encoded = append(encoded, core, strings.NewReplacer("+", "-", "/", "_").Replace(core))
			}
		}
	}
	return plain, encoded
}

// scanHits is the acceptance scan: it is independent of the package's
// matcher and decoder.
func scanHits(t testing.TB, recs []arrow.RecordBatch, ids []string) []string {
	t.Helper()
	plain, encoded := needles(ids)
	var hits []string
	for _, r := range recs {
		for ci, f := range r.Schema().Fields() {
			a, ok := r.Column(ci).(*array.String)
			if !ok {
				continue
			}
			for i := range a.Len() {
				v := a.Value(i)
				lv := strings.ToLower(v)
				for _, p := range plain {
					if strings.Contains(lv, p) {
						hits = append(hits, fmt.Sprintf("%s[%d] contains %q", f.Name, i, p))
					}
				}
				for _, e := range encoded {
					if strings.Contains(v, e) {
						hits = append(hits, fmt.Sprintf("%s[%d] contains base64 core %q", f.Name, i, e))
					}
				}
			}
		}
	}
	return hits
}

func TestNeedlesFindEncodedIdentifiers(t *testing.T) {
	_, enc := needles([]string{"prox1"})
	for _, s := range []string{b64("prox1"), b64("a:prox1:b"), b64("ab:prox1"), "cHJveDE6MzM2MzAwMDAwMDA6MTIz"} {
		found := false
		for _, e := range enc {
			found = found || strings.Contains(s, e)
		}
		require.True(t, found, s)
	}
}

func TestLeakPlantedIdentifiersAreRemoved(t *testing.T) {
	for _, useShared := range []bool{true, false} {
		t.Run(fmt.Sprintf("shared=%v", useShared), func(t *testing.T) {
			testLeakRemoved(t, plantedInputFrom(t, 4096, useShared))
		})
	}
}

func testLeakRemoved(t *testing.T, in []arrow.RecordBatch) {
	// The input is full of them, raw and encoded.
	hitsIn := scanHits(t, in, plantedIdentifiers)
	require.NotEmpty(t, hitsIn)
	var kinds = map[string]bool{}
	for _, h := range hitsIn {
		kinds[strings.SplitN(h, "[", 2)[0]] = true
	}
	for _, c := range []string{"proc_exec_id", "process_tree_root_exec_id", "proc_binary_basename", "parent_binary_basename", "root_ancestor_basename", "proc_cwd_normalized", "parent_child_pair", "token"} {
		require.True(t, kinds[c], "the input carries identifiers in %s", c)
	}

	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	for _, r := range in {
		require.NoError(t, p.Observe(r))
	}
	out := applyAll(t, p, in)
	require.Empty(t, scanHits(t, out, plantedIdentifiers))
	// The renamed originals are gone too.
	m, rep := p.Finish()
	require.Empty(t, scanHits(t, out, m.Renamed()))
	require.Zero(t, rep.LateAliases)
	require.Positive(t, rep.SweepHits)
	require.Positive(t, rep.CwdRewritten)
	// And the pipeline's own verifier agrees on a re-check.
	for _, r := range out {
		require.NoError(t, p.Verifier().Verify(r))
	}
}

// TestLeakEachStepIsNecessary removes one step at a time and expects the
// post-write assertions to fail, naming a column that step owns.
func TestLeakEachStepIsNecessary(t *testing.T) {
	in := plantedInput(t, 4096)
	cases := []struct {
		name    string
		opts    []Option
		policy  func(*Policy)
		columns []string
	}{
		{name: "alias", opts: []Option{withoutStep(stepAlias)}, columns: []string{"proc_binary_basename", "parent_binary_basename", "root_ancestor_basename"}},
		{name: "derive", opts: []Option{withoutStep(stepDerive)}, columns: []string{"parent_child_pair", "token"}},
		{name: "cwd", opts: []Option{withoutStep(stepCwd)}, columns: []string{"proc_cwd_normalized"}},
		{name: "exec_id", opts: []Option{withoutStep(stepExecID)}, columns: []string{"proc_exec_id", "process_tree_root_exec_id"}},
		{name: "sweep", opts: []Option{withoutStep(stepSweep)}, columns: []string{"proc_cwd_normalized"}},
		// The same through the policy.
		{name: "policy/no cwd rules", policy: func(p *Policy) { p.CwdRules = nil }, columns: []string{"proc_cwd_normalized"}},
		{name: "policy/no sweep", policy: func(p *Policy) { p.Sweep = nil }, columns: []string{"proc_cwd_normalized"}},
		{name: "policy/allow everything", policy: func(p *Policy) { p.Aliases.AllowPatterns = []string{".*"} }, columns: []string{"proc_binary_basename", "parent_binary_basename", "root_ancestor_basename"}},
		{name: "policy/exec ids as text", policy: func(p *Policy) {
			p.Columns["proc_exec_id"], p.Columns["process_tree_root_exec_id"] = ClassText, ClassText
		}, columns: []string{"proc_exec_id", "process_tree_root_exec_id"}},
		{name: "policy/tokens as text", policy: func(p *Policy) {
			p.Columns["token"], p.Columns["parent_child_pair"] = ClassText, ClassText
		}, columns: []string{"parent_child_pair", "token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := leakPolicy()
			if tc.policy != nil {
				tc.policy(&pol)
			}
			p, err := New(pol, append([]Option{WithKey(testKey)}, tc.opts...)...)
			require.NoError(t, err)
			for _, r := range in {
				require.NoError(t, p.Observe(r))
			}
			var leak *LeakError
			for _, r := range in {
				out, err := p.Apply(r)
				if err != nil {
					require.ErrorIs(t, err, ErrLeak)
					require.ErrorAs(t, err, &leak)
					require.Nil(t, out, "nothing is returned on a failed assertion")
					break
				}
				out.Release()
			}
			require.NotNil(t, leak, "removing %s must fail the assertions", tc.name)
			require.Contains(t, tc.columns, leak.Column, "%v", leak)
			require.Contains(t, leak.Error(), fmt.Sprintf("column %q row %d", leak.Column, leak.Row))
			require.Contains(t, leak.Error(), string(leak.Check))
			t.Log(leak)
		})
	}
}

func TestLeakErrorNamesColumnRowAndPattern(t *testing.T) {
	in := plantedInput(t, 4096)[0]
	p, err := New(leakPolicy(), WithKey(testKey), withoutStep(stepSweep))
	require.NoError(t, err)
	_, err = p.Apply(in)
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, "proc_cwd_normalized", leak.Column)
	require.Equal(t, CheckForbidden, leak.Check)
	require.Contains(t, []string{plantHost, plantIP, plantMAC}, leak.Pattern)
	cwd := stringsOf(t, in, "proc_cwd_normalized")[leak.Row]
	require.Contains(t, strings.ToLower(cwd), strings.ToLower(leak.Pattern), "the row named holds the pattern named")
	require.True(t, errors.Is(err, ErrLeak))
}
