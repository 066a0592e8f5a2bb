package tetraparse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/tetrahids/tetrahids/internal/pyjson"
	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/internal/tstime"
)

// Opt is an optional value: Valid is false when the field was absent, null,
// or present but not convertible to T (counted in Event.FieldErrors).
type Opt[T any] struct {
	// Value is the value; the zero T when Valid is false.
	Value T
	Valid bool
}

func some[T any](v T) Opt[T] { return Opt[T]{Value: v, Valid: true} }

// Event is one decoded line of Tetragon's JSON export.
//
// Decoding follows protojson: numbers may be JSON numbers or strings (64-bit
// integers always arrive as strings), zero values and empty strings may be
// absent, unknown fields are ignored. Where the reference parser reads a
// field with Python semantics (truthiness, "or" defaults, last duplicate key
// wins), Event records the result of those semantics.
type Event struct {
	// Kind is the envelope's event kind; Body names it as written (useful
	// for KindUnknown).
	Kind Kind
	Body string
	// NodeName is the top-level node_name (Valid only when a non-empty string).
	NodeName Opt[string]
	// Time is the top-level time in nanoseconds since the epoch, Valid
	// when it parses by the reference rules (see internal/tstime). TimeText
	// is the raw text.
	Time     Opt[int64]
	TimeText string
	// Process and Parent are nil when the block is absent or empty.
	Process *Process
	Parent  *Process
	// Exit holds process_exit fields.
	Exit Exit
	// Kprobe holds process_kprobe fields.
	Kprobe Kprobe
	// FieldErrors counts fields present with a value of the wrong type.
	FieldErrors int

	// src is the decoder state of a kprobe event returned by Decode: its
	// argument tree, which the kprobe extraction of a Builder reads.
	src *decoder
}

// Process is a process or parent block.
type Process struct {
	// ExecID is Tetragon's exec_id, unique per exec across the cluster;
	// ParentExecID is the parent's (parent_exec_id).
	ExecID       Opt[string]
	ParentExecID Opt[string]
	// PID, TID, UID and AUID are the process's ids as Tetragon saw them
	// (auid: the login user id).
	PID  Opt[uint32]
	TID  Opt[uint32]
	UID  Opt[uint32]
	AUID Opt[uint32]
	// Binary is the executable's path, Arguments its arguments as one
	// string and Cwd the working directory.
	Binary    Opt[string]
	Arguments Opt[string]
	Cwd       Opt[string]
	// Flags is the space-separated flag string ("" when absent).
	Flags string
	// FlagProcFS, FlagExecve, FlagClone and FlagRootCwd report the flag
	// tokens procFS, execve, clone and rootcwd.
	FlagProcFS, FlagExecve, FlagClone, FlagRootCwd bool
	// StartTime is start_time in nanoseconds since the epoch.
	StartTime Opt[int64]
	// InInitTree is in_init_tree: the process descends from the
	// container's init.
	InInitTree bool
	// Refcnt is Tetragon's reference count of the process (refcnt).
	Refcnt Opt[uint32]
	// CapPermitted, CapEffective and CapInheritable are the capability
	// sets; an absent list is empty, a malformed one invalid.
	CapPermitted, CapEffective, CapInheritable Opt[[]string]
	// NS is the ns block, Creds the process_credentials block.
	NS    Namespaces
	Creds Credentials
	// Pod is the Kubernetes pod block and Docker the container id prefix
	// Tetragon writes as process.docker. A Parser decodes them only when
	// its selectors read them.
	Pod    Opt[Pod]
	Docker Opt[string]
}

// Namespaces holds the namespace inums; Time only carries is_host.
type Namespaces struct {
	// PID, Mnt, Net, User, UTS, IPC, Cgroup and Time are the ns block's
	// pid, mnt, net, user, uts, ipc, cgroup and time entries.
	PID, Mnt, Net, User, UTS, IPC, Cgroup, Time Namespace
}

