package corpus

// A small Tetragon export for the tests of what a release publishes: a
// few processes with every string field Tetragon writes (pod and
// container metadata, user records, binary properties, kprobe paths and
// sockets, node and cluster names), and a labels.csv with free-text
// columns, each of which a test can set.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/labels"
)

// privProc is one process of the privacy test's export.
type privProc struct {
	ExecID, Binary, Args, Cwd, Flags, Docker, User, Pod, BinaryFile string
	Node, Cluster                                                   string // of its events
	Path, Addr, Policy, Message                                     string // of its kprobes
	PID, UID                                                        int
	Start                                                           time.Time
	parent                                                          *privProc
}

type privLabel struct {
	TechniqueID, Trial, Tactic, Name, Notes string
}

// privWorld is a small export: systemd and sshd found running, and n
// pairs of a shell (the parent) and a process (the target) with file,
// memory, network and credential kprobes before and after the cut
// (privCut), and one labels window around each target's test events. The
// privacy test plants its k-th name in the k-th pair.
type privWorld struct {
	root, sshd       *privProc
	parents, targets []*privProc
	labels           []privLabel
	extra            []string // unreadable lines
}

var (
	privStart = time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	privCut   = time.Date(2026, 4, 14, 2, 0, 0, 0, time.UTC)
)

func newPrivWorld(n int) *privWorld {
	w := &privWorld{}
	proc := func(parent *privProc, pid int, binary, args, cwd, flags string, start time.Time) *privProc {
		return &privProc{ExecID: base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "node-a:%d:%d", start.UnixMicro(), pid)),
			Binary: binary, Args: args, Cwd: cwd, Flags: flags, PID: pid, Start: start, parent: parent,
			Node: "node-a", Path: "/etc/ld.so.cache", Addr: "93.184.216.34", Policy: "file-monitor"}
	}
	before := privStart.Add(-20 * time.Hour)
	w.root = proc(nil, 1, "/usr/lib/systemd/systemd", "--system", "/", "procFS auid rootcwd", before)
	w.sshd = proc(w.root, 310, "/usr/sbin/sshd", "-D", "/", "procFS auid rootcwd", before)
	for k := range n {
		t := privStart.Add(time.Duration(k) * time.Minute)
		p := proc(w.sshd, 1000+10*k, "/usr/bin/bash", "-l", "/home/alice/work", "execve clone", t)
		p.UID = 1000
		q := proc(p, 1001+10*k, "/usr/bin/python3.12", "-m http.server", "/srv/app", "execve clone", t.Add(time.Second))
		q.UID = 1000
		w.parents, w.targets = append(w.parents, p), append(w.targets, q)
		w.labels = append(w.labels, privLabel{TechniqueID: "T1059.004", Trial: strconv.Itoa(k + 1), Tactic: "Execution", Name: "Unix Shell", Notes: "ran by the red team"})
	}
	return w
}

func privTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func (w *privWorld) procJSON(p *privProc) map[string]any {
	m := map[string]any{
		"exec_id": p.ExecID, "pid": p.PID, "uid": p.UID, "cwd": p.Cwd, "binary": p.Binary, "flags": p.Flags,
		"start_time": privTime(p.Start), "auid": p.UID, "refcnt": 1, "tid": p.PID, "in_init_tree": false,
		"ns":                  map[string]any{"pid": map[string]any{"inum": 4026533329}, "pid_for_children": map[string]any{"inum": 4026533329}, "uts": map[string]any{"inum": 4026533327}},
		"process_credentials": map[string]any{"uid": p.UID, "gid": p.UID, "euid": p.UID, "egid": p.UID},
		"cap":                 map[string]any{},
	}
	if p.Args != "" {
		m["arguments"] = p.Args
	}
	if p.parent != nil {
		m["parent_exec_id"] = p.parent.ExecID
	}
	if p.Docker != "" {
		m["docker"] = p.Docker
	}
	if p.User != "" {
		m["user"] = map[string]any{"name": p.User}
	}
	if p.BinaryFile != "" {
		m["binary_properties"] = map[string]any{"file": map[string]any{"inode": map[string]any{"number": "4242", "links": 1}, "path": p.BinaryFile}}
	}
	if v := p.Pod; v != "" {
		m["pod"] = map[string]any{"namespace": v, "name": v, "uid": v, "workload": v, "workload_kind": v,
			"pod_labels": map[string]any{"app": v, v: "x"}, "pod_annotations": map[string]any{"owner": v},
			"container": map[string]any{"id": v, "name": v, "start_time": privTime(p.Start), "pid": 1, "maybe_exec_probe": false,
				"image": map[string]any{"id": v, "name": v}}}
	}
	return m
}

