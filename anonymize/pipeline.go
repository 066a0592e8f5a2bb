package anonymize

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/schema"
)

// MinKeyLength is the shortest HMAC key New accepts, in bytes. Use 32
// random bytes: RFC 2104 discourages keys shorter than the hash output.
const MinKeyLength = 16

// step names a stage of the pipeline (tests disable one at a time to
// prove that the assertions catch its absence).
type step int

const (
	stepAlias step = iota
	stepDerive
	stepCwd
	stepExecID
	stepSweep
	numSteps
)

// Option configures a Pipeline.
type Option func(*options)

type options struct {
	key     []byte
	aliases *AliasMap
	defs    *schema.Definitions
	mem     memory.Allocator
	strict  bool
	skip    [numSteps]bool
}

// WithKey sets the HMAC-SHA256 key of the exec-id pseudonyms (at least
// MinKeyLength bytes; the slice is copied). It is required when the
// policy classifies a column as exec_id: the package never makes one up,
// and never writes it anywhere. Keep it secret and keep it fixed across
// the shards of one corpus, or joins between them break.
func WithKey(key []byte) Option {
	return func(o *options) { o.key = slices.Clone(key) }
}

// WithAliasMap extends an existing alias map (for instance one loaded
// with LoadAliasMap from a previous release) instead of starting empty:
// its originals keep their aliases and numbers, and new custom binaries
// are numbered after its largest number. The map is copied.
func WithAliasMap(m *AliasMap) Option {
	return func(o *options) { o.aliases = m.Clone() }
}

// WithDefinitions sets the feature definitions whose token format and
// action-family labels the pair and the token are regenerated with
// (default schema.Default()).
func WithDefinitions(defs *schema.Definitions) Option {
	return func(o *options) { o.defs = defs }
}

// WithAllocator sets the Arrow allocator of the rebuilt columns.
func WithAllocator(mem memory.Allocator) Option {
	return func(o *options) { o.mem = mem }
}

// WithStrictAliases makes Apply fail with ErrUnknownBasename on a basename
// that the alias map does not hold and no Observe call has seen. Use it in
// two-pass corpus builds, where such a late name means the collection pass
// missed input, and would be numbered out of lexical order.
func WithStrictAliases() Option {
	return func(o *options) { o.strict = true }
}

// withoutStep disables a stage; for tests only.
func withoutStep(s step) Option {
	return func(o *options) { o.skip[s] = true }
}

// Report summarizes a run. It holds counts only: nothing in it is
// sensitive.
type Report struct {
	// Batches and Rows count what Apply returned.
	Batches int
	Rows    int64
	// Verbatim, Collapsed and Custom count the originals this run added
	// to the alias map, by kind (allowlisted identity entries, collapsed
	// names such as code-<hash>, numbered custom binaries); Preexisting
	// counts those that came from WithAliasMap.
	Verbatim, Collapsed, Custom, Preexisting int
	// LateAliases counts basenames first met by Apply after the map was
	// frozen (numbered after the rest, out of lexical order).
	LateAliases int
	// ExecIDs counts distinct exec ids pseudonymized (HMACs computed).
	ExecIDs int
	// CwdRewritten counts cells the cwd rules changed; PathPrefixes the
	// distinct rewritten prefixes added to the forbidden values.
	CwdRewritten int64
	PathPrefixes int
	// SweepHits counts cells the sweep changed.
	SweepHits int64
	// Dropped lists the columns removed from the output.
	Dropped []string
	// UnscannedOriginals counts originals of renamed basenames the
	// post-write scan cannot look for (see Verifier.UnscannedOriginals).
	UnscannedOriginals int
}