// Namespace is one namespace of a process.
type Namespace struct {
	// Inum is the namespace's inode number.
	Inum Opt[uint64]
	// InumPresent is true when inum is present and not null, even if it is
	// not a number (such a value matches no target inum).
	InumPresent bool
	// IsHost is is_host: the namespace is the host's.
	IsHost bool
}

// Credentials is Tetragon's process_credentials block.
type Credentials struct {
	// UID, GID, EUID, EGID, SUID, SGID, FSUID and FSGID are the real,
	// effective, saved and file-system user and group ids.
	UID, GID, EUID, EGID, SUID, SGID, FSUID, FSGID Opt[uint32]
}

// Exit holds the fields of a process_exit event.
type Exit struct {
	// Status is the exit status, Signal the name of the signal that
	// ended the process, such as "SIGKILL".
	Status Opt[int32]
	Signal Opt[string]
}

// Kprobe holds the fields of a process_kprobe event.
type Kprobe struct {
	// FunctionName is the hooked kernel function, such as "fd_install";
	// PolicyName the TracingPolicy that hooked it.
	FunctionName Opt[string]
	PolicyName   Opt[string]
	// Action and ReturnAction are the policy's actions on the call and
	// its return, such as "KPROBE_ACTION_POST".
	Action       Opt[string]
	ReturnAction Opt[string]
	// ArgsJSON is Python's json.dumps(args or [], separators=(",", ":")):
	// the reference's kprobe_args_json.
	ArgsJSON []byte
	// ReturnJSON is the same compact form of the return value, nil when absent.
	ReturnJSON []byte
}

// Errors reported by Decode. A *DecodeError wraps one of them.
var (
	// ErrSyntax: the line is not JSON as Python's json.loads accepts it.
	ErrSyntax = errors.New("invalid JSON")
	// ErrStructure: the JSON does not have the shape the reference reads,
	// such as an event body or a process block that is not an object.
	ErrStructure = errors.New("unexpected event structure")
)

// DecodeError describes why a line could not be decoded. Offset is the
// 0-based byte offset in the line for syntax errors, -1 otherwise.
type DecodeError struct {
	Err    error // ErrSyntax or ErrStructure
	Offset int
	// Msg says what was wrong, such as "invalid character 'x' looking for
	// beginning of value".
	Msg string

	// What Builder.AddEvent needs to count the line as the Parser would:
	// whether the line was blank, and for a structure error the stage at
	// which the reference meets it and the event decoded so far.
	blank bool
	stage stage
	ev    *Event
}

// Error renders the kind of error, its byte offset when known, and the reason.
func (e *DecodeError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%v at byte %d: %s", e.Err, e.Offset, e.Msg)
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Msg)
}

// Unwrap returns ErrSyntax or ErrStructure.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode decodes one line of Tetragon's JSON export (surrounding white space
// allowed). It returns an error wrapping ErrSyntax for invalid JSON and
// ErrStructure for JSON the reference cannot read; an event of a kind the
// corpus does not keep, or a non-object line, decodes without error with
// Kind set accordingly (KindUnknown for non-objects).
//
// Decode never panics and keeps no reference to line. A kprobe event
// keeps the parse tree of its line (on a copy of the line), so that
// [Builder.AddEvent] fills its kp_* columns without parsing it again.
func Decode(line []byte) (*Event, error) {
	d := new(decoder)
	ev := new(Event)
	stripped := pystr.StripBytes(line)
	if err := d.decode(ev, stripped, true); err != nil {
		if de, ok := err.(*DecodeError); ok {
			de.blank = len(stripped) == 0
		}
		return nil, err
	}
	if ev.Kind == KindKprobe {
		d.doc.Rebase(bytes.Clone(stripped))
		d.ev, ev.src = nil, d
	}
	if d.structErr != nil {
		d.structErr.ev, d.structErr.stage = ev, d.stage
		return nil, d.structErr
	}
	return ev, nil
}