// event renders one export line.
func (w *privWorld) event(kind string, p *privProc, t time.Time, body map[string]any) string {
	if body == nil {
		body = map[string]any{}
	}
	body["process"] = w.procJSON(p)
	if p.parent != nil {
		body["parent"] = w.procJSON(p.parent)
	}
	ev := map[string]any{kind: body, "node_name": p.Node, "time": privTime(t)}
	if p.Cluster != "" {
		ev["cluster_name"] = p.Cluster
		ev["node_labels"] = map[string]any{"zone": p.Cluster}
	}
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func (w *privWorld) kprobes(p *privProc, t time.Time) []string {
	sock := func() map[string]any {
		return map[string]any{"sock_arg": map[string]any{"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
			"saddr": p.Addr, "daddr": p.Addr, "sport": 40000, "dport": 443, "cookie": "77", "state": "TCP_ESTABLISHED"}}
	}
	kp := func(fn string, args []any, ret any) map[string]any {
		m := map[string]any{"function_name": fn, "args": args, "action": "KPROBE_ACTION_POST", "policy_name": p.Policy, "return_action": "KPROBE_ACTION_POST"}
		if ret != nil {
			m["return"] = ret
		}
		if p.Message != "" {
			m["message"], m["tags"] = p.Message, []string{p.Message}
		}
		return m
	}
	file := map[string]any{"file_arg": map[string]any{"path": p.Path, "permission": "-rw-r--r--"}}
	bodies := []map[string]any{
		kp("fd_install", []any{map[string]any{"int_arg": 3}, file}, nil),
		kp("security_mmap_file", []any{file, map[string]any{"uint_arg": 5}}, nil),
		kp("do_unlinkat", []any{map[string]any{"int_arg": -100}, map[string]any{"string_arg": p.Path}}, nil),
		kp("chmod_common", []any{map[string]any{"path_arg": map[string]any{"path": p.Path, "permission": "-rw-r--r--"}}, map[string]any{"uint_arg": 493}}, nil),
		kp("tcp_connect", []any{sock()}, nil),
		kp("udp_sendmsg", []any{sock(), map[string]any{"int_arg": 64}}, nil),
		kp("inet_csk_accept", []any{}, sock()),
		kp("commit_creds", []any{map[string]any{"process_credentials_arg": map[string]any{"uid": 0, "gid": 0, "euid": 0}}}, nil),
	}
	var lines []string
	for i, b := range bodies {
		lines = append(lines, w.event("process_kprobe", p, t.Add(time.Duration(i)*time.Millisecond), b))
	}
	return lines
}

// write writes the export and labels.csv into dir and returns their
// paths.
func (w *privWorld) write(t *testing.T, dir string) (events, labelsCSV string) {
	t.Helper()
	var lines []string
	lines = append(lines, w.event("process_exec", w.root, privStart.Add(-time.Second), nil), w.event("process_exec", w.sshd, privStart.Add(-time.Second), nil))
	var csv strings.Builder
	csv.WriteString("start_ts,end_ts,technique_id,trial,tactic,technique_name,notes\n")
	for k, q := range w.targets {
		p := w.parents[k]
		t0 := privStart.Add(time.Duration(k) * time.Minute)
		lines = append(lines, w.event("process_exec", p, t0, nil), w.event("process_exec", q, t0.Add(time.Second), nil))
		lines = append(lines, w.kprobes(q, t0.Add(2*time.Second))...)
		// The test period: a labels window per target.
		t1 := privCut.Add(time.Duration(10+k) * time.Minute)
		lines = append(lines, w.kprobes(q, t1.Add(time.Second))...)
		lines = append(lines, w.event("process_exit", q, t1.Add(2*time.Second), map[string]any{"signal": "SIGTERM", "time": privTime(t1.Add(2 * time.Second))}))
		l := w.labels[k]
		rec := []string{labels.FormatTime(t1.UnixNano()), labels.FormatTime(t1.Add(30 * time.Second).UnixNano()), l.TechniqueID, l.Trial, l.Tactic, l.Name, l.Notes}
		for i, f := range rec {
			if i > 0 {
				csv.WriteByte(',')
			}
			csv.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		csv.WriteByte('\n')
	}
	lines = append(lines, w.extra...)
	events, labelsCSV = filepath.Join(dir, "tetragon.json"), filepath.Join(dir, "labels.csv")
	require.NoError(t, os.WriteFile(events, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	require.NoError(t, os.WriteFile(labelsCSV, []byte(csv.String()), 0o644))
	return events, labelsCSV
}