// Pipeline de-identifies encoded batches for release: basename aliasing,
// pair and token regeneration, cwd rewriting, exec-id pseudonyms, a final
// sweep, then the post-write assertions over the result. See the package
// documentation for the steps and the two alias-numbering modes.
//
// A Pipeline carries state across batches (the alias map, the exec-id
// cache, the forbidden path prefixes) and is not safe for concurrent use.
// The exec-id cache keeps every distinct id with its pseudonym (about 100
// bytes each: some 25 MB for the card's quarter of a million processes);
// use one Pipeline per corpus, not per shard, so that the cache and the
// alias map span the corpus.
type Pipeline struct {
	pol     *compiledPolicy
	opts    options
	tokens  *encode.Tokens
	actions []string

	aliases *AliasMap
	kinds   map[string]aliasKind
	next    int
	pending map[string]struct{}
	preexN  int

	mac       hash.Hash
	fold      *folder
	execIDs   map[string]string
	memos     map[string]map[string]memoEntry
	sweepMemo map[string]string
	prefixes  map[string]struct{}

	verifier *Verifier
	plan     *plan
	report   Report
	finished bool

	// per-batch scratch
	outs    map[int][]string
	scratch [7][]string
	offs    []int32
	data    []byte
	buf     []byte
	hexBuf  [5 + 32]byte
	sum     []byte
	late    []string
	missing bool
	in      []string
}

type aliasKind uint8

const (
	kindVerbatim aliasKind = iota
	kindCollapsed
	kindCustom
)

type memoEntry struct {
	out     string
	changed bool // out differs from the input
	rewrote bool // the cwd rules changed it (cwd columns)
	swept   bool // the sweep changed it
}

// New returns a Pipeline for policy. It validates the policy, and fails
// with ErrKey when the policy has an exec_id column and WithKey is absent
// or too short.
func New(policy Policy, opts ...Option) (*Pipeline, error) {
	pol, err := policy.compile()
	if err != nil {
		return nil, err
	}
	o := options{mem: memory.DefaultAllocator}
	for _, f := range opts {
		f(&o)
	}
	if o.defs == nil {
		o.defs = schema.Default()
	}
	if o.aliases == nil {
		o.aliases = NewAliasMap()
	}
	p := &Pipeline{
		pol: pol, opts: o, aliases: o.aliases, kinds: map[string]aliasKind{},
		pending: map[string]struct{}{}, execIDs: map[string]string{},
		memos: map[string]map[string]memoEntry{}, sweepMemo: map[string]string{},
		prefixes: map[string]struct{}{}, outs: map[int][]string{}, fold: newFolder(),
	}
	if p.tokens, err = encode.NewTokens(o.defs); err != nil {
		return nil, fmt.Errorf("anonymize: %w", err)
	}
	p.actions = actionLabels(o.defs)
	if pol.has(ClassExecID) || pol.redact {
		if o.key == nil {
			what := "pseudonymizes exec ids"
			if !pol.has(ClassExecID) {
				what = "redacts alias-map originals"
			}
			return nil, fmt.Errorf("%w: the policy %s; pass WithKey", ErrKey, what)
		}
		if len(o.key) < MinKeyLength {
			return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrKey, len(o.key), MinKeyLength)
		}
		p.mac = hmac.New(sha256.New, o.key)
	}
	if o.aliases.Redacted() > 0 {
		return nil, fmt.Errorf("%w: the map has %d redacted entries, so it cannot be extended (a redacted original would get a second alias); extend the full map Finish returned", ErrAliasMap, o.aliases.Redacted())
	}
	p.next = p.aliases.maxNumber(pol.prefix) + 1
	p.preexN = p.aliases.Len()
	if p.verifier, err = newVerifier(pol, p.aliases, o.defs); err != nil {
		return nil, err
	}
	return p, nil
}

// Verifier returns the pipeline's Verifier: the policy, the live alias
// map and every path prefix rewritten so far. Use it to re-check written
// shards in the same process.
func (p *Pipeline) Verifier() *Verifier { return p.verifier }