// decoder turns lines into Events; it owns reusable buffers.
type decoder struct {
	doc  pyjson.Doc
	copy bool // copy strings (public Decode) or alias the line (Parser)
	// structErr is the first structure error of the event and stage says
	// where the reference meets it, so that drops and errors are counted in
	// the reference's order.
	structErr *DecodeError
	stage     stage
	ev        *Event
	// body is the event body node, kept for kprobe extraction.
	body int32
	// argsNode is the kprobe args node, or -1 when args is falsy.
	argsNode int32
	retNode  int32
	argsBuf  []byte
	retBuf   []byte
	// skipArgs and skipReturn leave ArgsJSON and ReturnJSON nil: the
	// Parser builds kprobe_args_json only when it is a kept column, and has
	// no column for the return value.
	skipArgs, skipReturn bool
	procBuf              [2]Process
	capBufs              [2][3][]string
	labelBufs            [2][]PodLabel
	// skipK8s leaves Process.Pod and Docker unset (a Parser without pod
	// selectors).
	skipK8s bool
	// blocks remembers recently decoded process blocks by their bytes (see
	// blockCache); nil disables it.
	blocks *blockCache
}

// stage orders the places where the reference raises on malformed input.
type stage uint8

const (
	stageNone     stage = iota
	stageEnvelope       // before the container filter: body, process, ns, ns.pid
	stageInum           // the target-inum membership test (unhashable inum)
	stageBuild          // while building the row, after every filter
)

func (d *decoder) structure(st stage, format string, args ...any) {
	if d.structErr == nil {
		d.structErr = &DecodeError{Err: ErrStructure, Offset: -1, Msg: fmt.Sprintf(format, args...)}
		d.stage = st
	}
}

func (d *decoder) str(n int32) string {
	if d.copy {
		return d.doc.String(n)
	}
	return d.doc.StringView(n)
}

