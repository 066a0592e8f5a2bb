// Package synth generates realistic Tetragon 1.6 JSON export of a developer
// container for benchmarks and examples: a process world with lineage
// chains (systemd → sshd → bash → node → sh → curl), procfs-walk execs at
// start-up, host-namespace noise, a PID-namespace inum rotation, and the
// twelve hooked kprobes with their protojson argument shapes (64-bit values
// as strings, chmod_common's path_arg, inet_csk_accept's socket in
// "return", arch-prefixed syscall names). Output is deterministic for a
// seed. Generator.WriteExport lays the stream out as Tetragon's file
// export leaves it on disk: timestamped (optionally gzip'd) backups and
// the active tetragon.log.
package synth

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Config parameterizes a generated stream.
type Config struct {
	Seed   uint64
	Events int
	// Start is the first event time (default 2026-04-14T01:41:13Z).
	Start time.Time
	// Rate is the mean number of events per second (default 800).
	Rate float64
	// Inums are the container's PID-namespace inums; the stream switches
	// from the first to the second halfway through (default 4026533329,
	// 4026533387).
	Inums [2]uint64
	// HostNoise is the share of host-namespace events (default 0.02).
	HostNoise float64
	// NodeName is written in every event (default "prox1").
	NodeName string
}

func (c *Config) defaults() {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 4, 14, 1, 41, 13, 0, time.UTC)
	}
	if c.Rate <= 0 {
		c.Rate = 800
	}
	if c.Inums == [2]uint64{} {
		c.Inums = [2]uint64{4026533329, 4026533387}
	}
	if c.HostNoise == 0 {
		c.HostNoise = 0.02
	}
	if c.NodeName == "" {
		c.NodeName = "prox1"
	}
}

type proc struct {
	execID, parentID string
	pid              int
	uid              int
	binary, args     string
	cwd              string
	flags            string
	start            time.Time
	parent           *proc
	caps             bool
}

// Generator writes events.
type Generator struct {
	cfg   Config
	rng   *rand.Rand
	now   time.Time
	procs []*proc
	live  []*proc
	pid   int
	n     int
	buf   []byte
	last  *proc // process of the previous kprobe event
}

func (g *Generator) isLive(p *proc) bool {
	for _, q := range g.live {
		if q == p {
			return true
		}
	}
	return false
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	cfg.defaults()
	g := &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), now: cfg.Start, pid: 300}
	// Processes already running when Tetragon starts: procfs-walk execs.
	root := g.spawn(nil, "/usr/lib/systemd/systemd", "--system --deserialize 18", "/", 0, "procFS auid rootcwd")
	for _, d := range []string{"/usr/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-resolved", "/usr/bin/dbus-daemon", "/usr/sbin/cron", "/usr/sbin/sshd", "/usr/lib/polkit-1/polkitd"} {
		g.spawn(root, d, "", "/", 0, "procFS auid rootcwd")
	}
	return g
}

