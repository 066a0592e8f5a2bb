package tetraparse

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/schema"
)

// procCols are the raw column indices of one process block (groups B–D).
type procCols struct {
	execID, parentExecID, pid, tid, uid, auid, binary, arguments, cwd, flags int
	startTime, inInitTree, refcnt, isProcfsWalk, flagExecve, flagClone       int
	flagRootcwd, capPermitted, capEffective, capInheritable                  int
	nsInum                                                                   [7]int // pid mnt net user uts ipc cgroup
	nsIsHost                                                                 [3]int // pid user time
	creds                                                                    [8]int
	// anyNS and anyCreds report whether a namespace or credentials column
	// is built, so that a projection without them skips their loops.
	anyNS, anyCreds bool
}

// rowBuilder appends Events to column buffers in the raw schema, indexed
// by raw column; a column left out of Config.Columns has no buffer, and
// appending to it does nothing.
type rowBuilder struct {
	schema  *arrow.Schema
	mem     memory.Allocator
	version string
	cols    []*colBuf // by raw column
	out     []int     // raw column of each output field
	// Column indices.
	eventType, eventTime, nodeName               int
	proc, parent                                 procCols
	exitStatus, exitSignal, kpFunction, kpPolicy int
	kpAction, kpReturnAction, kpArgsJSON         int
	sourceFile, sourceLine, parserVersion        int
	unmapped                                     []int
	rows                                         int
	// big is set when a column's string bytes reach maxColumnBytes.
	big bool
}

// newRowBuilder builds the columns of out, a projection of the raw schema
// (the raw schema itself when every column is kept).
func newRowBuilder(defs *schema.Definitions, out *arrow.Schema, mem memory.Allocator, x *extractor) (*rowBuilder, error) {
	sc := defs.RawSchema()
	b := &rowBuilder{schema: out, mem: mem, version: defs.ParserVersion()}
	n := len(sc.Fields())
	b.cols = make([]*colBuf, n)
	for _, f := range out.Fields() {
		i := sc.FieldIndices(f.Name)[0]
		c, err := newColBuf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("tetraparse: raw column %s has unsupported %w", f.Name, err)
		}
		b.cols[i] = c
		b.out = append(b.out, i)
	}
	mapped := make([]bool, n)
	var missing []string
	// col looks a column up and checks its type against the one its
	// appender writes.
	col := func(name string, want string) int {
		i, ok := sc.FieldIndices(name), false
		if len(i) == 1 {
			c, _ := defs.RawColumn(name)
			ok = c.TypeName() == want
		}
		if !ok {
			missing = append(missing, name+" ("+want+")")
			return 0
		}
		mapped[i[0]] = true
		return i[0]
	}
	b.eventType = col("event_type", "utf8")
	b.eventTime = col("event_time", "timestamp[ns,UTC]")
	b.nodeName = col("node_name", "utf8")
	for _, pc := range []struct {
		prefix string
		c      *procCols
	}{{"proc_", &b.proc}, {"parent_", &b.parent}} {
		p, c := pc.prefix, pc.c
		c.execID, c.parentExecID = col(p+"exec_id", "utf8"), col(p+"parent_exec_id", "utf8")
		c.pid, c.tid, c.uid, c.auid = col(p+"pid", "uint32"), col(p+"tid", "uint32"), col(p+"uid", "uint32"), col(p+"auid", "uint32")
		c.binary, c.arguments, c.cwd, c.flags = col(p+"binary", "utf8"), col(p+"arguments", "utf8"), col(p+"cwd", "utf8"), col(p+"flags", "utf8")
		c.startTime, c.inInitTree, c.refcnt = col(p+"start_time", "timestamp[ns,UTC]"), col(p+"in_init_tree", "bool"), col(p+"refcnt", "uint32")
		c.isProcfsWalk, c.flagExecve = col(p+"is_procfs_walk", "bool"), col(p+"flag_execve", "bool")
		c.flagClone, c.flagRootcwd = col(p+"flag_clone", "bool"), col(p+"flag_rootcwd", "bool")
		c.capPermitted, c.capEffective, c.capInheritable = col(p+"cap_permitted", "list<utf8>"), col(p+"cap_effective", "list<utf8>"), col(p+"cap_inheritable", "list<utf8>")
		for i, ns := range nsNames[:7] {
			c.nsInum[i] = col(p+"ns_"+ns+"_inum", "uint64")
		}
		for i, ns := range [...]string{"pid", "user", "time"} {
			c.nsIsHost[i] = col(p+"ns_"+ns+"_is_host", "bool")
		}
		for i, k := range credNames {
			c.creds[i] = col(p+"creds_"+k, "uint32")
		}
		for _, i := range c.nsInum {
			c.anyNS = c.anyNS || b.cols[i] != nil
		}
		for _, i := range c.creds {
			c.anyCreds = c.anyCreds || b.cols[i] != nil
		}
	}
	b.exitStatus, b.exitSignal = col("exit_status", "int32"), col("exit_signal", "utf8")
	b.kpFunction, b.kpPolicy = col("kprobe_function_name", "utf8"), col("kprobe_policy_name", "utf8")
	b.kpAction, b.kpReturnAction = col("kprobe_action", "utf8"), col("kprobe_return_action", "utf8")
	b.kpArgsJSON = col("kprobe_args_json", "utf8")
	b.sourceFile, b.sourceLine, b.parserVersion = col("_source_file", "utf8"), col("_source_line", "uint32"), col("_parser_version", "utf8")
	if len(missing) > 0 {
		return nil, fmt.Errorf("tetraparse: raw schema %s lacks columns the parser fills: %v", defs.SchemaVersion(), missing)
	}
	for _, c := range x.cols {
		mapped[c] = true
	}
	for i, m := range mapped {
		if !m {
			b.unmapped = append(b.unmapped, i)
		}
	}
	return b, nil
}