// decode fills ev from line, which must already be stripped. Structure
// errors are recorded in d.structErr, not returned.
func (d *decoder) decode(ev *Event, line []byte, copyStrings bool) error {
	*ev = Event{}
	d.ev, d.copy, d.structErr, d.stage = ev, copyStrings, nil, stageNone
	d.body, d.argsNode, d.retNode = -1, -1, -1
	if d.blocks != nil {
		d.blocks.reset()
		if d.doc.Known == nil {
			d.doc.Known, d.doc.KnownDepth = d.blocks.known, 2
		}
	}
	if err := d.doc.Parse(line); err != nil {
		var se *pyjson.SyntaxError
		if errors.As(err, &se) {
			return &DecodeError{Err: ErrSyntax, Offset: se.Offset, Msg: se.Msg}
		}
		return &DecodeError{Err: ErrSyntax, Offset: -1, Msg: err.Error()}
	}
	doc := &d.doc
	root := int32(0)
	if doc.Nodes[root].Kind != pyjson.Object {
		ev.Kind = KindUnknown
		return nil
	}
	// One pass over the root's members; the last of duplicate keys wins,
	// as in a Python dict.
	kinds := [3]int32{-1, -1, -1} // process_exec, process_exit, process_kprobe
	nodeName, timeNode, other := int32(-1), int32(-1), KindUnknown
	d.members(root, func(key string, v int32) {
		switch key {
		case "process_exec":
			kinds[0] = v
		case "process_exit":
			kinds[1] = v
		case "process_kprobe":
			kinds[2] = v
		case "node_name":
			nodeName = v
		case "time":
			timeNode = v
		default:
			if other == KindUnknown {
				other = kindOf(key)
			}
		}
	})
	// The reference tests the three kept kinds in this order; other kinds
	// are only named (the first in the line).
	for i, k := range [...]Kind{KindExec, KindExit, KindKprobe} {
		if kinds[i] >= 0 {
			ev.Kind, ev.Body, d.body = k, k.String(), kinds[i]
			break
		}
	}
	if d.body < 0 {
		if other != KindUnknown {
			ev.Kind, ev.Body = other, other.String()
		}
		return nil
	}
	if n := nodeName; doc.Truthy(n) {
		if doc.Nodes[n].Kind == pyjson.String {
			ev.NodeName = some(d.str(n))
		} else {
			ev.FieldErrors++
		}
	}
	if n := timeNode; n >= 0 && doc.Nodes[n].Kind == pyjson.String {
		ev.TimeText = d.str(n)
		if ns, ok := tstime.ParseBytes(doc.Bytes(n)); ok {
			ev.Time = some(ns)
		}
	}
	body := d.body
	if doc.Nodes[body].Kind != pyjson.Object {
		d.structure(stageEnvelope, "%s is not an object", ev.Body)
		return nil
	}
	var bf struct{ process, parent, status, signal, function, policy, action, retAction, args, ret int32 }
	bf.process, bf.parent, bf.status, bf.signal, bf.function = -1, -1, -1, -1, -1
	bf.policy, bf.action, bf.retAction, bf.args, bf.ret = -1, -1, -1, -1, -1
	d.members(body, func(key string, v int32) {
		switch key {
		case "process":
			bf.process = v
		case "parent":
			bf.parent = v
		case "status":
			bf.status = v
		case "signal":
			bf.signal = v
		case "function_name":
			bf.function = v
		case "policy_name":
			bf.policy = v
		case "action":
			bf.action = v
		case "return_action":
			bf.retAction = v
		case "args":
			bf.args = v
		case "return":
			bf.ret = v
		}
	})
	if proc := bf.process; doc.Truthy(proc) {
		if k := doc.Nodes[proc].Kind; k != pyjson.Object && k != pyjson.Known {
			d.structure(stageEnvelope, "%s.process is not an object", ev.Body)
			return nil
		}
		ev.Process = &d.procBuf[0]
		d.block(ev.Process, proc, ev.Body, true)
	}
	if parent := bf.parent; doc.Truthy(parent) {
		if k := doc.Nodes[parent].Kind; k != pyjson.Object && k != pyjson.Known {
			d.structure(stageBuild, "%s.parent is not an object", ev.Body)
		} else {
			ev.Parent = &d.procBuf[1]
			d.block(ev.Parent, parent, ev.Body, false)
		}
	}
	if d.copy {
		// The public Event must not share the decoder's buffers.
		if ev.Process != nil {
			p := *ev.Process
			ev.Process = &p
		}
		if ev.Parent != nil {
			p := *ev.Parent
			ev.Parent = &p
		}
	}
	switch ev.Kind {
	case KindExit:
		ev.Exit.Status = d.int32Field(bf.status)
		ev.Exit.Signal = d.stringField(bf.signal)
	case KindKprobe:
		k := &ev.Kprobe
		if n := bf.function; n >= 0 && (doc.Nodes[n].Kind == pyjson.Array || doc.Nodes[n].Kind == pyjson.Object) {
			// The reference looks the name up in a dict: unhashable.
			d.structure(stageBuild, "%s.function_name is not a string", ev.Body)
		}
		k.FunctionName = d.stringField(bf.function)
		k.PolicyName = d.stringField(bf.policy)
		k.Action = d.stringField(bf.action)
		k.ReturnAction = d.stringField(bf.retAction)
		if n := bf.args; doc.Truthy(n) {
			d.argsNode = n
			if !d.skipArgs {
				d.argsBuf, _ = pyjson.AppendCompact(d.argsBuf[:0], doc.Raw(n))
			}
		} else {
			d.argsBuf = append(d.argsBuf[:0], "[]"...)
		}
		if !d.skipArgs {
			k.ArgsJSON = d.argsBuf
		}
		if n := bf.ret; n >= 0 {
			d.retNode = n
			if !d.skipReturn {
				d.retBuf, _ = pyjson.AppendCompact(d.retBuf[:0], doc.Raw(n))
				k.ReturnJSON = d.retBuf
			}
		}
		if d.copy {
			k.ArgsJSON = append([]byte(nil), k.ArgsJSON...)
			if k.ReturnJSON != nil {
				k.ReturnJSON = append([]byte(nil), k.ReturnJSON...)
			}
		}
	}
	return nil
}