// Observe is the collection pass of a two-pass build: it records the
// basenames of rec (and runs the cwd rules, so the rewritten path
// prefixes are forbidden from the first Apply on) without producing
// output. Aliases are assigned at the next Freeze or Apply, in lexical
// order of everything observed, so the numbering depends on the input
// only, never on batch boundaries or order.
func (p *Pipeline) Observe(rec arrow.RecordBatch) error {
	if p.finished {
		return ErrFinished
	}
	pl, err := p.planFor(rec.Schema())
	if err != nil {
		return err
	}
	for _, c := range pl.cols {
		if c.class != ClassBasename && (c.class != ClassCwd || p.opts.skip[stepCwd]) {
			continue
		}
		col := rec.Column(c.idx).(stringArray)
		p.in = gather(col, p.in) // nulls read as "", which both classes skip
		switch c.class {
		case ClassBasename:
			last := ""
			for _, s := range p.in {
				if s == "" || s == last {
					continue
				}
				last = s
				if _, ok := p.aliases.Lookup(s); !ok {
					if _, ok := p.pending[s]; !ok {
						p.pending[strings.Clone(s)] = struct{}{}
					}
				}
			}
		case ClassCwd:
			memo := p.memo(c.name)
			last := ""
			for i, s := range p.in {
				if (i == 0 || s != last) && !col.IsNull(i) {
					p.cwdValue(memo, s)
					last = s
				}
			}
		}
	}
	return nil
}

// Freeze assigns aliases to every basename observed and not yet in the
// map: collapsed or verbatim per the policy, the rest numbered after the
// map's largest number in lexical (byte) order. Existing entries never
// change. Apply and Finish freeze implicitly; calling Freeze yourself
// documents the end of the collection pass.
func (p *Pipeline) Freeze() {
	if len(p.pending) == 0 {
		return
	}
	names := make([]string, 0, len(p.pending))
	for s := range p.pending {
		names = append(names, s)
	}
	clear(p.pending)
	p.assign(names)
}

// assign gives aliases to new names, in lexical order.
func (p *Pipeline) assign(names []string) {
	slices.Sort(names)
	for _, s := range names {
		if _, ok := p.aliases.Lookup(s); ok {
			continue
		}
		alias, kind := p.classify(s)
		if kind == kindCustom {
			alias = p.pol.prefix + pad(p.next, p.pol.digits)
			p.next++
		}
		p.aliases.set(s, alias)
		p.kinds[s] = kind
	}
}

func pad(n, digits int) string {
	s := strconv.Itoa(n)
	if len(s) < digits {
		s = strings.Repeat("0", digits-len(s)) + s
	}
	return s
}

// classify decides what kind of alias a new name gets: collapse rules
// first (they are the more specific), then the allowlist.
func (p *Pipeline) classify(s string) (string, aliasKind) {
	for _, c := range p.pol.collapse {
		if c.re.MatchString(s) {
			return c.alias, kindCollapsed
		}
	}
	if p.pol.allow[s] {
		return s, kindVerbatim
	}
	for _, re := range p.pol.allowPatterns {
		if re.MatchString(s) {
			return s, kindVerbatim
		}
	}
	return "", kindCustom
}

// Finish ends the run: it freezes what was observed and returns a copy of
// the alias map (write it with WriteTo as alias_map.json) and the report.
// Apply and Observe fail with ErrFinished afterwards; the Verifier stays
// usable.
func (p *Pipeline) Finish() (*AliasMap, Report) {
	if !p.finished {
		p.Freeze()
		p.finished = true
	}
	r := p.report
	r.Dropped = slices.Clone(r.Dropped)
	r.Verbatim, r.Collapsed, r.Custom = 0, 0, 0
	for _, k := range p.kinds {
		switch k {
		case kindVerbatim:
			r.Verbatim++
		case kindCollapsed:
			r.Collapsed++
		case kindCustom:
			r.Custom++
		}
	}
	r.Preexisting = p.preexN
	r.ExecIDs = len(p.execIDs)
	r.PathPrefixes = len(p.prefixes)
	r.UnscannedOriginals = p.verifier.UnscannedOriginals()
	return p.aliases.Clone(), r
}