var (
	devTools = []string{"/usr/bin/node", "/usr/bin/npm", "/usr/bin/git", "/usr/bin/python3.12", "/usr/bin/gh", "/usr/bin/bash", "/usr/bin/sh", "/usr/bin/curl", "/usr/bin/ls", "/usr/bin/cat", "/usr/bin/grep", "/home/rypow/.local/bin/claude", "/home/rypow/.vscode-server/cli/servers/Stable-94b2b8fda02f34a6795b929e9a9a80fdea7b5bf5/server/node"}
	files    = []string{"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/home/rypow/projects/webapp/src/index.ts", "/home/rypow/projects/webapp/node_modules/react/index.js", "/tmp/tmp.x81Kd2/out.json", "/proc/self/status", "/proc/1234/cmdline", "/home/rypow/.git/config", "/usr/share/zoneinfo/UTC", "/etc/passwd", "/dev/shm/sem.x", "/run/systemd/resolve/stub-resolv.conf"}
	addrs    = []string{"127.0.0.53", "10.20.0.1", "140.82.112.3", "104.16.1.35", "::1", "169.254.169.254", "224.0.0.251", "2606:4700::6810:123"}
	ports    = []int{53, 443, 80, 22, 8080, 3000, 5432, 51234}
	kprobes  = []struct {
		fn, policy string
		weight     int
	}{
		{"fd_install", "file-monitor", 900}, {"security_mmap_file", "memory-monitor", 70}, {"commit_creds", "privilege-monitor", 15},
		{"tcp_connect", "network-monitor", 4}, {"tcp_close", "network-monitor", 4}, {"udp_sendmsg", "network-monitor", 5},
		{"inet_csk_accept", "network-monitor", 1}, {"do_unlinkat", "file-monitor", 3}, {"chmod_common", "attribute-monitor", 1},
		{"security_file_mprotect", "memory-monitor", 2}, {"__x64_sys_ptrace", "injection-monitor", 1}, {"__x64_sys_process_vm_writev", "injection-monitor", 1},
	}
	kprobeWeight = func() int {
		n := 0
		for _, k := range kprobes {
			n += k.weight
		}
		return n
	}()
)

func (g *Generator) spawn(parent *proc, binary, args, cwd string, uid int, flags string) *proc {
	g.pid++
	start := g.now
	if strings.Contains(flags, "procFS") {
		start = g.cfg.Start.Add(-time.Duration(g.rng.IntN(86400)) * time.Second)
	}
	p := &proc{pid: g.pid, uid: uid, binary: binary, args: args, cwd: cwd, flags: flags, start: start, parent: parent, caps: uid == 0}
	p.execID = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d:%d", g.cfg.NodeName, start.UnixNano()/1000, p.pid)))
	if parent != nil {
		p.parentID = parent.execID
	}
	g.procs = append(g.procs, p)
	g.live = append(g.live, p)
	return p
}