// object returns the node of a Python "x.get(key) or {}" for the value
// node v: -1 for a falsy value, v for an object, and a structure error
// (reported lazily with its path) otherwise.
func (d *decoder) object(v int32, st stage, path func() string) int32 {
	if !d.doc.Truthy(v) {
		return -1
	}
	if d.doc.Nodes[v].Kind != pyjson.Object {
		d.structure(st, "%s is not an object", path())
		return -1
	}
	return v
}

// members calls fn for every member of the object obj in input order, so
// that assigning in fn gives Python's "last duplicate key wins".
func (d *decoder) members(obj int32, fn func(key string, v int32)) {
	if obj < 0 {
		return
	}
	nodes := d.doc.Nodes
	for k := nodes[obj].First; k >= 0; {
		v := nodes[k].Next
		fn(d.doc.StringView(k), v)
		k = nodes[v].Next
	}
}

var nsNames = [...]string{"pid", "mnt", "net", "user", "uts", "ipc", "cgroup", "time"}

// procFields are the member nodes of a process block (-1: absent).
type procFields struct {
	execID, parentExecID, pid, tid, uid, auid, binary, arguments, cwd int32
	flags, startTime, inInitTree, refcnt, cap, ns, creds              int32
}

// block decodes a process or parent block, from the block cache when the
// Doc recognized its bytes, and remembers blocks that decoded cleanly.
func (d *decoder) block(p *Process, n int32, body string, isProcess bool) {
	raw := d.doc.Raw(n)
	if d.doc.Nodes[n].Kind == pyjson.Known {
		// Known nodes come only from the cache's own hook.
		if e, ok := d.blocks.lookup(int(d.doc.Nodes[n].Start)); ok {
			*p = e.proc
			d.ev.FieldErrors += e.fieldErrors
		} else {
			d.structure(stageEnvelope, "%s: internal error: block cache miss", body)
		}
		return
	}
	errsBefore, hadErr := d.ev.FieldErrors, d.structErr != nil
	d.process(p, n, body, isProcess)
	if d.blocks != nil && !hadErr && d.structErr == nil {
		d.blocks.store(raw, p, d.ev.FieldErrors-errsBefore)
	}
}