// The appenders below skip columns without a buffer.

func (b *rowBuilder) null(i int) {
	if c := b.cols[i]; c != nil {
		c.appendNull()
	}
}

func (b *rowBuilder) appendStr(i int, v string) {
	if c := b.cols[i]; c != nil {
		c.appendString(v)
		b.big = b.big || len(c.str) >= maxColumnBytes
	}
}

func (b *rowBuilder) appendBool(i int, v bool) {
	if c := b.cols[i]; c != nil {
		c.appendBool(v)
	}
}

func (b *rowBuilder) optStr(i int, v Opt[string]) {
	if v.Valid {
		b.appendStr(i, v.Value)
	} else {
		b.null(i)
	}
}

func (b *rowBuilder) optU32(i int, v Opt[uint32]) {
	switch c := b.cols[i]; {
	case c == nil:
	case v.Valid:
		c.appendU32(v.Value)
	default:
		c.appendNull()
	}
}

func (b *rowBuilder) optU64(i int, v Opt[uint64]) {
	switch c := b.cols[i]; {
	case c == nil:
	case v.Valid:
		c.appendU64(v.Value)
	default:
		c.appendNull()
	}
}

func (b *rowBuilder) optTS(i int, v Opt[int64]) {
	switch c := b.cols[i]; {
	case c == nil:
	case v.Valid:
		c.appendI64(v.Value)
	default:
		c.appendNull()
	}
}

func (b *rowBuilder) strList(i int, v Opt[[]string]) {
	switch c := b.cols[i]; {
	case c == nil:
	case v.Valid:
		c.appendList(v.Value)
		b.big = b.big || c.bytes() >= maxColumnBytes
	default:
		c.appendNull()
	}
}

// appendProc appends one process block; p == nil writes nulls, as the
// reference does for an absent parent.
func (b *rowBuilder) appendProc(c *procCols, p *Process, kind Kind) {
	if p == nil {
		for _, i := range [...]int{c.execID, c.parentExecID, c.binary, c.arguments, c.cwd, c.flags,
			c.pid, c.tid, c.uid, c.auid, c.refcnt, c.startTime,
			c.inInitTree, c.isProcfsWalk, c.flagExecve, c.flagClone, c.flagRootcwd, c.nsIsHost[0], c.nsIsHost[1], c.nsIsHost[2],
			c.capPermitted, c.capEffective, c.capInheritable} {
			b.null(i)
		}
		for _, i := range c.nsInum {
			b.null(i)
		}
		for _, i := range c.creds {
			b.null(i)
		}
		return
	}
	b.optStr(c.execID, p.ExecID)
	b.optStr(c.parentExecID, p.ParentExecID)
	b.optU32(c.pid, p.PID)
	b.optU32(c.tid, p.TID)
	b.optU32(c.uid, p.UID)
	b.optU32(c.auid, p.AUID)
	b.optStr(c.binary, p.Binary)
	b.optStr(c.arguments, p.Arguments)
	b.optStr(c.cwd, p.Cwd)
	b.appendStr(c.flags, p.Flags)
	b.optTS(c.startTime, p.StartTime)
	b.appendBool(c.inInitTree, p.InInitTree)
	b.optU32(c.refcnt, p.Refcnt)
	b.appendBool(c.isProcfsWalk, p.FlagProcFS && kind == KindExec)
	b.appendBool(c.flagExecve, p.FlagExecve)
	b.appendBool(c.flagClone, p.FlagClone)
	b.appendBool(c.flagRootcwd, p.FlagRootCwd)
	b.strList(c.capPermitted, p.CapPermitted)
	b.strList(c.capEffective, p.CapEffective)
	b.strList(c.capInheritable, p.CapInheritable)
	ns := &p.NS
	if c.anyNS {
		for i := range c.nsInum {
			b.optU64(c.nsInum[i], ns.field(i).Inum)
		}
	}
	b.appendBool(c.nsIsHost[0], ns.PID.IsHost)
	b.appendBool(c.nsIsHost[1], ns.User.IsHost)
	b.appendBool(c.nsIsHost[2], ns.Time.IsHost)
	if c.anyCreds {
		for i := range c.creds {
			b.optU32(c.creds[i], *p.Creds.field(i))
		}
	}
}