// WriteTo writes cfg.Events lines to w.
func (g *Generator) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for g.n < g.cfg.Events {
		line := g.Next()
		n, err := w.Write(line)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Next returns the next line, newline included. The slice is reused.
func (g *Generator) Next() []byte {
	g.n++
	g.now = g.now.Add(time.Duration(g.rng.ExpFloat64() / g.cfg.Rate * float64(time.Second)))
	b := g.buf[:0]
	inum := g.cfg.Inums[0]
	if g.n > g.cfg.Events/2 {
		inum = g.cfg.Inums[1]
	}
	host := g.rng.Float64() < g.cfg.HostNoise
	switch r := g.rng.IntN(1000); {
	case g.n <= len(g.procs) && g.procs[g.n-1].flags != "execve clone":
		p := g.procs[g.n-1]
		b = g.exec(b, p, inum, host)
	case r < 12:
		parent := g.live[g.rng.IntN(len(g.live))]
		bin := devTools[g.rng.IntN(len(devTools))]
		args := g.args(bin)
		uid := 1000
		if g.rng.IntN(10) == 0 {
			uid = 0
		}
		p := g.spawn(parent, bin, args, "/home/rypow/projects/webapp", uid, "execve clone")
		b = g.exec(b, p, inum, host)
	case r < 22 && len(g.live) > 12:
		i := 7 + g.rng.IntN(len(g.live)-7)
		p := g.live[i]
		g.live = append(g.live[:i], g.live[i+1:]...)
		b = g.exit(b, p, inum, host)
	default:
		// Processes emit kprobe events in bursts: in the reference
		// corpus's samples about two rows in three come from the same
		// process as the row before.
		p := g.last
		if p == nil || !g.isLive(p) || g.rng.Float64() >= 0.68 {
			p = g.live[g.rng.IntN(len(g.live))]
		}
		g.last = p
		b = g.kprobe(b, p, inum, host)
	}
	b = append(b, '\n')
	g.buf = b
	return b
}

func (g *Generator) args(bin string) string {
	switch {
	case strings.HasSuffix(bin, "node"):
		return "--max-old-space-size=3072 /home/rypow/.vscode-server/extensions/node_modules/typescript/lib/tsserver.js --serverMode partialSemantic --useInferredProjectPerProjectRoot --locale en"
	case strings.HasSuffix(bin, "curl"):
		return "-fsSL https://example.invalid/install.sh -o /tmp/install.sh"
	case strings.HasSuffix(bin, "git"):
		return "-c core.quotepath=false status --porcelain=v2 --branch"
	case strings.HasSuffix(bin, "sh"), strings.HasSuffix(bin, "bash"):
		return "-c echo " + base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(g.rng.Int())))
	}
	return ""
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func (g *Generator) procJSON(b []byte, p *proc, inum uint64, host bool) []byte {
	b = fmt.Appendf(b, `{"exec_id":%q, "pid":%d, "uid":%d, "cwd":%q, "binary":%q`, p.execID, p.pid, p.uid, p.cwd, p.binary)
	if p.args != "" {
		b = fmt.Appendf(b, `, "arguments":%q`, p.args)
	}
	b = fmt.Appendf(b, `, "flags":%q, "start_time":%q, "auid":%d`, p.flags, ts(p.start), p.uid)
	if p.parentID != "" {
		b = fmt.Appendf(b, `, "parent_exec_id":%q`, p.parentID)
	}
	b = append(b, `, "refcnt":1, "cap":{`...)
	if p.caps {
		b = append(b, `"permitted":["CAP_CHOWN", "DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"], "effective":["CAP_CHOWN", "DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]`...)
	}
	pidNS := fmt.Sprintf(`{"inum":%d}`, inum)
	if host {
		pidNS = `{"inum":4026531836, "is_host":true}`
	}
	b = fmt.Appendf(b, `}, "ns":{"uts":{"inum":4026533327}, "ipc":{"inum":4026533328}, "mnt":{"inum":4026533326}, "pid":%s, "pid_for_children":%s, "net":{"inum":4026533332}, "time":{"inum":4026531834, "is_host":true}, "time_for_children":{"inum":4026531834, "is_host":true}, "cgroup":{"inum":4026533330}, "user":{"inum":4026531837, "is_host":true}}, "tid":%d, "process_credentials":{"uid":%d, "gid":%d, "euid":%d, "egid":%d, "suid":%d, "sgid":%d, "fsuid":%d, "fsgid":%d}}`,
		pidNS, pidNS, p.pid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid)
	return b
}

func (g *Generator) envelope(b []byte, kind string, p *proc, inum uint64, host bool) []byte {
	b = fmt.Appendf(b, `{%q:{"process":`, kind)
	b = g.procJSON(b, p, inum, host)
	if p.parent != nil {
		b = append(b, `, "parent":`...)
		b = g.procJSON(b, p.parent, inum, host)
	}
	return b
}

func (g *Generator) tail(b []byte) []byte {
	return fmt.Appendf(b, `, "node_name":%q, "time":%q}`, g.cfg.NodeName, ts(g.now))
}

func (g *Generator) exec(b []byte, p *proc, inum uint64, host bool) []byte {
	b = g.envelope(b, "process_exec", p, inum, host)
	return g.tail(append(b, '}'))
}

func (g *Generator) exit(b []byte, p *proc, inum uint64, host bool) []byte {
	b = g.envelope(b, "process_exit", p, inum, host)
	if g.rng.IntN(4) == 0 {
		b = append(b, `, "signal":"SIGTERM"`...)
	} else if g.rng.IntN(3) == 0 {
		b = append(b, `, "status":1`...)
	}
	b = fmt.Appendf(b, `, "time":%q}`, ts(g.now))
	return g.tail(b)
}