// ReleaseAliasMap returns the alias map to publish as name (its path
// within the release, for messages), once the last batch is applied: the
// full map, except for originals that match a forbidden value or pattern
// (raw, base64-decoded or base64-spelled; a custom binary named after the
// host, or holding a MAC address). Under the policy's
// aliases.leaking_originals "fail" (the default) such an original is an
// error: a *LeakError per original, joined, each naming name and the
// entry by its alias, never the original. Under "redact" the entry is
// published under the hex of the first 16 bytes of a keyed HMAC-SHA256 of
// the original (the pipeline's key, domain-separated from the exec-id
// pseudonyms), so the alias stays in the map's closure; then keep the
// full map (Finish's) in a private place outside the release, where the
// next release can extend it. Redacted reports how many entries were.
//
// The released file is checked again by Verifier.VerifyFile, like every
// other file.
func (p *Pipeline) ReleaseAliasMap(name string) (*AliasMap, error) {
	p.Freeze()
	v := p.verifier
	v.refresh()
	pub := &AliasMap{m: map[string]string{}}
	var leaks []error
	for _, o := range p.aliases.Originals() {
		a := p.aliases.m[o]
		err := v.checkOriginal(name, o, a)
		if err == nil {
			pub.m[o] = a
			continue
		}
		if !p.pol.redact {
			leaks = append(leaks, err)
			continue
		}
		if pub.redacted == nil {
			pub.redacted = map[string]string{}
		}
		pub.redacted[p.originalDigest(o)] = a
	}
	if len(leaks) > 0 {
		return nil, errors.Join(leaks...)
	}
	return pub, nil
}