// appendRow appends one kept event. nodeName is the fallback for an event
// without one; x holds the staged kp_* values (all unset for non-kprobes).
func (b *rowBuilder) appendRow(ev *Event, nodeName, file string, line int64, x *extractor) {
	b.appendStr(b.eventType, ev.Kind.String())
	b.optTS(b.eventTime, ev.Time)
	if ev.NodeName.Valid {
		b.appendStr(b.nodeName, ev.NodeName.Value)
	} else {
		b.appendStr(b.nodeName, nodeName)
	}
	b.appendProc(&b.proc, ev.Process, ev.Kind)
	b.appendProc(&b.parent, ev.Parent, ev.Kind)
	if ev.Kind == KindExit {
		if c := b.cols[b.exitStatus]; c != nil && ev.Exit.Status.Valid {
			c.appendI32(ev.Exit.Status.Value)
		} else {
			b.null(b.exitStatus)
		}
		b.optStr(b.exitSignal, ev.Exit.Signal)
	} else {
		b.null(b.exitStatus)
		b.null(b.exitSignal)
	}
	if ev.Kind == KindKprobe {
		k := &ev.Kprobe
		b.optStr(b.kpFunction, k.FunctionName)
		b.optStr(b.kpPolicy, k.PolicyName)
		b.optStr(b.kpAction, k.Action)
		b.optStr(b.kpReturnAction, k.ReturnAction)
		if c := b.cols[b.kpArgsJSON]; c != nil {
			c.appendBytes(k.ArgsJSON)
			b.big = b.big || len(c.str) >= maxColumnBytes
		}
	} else {
		for _, i := range [...]int{b.kpFunction, b.kpPolicy, b.kpAction, b.kpReturnAction, b.kpArgsJSON} {
			b.null(i)
		}
	}
	for s, i := range x.cols {
		c := b.cols[i]
		if c == nil {
			continue
		}
		v := &x.slots[s]
		if !v.set {
			c.appendNull()
			continue
		}
		switch c.id {
		case arrow.STRING:
			b.appendStr(i, v.s)
		case arrow.BOOL:
			c.appendBool(v.b)
		case arrow.LIST:
			b.strList(i, some(v.list))
		case arrow.UINT32:
			c.appendU32(uint32(v.num.abs))
		case arrow.UINT64:
			c.appendU64(v.num.abs)
		case arrow.INT32:
			c.appendI32(int32(v.num.signed()))
		case arrow.INT64:
			c.appendI64(v.num.signed())
		default:
			c.appendNull()
		}
	}
	for _, i := range b.unmapped {
		b.null(i)
	}
	b.appendStr(b.sourceFile, file)
	if c := b.cols[b.sourceLine]; c != nil {
		c.appendU32(uint32(line))
	}
	b.appendStr(b.parserVersion, b.version)
	b.rows++
}

func (n bigint) signed() int64 {
	if n.neg {
		return -int64(n.abs)
	}
	return int64(n.abs)
}

// flush returns the rows appended since the last flush as a record, or nil.
func (b *rowBuilder) flush() arrow.RecordBatch {
	if b.rows == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(b.out))
	for k, i := range b.out {
		cols[k] = b.cols[i].flush(b.mem)
	}
	rec := array.NewRecordBatch(b.schema, cols, int64(b.rows))
	for _, c := range cols {
		c.Release()
	}
	b.rows, b.big = 0, false
	return rec
}

// discard drops the rows appended since the last flush (a stream stopped
// by its consumer), keeping the buffers.
func (b *rowBuilder) discard() {
	for _, c := range b.cols {
		if c != nil {
			c.reset()
			if c.elem != nil {
				c.elem.reset()
			}
		}
	}
	b.rows, b.big = 0, false
}
