package tetraparse

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeProtojson(t *testing.T) {
	line := `  { "process_kprobe" : {
		"process": {"exec_id":"ZXhlYw==", "pid":"1300234", "uid":1000, "tid": 7,
		  "binary":"/usr/bin/curl", "flags":"execve  clone", "start_time":"2026-04-19T21:48:02.1234567891Z",
		  "ns":{"pid":{"inum":"4026533329"}, "user":{"inum":4026531837,"is_host":true}},
		  "cap":{"effective":["CAP_CHOWN"]}, "unknown_field": {"x": [1,2]}},
		"function_name":"tcp_connect", "policy_name":"network-monitor", "action":"KPROBE_ACTION_POST",
		"args":[{"sock_arg":{"family":"AF_INET","daddr":"1.1.1.1","dport":443,"cookie":"18446744073709551615"}}]},
	  "node_name":"prox1", "time":"2026-04-19T21:48:02.652Z" }  `
	ev, err := Decode([]byte(line))
	require.NoError(t, err)
	require.Equal(t, KindKprobe, ev.Kind)
	require.Equal(t, some("prox1"), ev.NodeName)
	require.Equal(t, some(int64(1776635282652000000)), ev.Time)
	p := ev.Process
	require.NotNil(t, p)
	require.Nil(t, ev.Parent)
	require.Equal(t, some(uint32(1300234)), p.PID, "32-bit numbers may arrive as strings")
	require.Equal(t, some(uint32(7)), p.TID)
	require.Equal(t, some(uint64(4026533329)), p.NS.PID.Inum, "64-bit numbers arrive as strings")
	require.True(t, p.NS.User.IsHost)
	require.False(t, p.NS.PID.IsHost)
	require.True(t, p.FlagExecve && p.FlagClone && !p.FlagProcFS)
	require.Equal(t, some(int64(1776635282123456789)), p.StartTime, "fractions beyond 9 digits are truncated")
	require.Equal(t, []string{"CAP_CHOWN"}, p.CapEffective.Value)
	require.True(t, p.CapPermitted.Valid)
	require.Empty(t, p.CapPermitted.Value)
	require.Equal(t, some("tcp_connect"), ev.Kprobe.FunctionName)
	require.Equal(t, `[{"sock_arg":{"family":"AF_INET","daddr":"1.1.1.1","dport":443,"cookie":"18446744073709551615"}}]`, string(ev.Kprobe.ArgsJSON))
	require.Zero(t, ev.FieldErrors)
}

func TestDecodeKinds(t *testing.T) {
	for line, want := range map[string]Kind{
		`{"process_exec":{}}`:                       KindExec,
		`{"process_exit":{"process":{}}}`:           KindExit,
		`{"process_tracepoint":{}, "time":"x"}`:     KindTracepoint,
		`{"process_loader":{}}`:                     KindLoader,
		`{"process_uprobe":{}}`:                     KindUprobe,
		`{"process_throttle":{}}`:                   KindThrottle,
		`{"process_lsm":{}}`:                        KindLsm,
		`{"process_usdt":{}}`:                       KindUsdt,
		`{"rate_limit_info":{}}`:                    KindRateLimitInfo,
		`{"something_new":{}}`:                      KindUnknown,
		`[{"process_exec":{}}]`:                     KindUnknown,
		`42`:                                        KindUnknown,
		`{"process_lsm":{}, "process_kprobe":null}`: KindKprobe,
	} {
		ev, err := Decode([]byte(line))
		if want == KindKprobe {
			// A null body is a structure error, as in the reference.
			require.ErrorIs(t, err, ErrStructure, line)
			continue
		}
		require.NoError(t, err, line)
		require.Equal(t, want, ev.Kind, line)
	}
}