func (d *decoder) process(p *Process, n int32, body string, isProcess bool) {
	doc := &d.doc
	bi := 1
	if isProcess {
		bi = 0
	}
	caps := &d.capBufs[bi]
	*p = Process{}
	f := procFields{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	pod, docker := int32(-1), int32(-1)
	d.members(n, func(key string, v int32) {
		switch key {
		case "pod":
			pod = v
		case "docker":
			docker = v
		case "exec_id":
			f.execID = v
		case "parent_exec_id":
			f.parentExecID = v
		case "pid":
			f.pid = v
		case "tid":
			f.tid = v
		case "uid":
			f.uid = v
		case "auid":
			f.auid = v
		case "binary":
			f.binary = v
		case "arguments":
			f.arguments = v
		case "cwd":
			f.cwd = v
		case "flags":
			f.flags = v
		case "start_time":
			f.startTime = v
		case "in_init_tree":
			f.inInitTree = v
		case "refcnt":
			f.refcnt = v
		case "cap":
			f.cap = v
		case "ns":
			f.ns = v
		case "process_credentials":
			f.creds = v
		}
	})
	if !d.skipK8s {
		d.k8s(p, pod, docker, bi)
	}
	block := "parent"
	if isProcess {
		block = "process"
	}
	// The container filter reads process.ns.pid before anything else.
	filterStage := func(first bool) stage {
		if isProcess && first {
			return stageEnvelope
		}
		return stageBuild
	}
	ns := d.object(f.ns, filterStage(true), func() string { return body + "." + block + ".ns" })
	var nsBlocks [len(nsNames)]int32
	for i := range nsBlocks {
		nsBlocks[i] = -1
	}
	d.members(ns, func(key string, v int32) {
		for i, name := range nsNames {
			if key == name {
				nsBlocks[i] = v
			}
		}
	})
	for i, name := range nsNames {
		blk := d.object(nsBlocks[i], filterStage(i == 0), func() string { return body + "." + block + ".ns." + name })
		if blk < 0 {
			continue
		}
		nsp := p.NS.field(i)
		inum, isHost := int32(-1), int32(-1)
		d.members(blk, func(key string, v int32) {
			switch key {
			case "inum":
				inum = v
			case "is_host":
				isHost = v
			}
		})
		if inum >= 0 && doc.Nodes[inum].Kind != pyjson.Null {
			nsp.InumPresent = true
			if k := doc.Nodes[inum].Kind; k == pyjson.Array || k == pyjson.Object {
				// Python cannot test an unhashable value for set membership.
				st := stageBuild
				if isProcess && i == 0 {
					st = stageInum
				}
				d.structure(st, "%s.%s.ns.%s.inum is not a number", body, block, name)
			}
			nsp.Inum = d.uintField(inum, math.MaxUint64)
		}
		nsp.IsHost = doc.Truthy(isHost)
	}
	if doc.Truthy(f.flags) {
		if doc.Nodes[f.flags].Kind != pyjson.String {
			d.structure(stageBuild, "%s.%s.flags is not a string", body, block)
		} else {
			p.Flags = d.str(f.flags)
			p.setFlagTokens(p.Flags)
		}
	}
	p.ExecID = d.stringField(f.execID)
	p.ParentExecID = d.stringField(f.parentExecID)
	p.PID = d.uint32Field(f.pid)
	p.TID = d.uint32Field(f.tid)
	p.UID = d.uint32Field(f.uid)
	p.AUID = d.uint32Field(f.auid)
	p.Binary = d.stringField(f.binary)
	p.Arguments = d.stringField(f.arguments)
	p.Cwd = d.stringField(f.cwd)
	if t := f.startTime; t >= 0 && doc.Nodes[t].Kind == pyjson.String {
		if ns, ok := tstime.ParseBytes(doc.Bytes(t)); ok {
			p.StartTime = some(ns)
		}
	}
	p.InInitTree = doc.Truthy(f.inInitTree)
	p.Refcnt = d.uint32Field(f.refcnt)
	cp := d.object(f.cap, stageBuild, func() string { return body + "." + block + ".cap" })
	var capNodes [3]int32 = [3]int32{-1, -1, -1}
	d.members(cp, func(key string, v int32) {
		switch key {
		case "permitted":
			capNodes[0] = v
		case "effective":
			capNodes[1] = v
		case "inheritable":
			capNodes[2] = v
		}
	})
	p.CapPermitted = d.stringList(capNodes[0], caps[0])
	p.CapEffective = d.stringList(capNodes[1], caps[1])
	p.CapInheritable = d.stringList(capNodes[2], caps[2])
	caps[0], caps[1], caps[2] = p.CapPermitted.Value, p.CapEffective.Value, p.CapInheritable.Value
	cr := d.object(f.creds, stageBuild, func() string { return body + "." + block + ".process_credentials" })
	d.members(cr, func(key string, v int32) {
		for i, name := range credNames {
			if key == name {
				*p.Creds.field(i) = d.uint32Field(v)
			}
		}
	})
}

var credNames = [...]string{"uid", "gid", "euid", "egid", "suid", "sgid", "fsuid", "fsgid"}

func (c *Credentials) field(i int) *Opt[uint32] {
	return [...]*Opt[uint32]{&c.UID, &c.GID, &c.EUID, &c.EGID, &c.SUID, &c.SGID, &c.FSUID, &c.FSGID}[i]
}

func (n *Namespaces) field(i int) *Namespace {
	return [...]*Namespace{&n.PID, &n.Mnt, &n.Net, &n.User, &n.UTS, &n.IPC, &n.Cgroup, &n.Time}[i]
}

// setFlagTokens splits flags on white space as Python's str.split() does.
func (p *Process) setFlagTokens(flags string) {
	for tok := range pystr.Fields(flags) {
		switch tok {
		case "procFS":
			p.FlagProcFS = true
		case "execve":
			p.FlagExecve = true
		case "clone":
			p.FlagClone = true
		case "rootcwd":
			p.FlagRootCwd = true
		}
	}
}

// stringList reads Python's "x or []" of the node n as a list of strings.
func (d *decoder) stringList(n int32, buf []string) Opt[[]string] {
	doc := &d.doc
	if !doc.Truthy(n) {
		return some(buf[:0])
	}
	if doc.Nodes[n].Kind != pyjson.Array {
		d.ev.FieldErrors++
		return Opt[[]string]{}
	}
	out := buf[:0]
	for e := doc.Nodes[n].First; e >= 0; e = doc.Nodes[e].Next {
		if doc.Nodes[e].Kind != pyjson.String {
			d.ev.FieldErrors++
			return Opt[[]string]{}
		}
		out = append(out, d.str(e))
	}
	return some(out)
}

// stringField reads a string-typed field; null and absent are not Valid.
func (d *decoder) stringField(n int32) Opt[string] {
	if n < 0 {
		return Opt[string]{}
	}
	switch d.doc.Nodes[n].Kind {
	case pyjson.Null:
		return Opt[string]{}
	case pyjson.String:
		return some(d.str(n))
	}
	d.ev.FieldErrors++
	return Opt[string]{}
}

func (d *decoder) uint32Field(n int32) Opt[uint32] {
	v := d.uintField(n, math.MaxUint32)
	return Opt[uint32]{Value: uint32(v.Value), Valid: v.Valid}
}

// uintField reads an unsigned protojson integer: a JSON number or a decimal
// string, integral and at most max.
func (d *decoder) uintField(n int32, max uint64) Opt[uint64] {
	if n < 0 || d.doc.Nodes[n].Kind == pyjson.Null {
		return Opt[uint64]{}
	}
	if v, ok := d.integer(n); ok && !v.neg && v.abs <= max {
		return some(v.abs)
	}
	d.ev.FieldErrors++
	return Opt[uint64]{}
}

func (d *decoder) int32Field(n int32) Opt[int32] {
	if n < 0 || d.doc.Nodes[n].Kind == pyjson.Null {
		return Opt[int32]{}
	}
	if v, ok := d.integer(n); ok {
		if !v.neg && v.abs <= math.MaxInt32 {
			return some(int32(v.abs))
		}
		if v.neg && v.abs <= -math.MinInt32 {
			return some(int32(-int64(v.abs)))
		}
	}
	d.ev.FieldErrors++
	return Opt[int32]{}
}

type bigint struct {
	abs uint64
	neg bool
}

// integer reads an integer the way protojson accepts one: a JSON number
// without fraction (or with an integral value) or a string holding one.
func (d *decoder) integer(n int32) (bigint, bool) {
	doc := &d.doc
	nd := &doc.Nodes[n]
	var text []byte
	switch nd.Kind {
	case pyjson.Number:
		text = doc.Raw(n)
	case pyjson.String:
		text = doc.Bytes(n)
	case pyjson.Float:
		f, err := strconv.ParseFloat(string(doc.Raw(n)), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<64 {
			return bigint{}, false
		}
		if f < 0 {
			return bigint{abs: uint64(-f), neg: true}, true
		}
		return bigint{abs: uint64(f)}, true
	default:
		return bigint{}, false
	}
	neg := false
	if len(text) > 0 && text[0] == '-' {
		neg, text = true, text[1:]
	}
	if len(text) == 0 {
		return bigint{}, false
	}
	var v uint64
	for _, c := range text {
		if c < '0' || c > '9' {
			return bigint{}, false
		}
		hi, lo := bits.Mul64(v, 10)
		next := lo + uint64(c-'0')
		if hi != 0 || next < lo {
			return bigint{}, false
		}
		v = next
	}
	return bigint{abs: v, neg: neg && v != 0}, true
}