// originalDigest is the key of a redacted alias-map entry.
func (p *Pipeline) originalDigest(original string) string {
	mac := hmac.New(sha256.New, p.opts.key)
	mac.Write([]byte("tetrahids.alias_original\x00"))
	mac.Write([]byte(original))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// plan is the per-schema processing plan.
type plan struct {
	schema    *arrow.Schema
	out       *arrow.Schema
	cols      []colPlan // string columns to transform, in schema order
	keep      []int     // input column of each output column
	derive    *derivePlan
	dropped   []string
	transform map[int]int // input column → index in cols
}

type colPlan struct {
	idx   int
	name  string
	class Class
	dt    arrow.DataType
}

type derivePlan struct {
	proc, parent, path, ip, port, action int
}

// planFor classifies the columns of a schema (cached for the last one).
func (p *Pipeline) planFor(sc *arrow.Schema) (*plan, error) {
	if p.plan != nil && (p.plan.schema == sc || p.plan.schema.Equal(sc)) {
		return p.plan, nil
	}
	pl := &plan{schema: sc, transform: map[int]int{}}
	var fields []arrow.Field
	needToken, needPair := false, false
	for i, f := range sc.Fields() {
		cl, known := p.pol.src.Columns[f.Name]
		if !known {
			if !stringBearing(f.Type) {
				pl.keep = append(pl.keep, i)
				fields = append(fields, f)
				continue
			}
			if !p.pol.dropUnknown {
				return nil, &ColumnError{Column: f.Name, Type: f.Type.String(), Err: ErrUnclassifiedColumn}
			}
			cl = ClassDrop
		}
		if cl == ClassDrop {
			pl.dropped = append(pl.dropped, f.Name)
			continue
		}
		if !isFlatString(f.Type) {
			return nil, &ColumnError{Column: f.Name, Type: f.Type.String(), Err: ErrColumnType}
		}
		needToken = needToken || cl == ClassToken
		needPair = needPair || cl == ClassPair
		pl.transform[i] = len(pl.cols)
		pl.cols = append(pl.cols, colPlan{idx: i, name: f.Name, class: cl, dt: f.Type})
		pl.keep = append(pl.keep, i)
		fields = append(fields, f)
	}
	if needToken || needPair {
		d := &derivePlan{path: -1, ip: -1, port: -1, action: -1}
		find := func(name string, str bool) (int, error) {
			idx := sc.FieldIndices(name)
			if len(idx) != 1 {
				return 0, &ColumnError{Column: name, Err: ErrMissingColumn}
			}
			t := sc.Field(idx[0]).Type
			if (str && !isFlatString(t)) || (!str && !isInteger(t)) {
				return 0, &ColumnError{Column: name, Type: t.String(), Err: ErrColumnType}
			}
			return idx[0], nil
		}
		var err error
		if d.proc, err = find(colProcBase, true); err != nil {
			return nil, err
		}
		if d.parent, err = find(colParentBase, true); err != nil {
			return nil, err
		}
		if needToken {
			for _, x := range []struct {
				dst  *int
				name string
				str  bool
			}{{&d.path, colPathCat, true}, {&d.ip, colIPCat, true}, {&d.port, colPortCat, true}, {&d.action, colAction, false}} {
				if *x.dst, err = find(x.name, x.str); err != nil {
					return nil, err
				}
			}
		}
		pl.derive = d
	}
	md := sc.Metadata()
	pl.out = arrow.NewSchema(fields, &md)
	p.plan = pl
	return pl, nil
}

// memo returns the value memo of a column.
func (p *Pipeline) memo(name string) map[string]memoEntry {
	m := p.memos[name]
	if m == nil {
		m = map[string]memoEntry{}
		p.memos[name] = m
	}
	return m
}

func remember(m map[string]memoEntry, in string, e memoEntry) memoEntry {
	if len(m) >= memoLimit {
		clear(m)
	}
	m[strings.Clone(in)] = e
	return e
}

// sweep applies the final sweep unless disabled, and composes the
// result (released strings are NFC).
func (p *Pipeline) sweep(s string) (string, bool) {
	swept := false
	if !p.opts.skip[stepSweep] {
		s, swept = p.pol.sweepString(p.fold, s)
	}
	return toNFC(s), swept
}

func (p *Pipeline) cwdValue(m map[string]memoEntry, s string) memoEntry {
	if e, ok := m[s]; ok {
		return e
	}
	out := s
	if !p.opts.skip[stepCwd] {
		out = p.pol.rewriteCwd(p.fold, s, p.addPrefix)
	}
	rewrote := out != s
	out, swept := p.sweep(out)
	return remember(m, s, memoEntry{out: out, changed: out != s, rewrote: rewrote, swept: swept})
}

// addPrefix forbids a path prefix a cwd rule rewrote. Prefixes shorter
// than MinForbiddenLength (only possible with unusual rules) are not
// scannable and are skipped.
func (p *Pipeline) addPrefix(match string) {
	if len(match) < MinForbiddenLength {
		return
	}
	if _, ok := p.prefixes[match]; ok {
		return
	}
	match = strings.Clone(match)
	p.prefixes[match] = struct{}{}
	p.verifier.forbidPath(match)
}

func (p *Pipeline) basenameValue(m map[string]memoEntry, s string) memoEntry {
	if e, ok := m[s]; ok {
		return e
	}
	out := s
	if s != "" {
		alias, ok := p.aliases.Lookup(s)
		if !ok {
			// Apply numbers the batch's new names and comes back; the
			// entry is not memoized.
			p.missing = true
			return memoEntry{out: s}
		}
		if !p.opts.skip[stepAlias] {
			out = alias
		}
	}
	out, swept := p.sweep(out)
	return remember(m, s, memoEntry{out: out, changed: out != s, swept: swept})
}

func (p *Pipeline) textValue(m map[string]memoEntry, s string) memoEntry {
	if e, ok := m[s]; ok {
		return e
	}
	out, swept := p.sweep(s)
	return remember(m, s, memoEntry{out: out, changed: out != s, swept: swept})
}

// execID returns the pseudonym of an exec id: exec_ and the hex of the
// first 16 bytes of HMAC-SHA256(key, id). Computed once per distinct id.
func (p *Pipeline) execID(s string) string {
	if s == "" || p.opts.skip[stepExecID] {
		return s
	}
	if out, ok := p.execIDs[s]; ok {
		return out
	}
	p.mac.Reset()
	p.mac.Write([]byte(s))
	p.sum = p.mac.Sum(p.sum[:0])
	copy(p.hexBuf[:], "exec_")
	hex.Encode(p.hexBuf[5:], p.sum[:16])
	out := string(p.hexBuf[:])
	p.execIDs[strings.Clone(s)] = out
	return out
}

// Apply de-identifies one encoded batch and verifies the result. The
// output has the input's columns and order, minus dropped columns; the
// non-string columns are the input's arrays, untouched. On a failed
// assertion it returns a *LeakError and no batch. The caller owns the
// result and must Release it.
func (p *Pipeline) Apply(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if p.finished {
		return nil, ErrFinished
	}
	pl, err := p.planFor(rec.Schema())
	if err != nil {
		return nil, err
	}
	p.Freeze()
	n := int(rec.NumRows())
	arrays := make([]arrow.Array, len(pl.keep))
	counts := make([]cellCounts, len(pl.keep))
	release := func() {
		for _, a := range arrays {
			if a != nil {
				a.Release()
			}
		}
	}
	// Value columns first: the pair and the token are built from their
	// outputs.
	p.missing = false
	for k, in := range pl.keep {
		ci, ok := pl.transform[in]
		if !ok {
			a := rec.Column(in)
			a.Retain()
			arrays[k] = a
			continue
		}
		c := &pl.cols[ci]
		if c.class == ClassPair || c.class == ClassToken {
			continue
		}
		if arrays[k], counts[k], err = p.valueColumn(c, rec.Column(in).(stringArray), n); err != nil {
			release()
			return nil, err
		}
	}
	if p.missing {
		// A basename without an alias (one-pass use, or a name the
		// collection pass missed): number all of the batch's new names
		// at once, in lexical order, and redo the basename columns.
		if err := p.assignLate(rec, pl); err != nil {
			release()
			return nil, err
		}
		for k, in := range pl.keep {
			ci, ok := pl.transform[in]
			if !ok || pl.cols[ci].class != ClassBasename {
				continue
			}
			arrays[k].Release()
			if arrays[k], counts[k], err = p.valueColumn(&pl.cols[ci], rec.Column(in).(stringArray), n); err != nil {
				arrays[k] = nil
				release()
				return nil, err
			}
		}
	}
	for k, in := range pl.keep {
		ci, ok := pl.transform[in]
		if !ok {
			continue
		}
		c := &pl.cols[ci]
		if c.class == ClassPair || c.class == ClassToken {
			if arrays[k], err = p.derivedColumn(c, pl, rec, n); err != nil {
				release()
				return nil, err
			}
		}
	}
	out := array.NewRecordBatch(pl.out, arrays, int64(n))
	release()
	if err := p.verifier.verify(out, p.opts.skip[stepDerive]); err != nil {
		out.Release()
		return nil, err
	}
	if p.report.Dropped == nil && len(pl.dropped) > 0 {
		p.report.Dropped = slices.Clone(pl.dropped)
	}
	for _, c := range counts {
		p.report.CwdRewritten += c.rewrote
		p.report.SweepHits += c.swept
	}
	p.report.Batches++
	p.report.Rows += int64(n)
	return out, nil
}

// assignLate gives aliases to the batch's basenames that are not in the
// map yet (all at once, in lexical order), or fails under strict mode.
func (p *Pipeline) assignLate(rec arrow.RecordBatch, pl *plan) error {
	p.late = p.late[:0]
	seen := map[string]struct{}{}
	for _, c := range pl.cols {
		if c.class != ClassBasename {
			continue
		}
		col := rec.Column(c.idx).(stringArray)
		p.in = gather(col, p.in)
		last := ""
		for i, s := range p.in {
			if s == "" || s == last || col.IsNull(i) {
				continue
			}
			last = s
			if _, ok := p.aliases.Lookup(s); ok {
				continue
			}
			if p.opts.strict {
				return fmt.Errorf("anonymize: column %q row %d: %w", c.name, i, ErrUnknownBasename)
			}
			if _, ok := seen[s]; !ok {
				s = strings.Clone(s)
				seen[s] = struct{}{}
				p.late = append(p.late, s)
			}
		}
	}
	if len(p.late) > 0 {
		p.report.LateAliases += len(p.late)
		p.assign(p.late)
	}
	return nil
}

// valueColumn transforms an exec-id, basename, cwd or text column. A
// column the transformation leaves unchanged is returned as the input
// array itself. The released values stay in p.outs for the pair and the
// token.
func (p *Pipeline) valueColumn(c *colPlan, col stringArray, n int) (arrow.Array, cellCounts, error) {
	outs := p.outs[c.idx]
	if cap(outs) < n {
		outs = make([]string, n)
	}
	outs = outs[:n]
	p.outs[c.idx] = outs
	nulls := col.NullN() > 0
	p.in = gather(col, p.in)
	ins := p.in
	changed := false
	var counts cellCounts
	if c.class == ClassExecID {
		last, lastOut, have := "", "", false
		for i, s := range ins {
			if nulls && col.IsNull(i) {
				outs[i] = ""
				continue
			}
			if !have || s != last {
				last, lastOut, have = s, p.execID(s), true
				changed = changed || lastOut != s
			}
			outs[i] = lastOut
		}
	} else {
		m := p.memo(c.name)
		var last string
		var e memoEntry
		have := false
		var rewrote, swept int64
		for i, s := range ins {
			if nulls && col.IsNull(i) {
				outs[i] = ""
				continue
			}
			if !have || s != last {
				switch c.class {
				case ClassBasename:
					e = p.basenameValue(m, s)
				case ClassCwd:
					e = p.cwdValue(m, s)
				default:
					e = p.textValue(m, s)
				}
				last, have = s, true
				changed = changed || e.changed
			}
			outs[i] = e.out
			if e.rewrote {
				rewrote++
			}
			if e.swept {
				swept++
			}
		}
		counts = cellCounts{rewrote: rewrote, swept: swept}
	}
	if !changed {
		col.Retain()
		return col, counts, nil
	}
	a, err := p.buildStrings(c.name, c.dt, col, outs)
	return a, counts, err
}

// cellCounts are a column's contributions to the report, added when the
// batch is returned.
type cellCounts struct{ rewrote, swept int64 }

// buildStrings builds a column of type dt from one string per row, nulls
// where like has them.
func (p *Pipeline) buildStrings(name string, dt arrow.DataType, like stringArray, outs []string) (arrow.Array, error) {
	total := 0
	for _, s := range outs {
		total += len(s)
	}
	if dt.ID() == arrow.STRING {
		if !fitsUTF8(total) {
			return nil, fmt.Errorf("%w: column %q", ErrBatchTooLarge, name)
		}
		var a arrow.Array
		p.offs, a = buildUTF8Strings(p.opts.mem, dt, like, outs, p.offs)
		return a, nil
	}
	b := newStrBuilder(p.opts.mem, dt, len(outs), total)
	for i, s := range outs {
		if like.IsNull(i) {
			b.appendNull()
		} else {
			b.appendString(s)
		}
	}
	return b.finish(), nil
}

// source returns the released values of column idx: the outputs of a
// transformed value column, else the input's values (slot picks the
// scratch slice).
func (p *Pipeline) source(pl *plan, rec arrow.RecordBatch, idx, slot int) []string {
	if ci, ok := pl.transform[idx]; ok && pl.cols[ci].class != ClassPair && pl.cols[ci].class != ClassToken {
		return p.outs[idx]
	}
	p.scratch[slot] = gather(rec.Column(idx).(stringArray), p.scratch[slot])
	return p.scratch[slot]
}

// derivedColumn regenerates the pair or the token of every row from the
// released basenames and categories with the canonical format
// (encode.Tokens), then sweeps it. Nulls stay null. A row whose inputs
// equal the previous row's repeats its output without formatting it
// again (events of one process come in runs).
func (p *Pipeline) derivedColumn(c *colPlan, pl *plan, rec arrow.RecordBatch, n int) (arrow.Array, error) {
	in := rec.Column(c.idx).(stringArray)
	if p.opts.skip[stepDerive] {
		m := p.memo(c.name)
		outs := gather(in, p.scratch[6])
		p.scratch[6] = outs
		for i, s := range outs {
			outs[i] = p.textValue(m, s).out
		}
		return p.buildStrings(c.name, c.dt, in, outs)
	}
	token := c.class == ClassToken
	d := pl.derive
	procs, parents := p.source(pl, rec, d.proc, 0), p.source(pl, rec, d.parent, 1)
	var paths, ips, ports, actions []string
	if token {
		paths, ips, ports = p.source(pl, rec, d.path, 2), p.source(pl, rec, d.ip, 3), p.source(pl, rec, d.port, 4)
		p.scratch[5] = labelsOf(rec.Column(d.action), p.actions, p.scratch[5])
		actions = p.scratch[5]
	}
	same := func(a, b int) bool {
		return procs[a] == procs[b] && parents[a] == parents[b] &&
			(!token || (actions[a] == actions[b] && paths[a] == paths[b] && ips[a] == ips[b] && ports[a] == ports[b]))
	}
	offs, data := p.offs[:0], p.data[:0]
	nulls := in.NullN() > 0
	prev, prevStart, prevEnd := -1, 0, 0
	for i := range n {
		offs = append(offs, int32(len(data)))
		if nulls && in.IsNull(i) {
			continue
		}
		start := len(data)
		if prev >= 0 && same(prev, i) {
			data = append(data, data[prevStart:prevEnd]...)
		} else {
			if token {
				if actions[i] == "" {
					// The token's action would be made up; the batch does
					// not fit the definitions (WithDefinitions).
					return nil, fmt.Errorf("anonymize: column %q row %d: null or a code outside the schema %s vocabulary: %w", colAction, i, p.opts.defs.SchemaVersion(), ErrColumnType)
				}
				p.buf = p.tokens.AppendToken(p.buf[:0], actions[i], procs[i], parents[i], paths[i], ips[i], ports[i])
			} else {
				p.buf = p.tokens.AppendPair(p.buf[:0], parents[i], procs[i])
			}
			if p.opts.skip[stepSweep] {
				data = append(data, p.buf...)
			} else {
				data = append(data, sweepBytes(p.pol, p.fold, p.sweepMemo, p.buf)...)
			}
		}
		prev, prevStart, prevEnd = i, start, len(data)
	}
	offs = append(offs, int32(len(data)))
	p.offs, p.data = offs, data
	if !fitsUTF8(len(data)) {
		return nil, fmt.Errorf("%w: column %q", ErrBatchTooLarge, c.name)
	}
	if c.dt.ID() != arrow.STRING {
		outs := make([]string, n)
		for i := range n {
			outs[i] = string(data[offs[i]:offs[i+1]])
		}
		return p.buildStrings(c.name, c.dt, in, outs)
	}
	return buildUTF8(p.opts.mem, c.dt, in, offs, data), nil
}

// unsafeString views b as a string without copying. Callers use the
// result before b changes (to compare it, or to append it to a builder,
// which copies).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