func (g *Generator) sock(b []byte) []byte {
	addr := addrs[g.rng.IntN(len(addrs))]
	fam := "AF_INET"
	saddr := "10.20.0.32"
	if strings.Contains(addr, ":") {
		fam, saddr = "AF_INET6", "::1"
	}
	b = fmt.Appendf(b, `{"family":%q, "type":"SOCK_STREAM", "protocol":"IPPROTO_TCP", "saddr":%q, "daddr":%q, "sport":%d`, fam, saddr, addr, 32768+g.rng.IntN(20000))
	if port := ports[g.rng.IntN(len(ports))]; port != 0 {
		b = fmt.Appendf(b, `, "dport":%d`, port)
	}
	return fmt.Appendf(b, `, "cookie":"%d", "state":"TCP_ESTABLISHED"}`, g.rng.Uint64())
}

func (g *Generator) kprobe(b []byte, p *proc, inum uint64, host bool) []byte {
	w := g.rng.IntN(kprobeWeight)
	k := kprobes[0]
	for _, kk := range kprobes {
		if w < kk.weight {
			k = kk
			break
		}
		w -= kk.weight
	}
	b = g.envelope(b, "process_kprobe", p, inum, host)
	b = fmt.Appendf(b, `, "function_name":%q, "args":[`, k.fn)
	file := files[g.rng.IntN(len(files))]
	switch k.fn {
	case "fd_install":
		b = fmt.Appendf(b, `{"int_arg":%d}, {"file_arg":{"path":%q, "permission":"-rw-r--r--"}}`, 3+g.rng.IntN(40), file)
	case "security_mmap_file":
		b = fmt.Appendf(b, `{"file_arg":{"path":%q, "permission":"-rwxr-xr-x"}}, {"uint_arg":%d}`, file, 1+g.rng.IntN(7))
	case "commit_creds":
		b = fmt.Appendf(b, `{"process_credentials_arg":{"uid":%d, "gid":%d, "euid":0, "egid":0, "suid":0, "sgid":0, "fsuid":0, "fsgid":0, "caps":{"permitted":["CAP_SETUID"], "effective":["CAP_SETUID"]}, "user_ns":{"level":0, "uid":0, "gid":0, "ns":{"inum":4026531837, "is_host":true}}}}`, p.uid, p.uid)
	case "tcp_connect", "tcp_close":
		b = append(b, `{"sock_arg":`...)
		b = append(g.sock(b), '}')
	case "udp_sendmsg":
		b = append(b, `{"sock_arg":`...)
		b = fmt.Appendf(g.sock(b), `}, {"int_arg":%d}`, 20+g.rng.IntN(500))
	case "do_unlinkat":
		b = fmt.Appendf(b, `{"int_arg":-100}, {"string_arg":%q}`, file)
	case "chmod_common":
		b = fmt.Appendf(b, `{"path_arg":{"path":%q, "permission":"-rw-r--r--"}}, {"uint_arg":%d}`, file, 0o755)
	case "security_file_mprotect":
		b = fmt.Appendf(b, `{"size_arg":"%d"}, {"size_arg":"%d"}`, 1+g.rng.IntN(7), 1+g.rng.IntN(7))
	case "__x64_sys_ptrace":
		b = fmt.Appendf(b, `{"int_arg":16}, {"int_arg":%d}`, 300+g.rng.IntN(200))
	case "__x64_sys_process_vm_writev":
		b = fmt.Appendf(b, `{"int_arg":%d}`, 300+g.rng.IntN(200))
	}
	b = append(b, ']')
	if k.fn == "inet_csk_accept" {
		b = append(b, `, "return":{"sock_arg":`...)
		b = append(g.sock(b), '}')
	}
	b = fmt.Appendf(b, `, "action":"KPROBE_ACTION_POST", "policy_name":%q, "return_action":"KPROBE_ACTION_POST"}`, k.policy)
	return g.tail(b)
}