func TestDecodeErrors(t *testing.T) {
	_, err := Decode([]byte(`{"process_exec": {"process": 5}}`))
	require.ErrorIs(t, err, ErrStructure)
	require.Contains(t, err.Error(), "process_exec.process is not an object")
	_, err = Decode([]byte(`{"process_exec": {"process": {"flags": 7}}}`))
	require.ErrorIs(t, err, ErrStructure)
	_, err = Decode([]byte(`{"process_exec": {"process": {"pid": 1,}}}`))
	require.ErrorIs(t, err, ErrSyntax)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, 39, de.Offset) // Python: "Expecting property name enclosed in double quotes: line 1 column 40 (char 39)"
	_, err = Decode([]byte("\x00\x00"))
	require.ErrorIs(t, err, ErrSyntax)
	ev, err := Decode([]byte(`{"process_exec":{"process":{"pid":-1,"uid":"x","binary":5}},"time":"2026-04-19T10:00:00+02:00"}`))
	require.NoError(t, err)
	require.Equal(t, 3, ev.FieldErrors)
	require.False(t, ev.Time.Valid, "the reference requires a trailing Z")
}

// TestDecodeSharedSamples decodes every line of the shared samples: no
// panic, and every error is a *DecodeError.
func TestDecodeSharedSamples(t *testing.T) {
	for _, rel := range []string{"tetragon/sample-train.jsonl", "tetragon/sample-small.jsonl", "tetragon/robustness.jsonl", "tetragon-docs/events.jsonl"} {
		path := sharedInput(t, rel)
		f, err := os.Open(path)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<26)
		ok, bad := 0, 0
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			if _, err := Decode(sc.Bytes()); err != nil {
				var de *DecodeError
				require.ErrorAs(t, err, &de)
				bad++
			} else {
				ok++
			}
		}
		f.Close()
		require.Greater(t, ok, 40, filepath.Base(path))
	}
}

func TestInputsRotationOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"tetragon.log", "tetragon-2026-04-15T00-00-00.000.log.gz", "tetragon-2026-04-14T00-00-00.000.log.gz", ".hidden"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	got, err := Inputs(dir)
	require.NoError(t, err)
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	require.Equal(t, []string{"tetragon-2026-04-14T00-00-00.000.log.gz", "tetragon-2026-04-15T00-00-00.000.log.gz", "tetragon.log"}, got)
	_, err = Inputs(filepath.Join(dir, "nope"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestInputsFollowSymlinks: a directory's symbolic links to regular files
// are inputs (a directory of links to the logs is a common set-up), links
// to directories are skipped like directories, a file reached twice is
// listed once, and a broken link is an error naming it.
func TestInputsFollowSymlinks(t *testing.T) {
	logs, dir := t.TempDir(), t.TempDir()
	for _, n := range []string{"a.json", "b.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(logs, n), nil, 0o644))
		require.NoError(t, os.Symlink(filepath.Join(logs, n), filepath.Join(dir, "link-"+n)))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.Symlink(logs, filepath.Join(dir, "logs")))
	got, err := Inputs(dir)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "link-a.json"), filepath.Join(dir, "link-b.json")}, got)
	// A relative target; a second link to a file already listed, and the
	// file itself named again, are listed once, at the first place.
	require.NoError(t, os.Symlink(filepath.Join("..", filepath.Base(logs), "a.json"), filepath.Join(dir, "link-z.json")))
	got, err = Inputs(dir, filepath.Join(logs, "b.json"), filepath.Join(logs, "a.json"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "link-a.json"), filepath.Join(dir, "link-b.json")}, got)
	require.NoError(t, os.Remove(filepath.Join(dir, "link-z.json")))
	// A broken link, and a link to itself, are errors naming them.
	broken := filepath.Join(dir, "link-c.json")
	require.NoError(t, os.Symlink(filepath.Join(logs, "c.json"), broken))
	_, err = Inputs(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, broken)
	require.NoError(t, os.Remove(broken))
	loop := filepath.Join(dir, "loop.json")
	require.NoError(t, os.Symlink(loop, loop))
	_, err = Inputs(dir)
	require.ErrorContains(t, err, loop)
}
