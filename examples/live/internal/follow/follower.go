package follow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/tetrahids/tetrahids/internal/pygzip"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Defaults of Options.
const (
	// DefaultPath is where Tetragon's Helm chart has it write its JSON
	// export (exportDirectory /var/run/cilium/tetragon, exportFilename
	// tetragon.log).
	DefaultPath = "/var/run/cilium/tetragon/tetragon.log"
	// DefaultMaxLineBytes bounds one line; longer lines are dropped. It
	// is the library's limit (tetraparse.DefaultMaxLineBytes), so that
	// the follower drops no line the parser would take.
	DefaultMaxLineBytes = tetraparse.DefaultMaxLineBytes
	// DefaultPollInterval is how often the follower looks at the file
	// when no change notification arrives.
	DefaultPollInterval = time.Second
)

// Options configure a Follower. The zero value follows from the start of the
// file at the path, with the defaults above.
type Options struct {
	// From resumes just after this position (see Follower for how it is
	// found again). Nil or the zero Position starts at the beginning of
	// the file at the path, or of the first file created there.
	From *Position
	// MaxLineBytes bounds a line, newline excluded (default
	// DefaultMaxLineBytes). The line buffer grows with the longest line
	// read, up to about MaxLineBytes+64 KiB.
	MaxLineBytes int
	// PollInterval is the longest the follower sleeps without looking
	// at the file (default DefaultPollInterval).
	PollInterval time.Duration
	// NoWatch turns file-change notifications off: polling only, for
	// file systems without inotify (some network and FUSE mounts).
	NoWatch bool
}

// Line is one complete line of the followed stream.
type Line struct {
	// Text is the line without its newline. It is valid until the next
	// call of Next.
	Text []byte
	// Pos is the position just after the line's newline.
	Pos Position
}

// Follower follows a file that Tetragon's exporter writes and rotates, and
// yields its complete lines, each with its position. See the package
// documentation.
//
// A Follower is not safe for concurrent use, except Stats, which may be
// called from any goroutine.
type Follower struct {
	n       names
	opts    Options
	lb      lineBuf
	src     *source // file being read, nil between files
	prev    *source // file finished, whose successor is not open yet
	started bool
	pos     Position
	notices []error
	lastIO  string // last IOError reported, to report each once
	w       *watcher
	timer   *time.Timer
	st      counters
}

// source is one file being read.
type source struct {
	f         *os.File
	r         io.Reader // f, or a gzip reader over f
	name      string
	dev, ino  uint64
	live      bool      // opened at the followed path and not seen renamed since
	gz        bool      // a compressed backup
	notBefore time.Time // see Position.NotBefore
	backupAt  time.Time // time in the backup name, if opened as a backup
	head      [FingerprintBytes]byte
	headN     int
	sum       [sha256.Size]byte // of head[:sumLen]
	sumLen    int
	size      int64 // last known size of the file, for the lag
	offset    int64 // where reading starts
}

// New returns a Follower of the file at path. The file and its directory
// need not exist yet; following starts when New returns, so every line
// written or rotated from then on is read. It fails only if path names a directory or the file
// watcher cannot be set up (use NoWatch then).
func New(path string, opts Options) (*Follower, error) {
	if path == "" {
		return nil, errors.New("follow: empty path")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("follow: %s is a directory", path)
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	f := &Follower{n: splitName(path), opts: opts, lb: newLineBuf(opts.MaxLineBytes)}
	if opts.From != nil {
		f.pos = *opts.From
	}
	f.st.caughtUp.Store(time.Now().UnixNano())
	if !opts.NoWatch {
		w, err := newWatcher(f.n, &f.st)
		if err != nil {
			return nil, fmt.Errorf("follow: file watcher (NoWatch polls instead): %w", err)
		}
		f.w = w
		f.w.ensure()
	}
	if f.pos.IsZero() {
		// Start now, not at the first Next: a file created and rotated
		// away in between is then still found among the backups.
		f.openNext()
	}
	return f, nil
}

// Close releases the open file and the watcher. Next must not be called
// after Close.
func (f *Follower) Close() error {
	var err error
	if f.src != nil {
		err = f.src.f.Close()
		f.src = nil
	}
	if f.w != nil {
		err = errors.Join(err, f.w.close())
		f.w = nil
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	return err
}

// Position returns the position after the last line or notice Next
// returned (the resume position before the first).
func (f *Follower) Position() Position { return f.pos }

// Next returns the next complete line. If none is available it waits up to
// wait for one, then returns ErrIdle; it returns ctx.Err() once ctx is done.
// Other errors are notices (*DropError, *GapError, *IOError): something was
// dropped or lost, counted in Stats, and the stream goes on. With every
// return, Line.Pos is the position after everything returned so far, so the
// caller can checkpoint it.
func (f *Follower) Next(ctx context.Context, wait time.Duration) (Line, error) {
	f.st.waiting.Store(false)
	var deadline time.Time
	for {
		if len(f.notices) > 0 {
			err := f.notices[0]
			f.notices[0] = nil
			f.notices = f.notices[1:]
			return Line{Pos: f.pos}, err
		}
		if f.src == nil {
			f.openNext()
			if f.src != nil || len(f.notices) > 0 {
				continue
			}
		} else {
			if l, ok := f.takeLine(); ok {
				return l, nil
			}
			if len(f.notices) > 0 {
				continue
			}
			n, err := f.fill()
			if n > 0 || len(f.notices) > 0 || f.src == nil {
				continue
			}
			switch {
			case err != nil && err != io.EOF:
				if !f.readFailed(err) {
					continue
				}
			case !f.src.live:
				f.finish()
				continue
			case f.checkLive():
				continue
			}
		}
		if err := ctx.Err(); err != nil {
			return Line{Pos: f.pos}, err
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(wait)
		}
		if !now.Before(deadline) {
			return Line{Pos: f.pos}, ErrIdle
		}
		f.st.caughtUp.Store(now.UnixNano())
		f.st.waiting.Store(true)
		if err := f.sleep(ctx, min(f.opts.PollInterval, deadline.Sub(now))); err != nil {
			return Line{Pos: f.pos}, err
		}
	}
}

// sleep waits for a change notification, the timeout or ctx.
func (f *Follower) sleep(ctx context.Context, d time.Duration) error {
	var wake <-chan struct{}
	if f.w != nil {
		f.w.ensure()
		wake = f.w.wake
	}
	if f.timer == nil {
		f.timer = time.NewTimer(d)
	} else {
		f.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		f.timer.Stop()
		return ctx.Err()
	case <-wake:
		f.timer.Stop()
	case <-f.timer.C:
		f.st.polls.Add(1)
	}
	return nil
}

func (f *Follower) notice(err error) { f.notices = append(f.notices, err) }

// ioNotice reports a failed operation once until another one fails or
// reading recovers.
func (f *Follower) ioNotice(op, name string, err error) {
	f.st.ioErrors.Add(1)
	e := &IOError{Op: op, File: name, Err: err}
	if s := e.Error(); s != f.lastIO {
		f.lastIO = s
		f.notice(e)
	}
}

// position returns the position at stream offset end of the current file.
func (f *Follower) position(end int64) Position {
	return Position{File: f.src.id(end), Offset: end, NotBefore: f.src.notBefore}
}

// id returns the FileID for a position at offset end.
func (s *source) id(end int64) FileID {
	hl := int(min(FingerprintBytes, end, int64(s.headN)))
	if hl != s.sumLen {
		s.sum = sha256.Sum256(s.head[:hl])
		s.sumLen = hl
	}
	return FileID{Dev: s.dev, Ino: s.ino, HeadLen: hl, HeadSum: s.sum}
}

// takeLine takes the next line out of the buffer, queueing a notice for a
// dropped one.
func (f *Follower) takeLine() (Line, bool) {
	line, end, kind, n := f.lb.next()
	f.syncLineCounts()
	switch kind {
	case okLine:
		f.pos = f.position(end)
		f.st.lines.Add(1)
		f.st.bytes.Add(uint64(len(line)) + 1)
		return Line{Text: line, Pos: f.pos}, true
	case longLine:
		f.pos = f.position(end)
		f.st.tooLong.Add(1)
		f.notice(&DropError{Reason: ErrLineTooLong, File: f.src.name, Bytes: n, Pos: f.pos})
	}
	return Line{}, false
}

func (f *Follower) syncLineCounts() {
	if f.lb.nulBytes != 0 {
		f.st.nulBytes.Add(f.lb.nulBytes)
		f.lb.nulBytes = 0
	}
	if f.lb.tornFragments != 0 {
		f.st.torn.Add(f.lb.tornFragments)
		f.lb.tornFragments = 0
	}
}

// fill reads once from the current file. On a plain file it then checks
// that the file's first bytes are still those read: if not, the file was
// truncated and rewritten while it was read. A rotated file is checked too:
// it may have been truncated just before its rotation, while the follower
// had not looked.
func (f *Follower) fill() (int, error) {
	s := f.src
	headBefore := s.headN
	n, err := f.lb.fill(s.r)
	f.syncLineCounts()
	if n > 0 {
		f.lastIO = ""
		off := f.lb.readOffset() - int64(n)
		if off < FingerprintBytes {
			k := copy(s.head[off:], f.lb.buf[f.lb.end-n:f.lb.end])
			s.headN = max(s.headN, int(off)+k)
		}
		s.size = max(s.size, f.lb.readOffset())
		if !s.gz && headBefore > 0 {
			f.verifyHead(headBefore)
		}
	}
	f.st.lag.Store(f.lagBytes())
	return n, err
}

func (f *Follower) lagBytes() int64 {
	if f.src == nil || f.src.gz {
		return 0
	}
	return max(0, f.src.size-f.lb.consumed())
}

// verifyHead compares the first hn bytes of the file with those read.
func (f *Follower) verifyHead(hn int) {
	s := f.src
	var buf [FingerprintBytes]byte
	k, err := s.f.ReadAt(buf[:hn], 0)
	if k == hn && bytes.Equal(buf[:hn], s.head[:hn]) {
		return
	}
	if k < hn && err != io.EOF {
		return // cannot tell; the next read checks again
	}
	f.st.truncations.Add(1)
	if k == hn && allZero(buf[:hn]) {
		// Truncated under a writer without O_APPEND (lumberjack's new
		// file): it goes on writing at its offset, and the start
		// reads as zeros. Reading goes on here; the zeros are skipped.
		copy(s.head[:hn], buf[:hn])
		s.sumLen = -1
		f.notice(&GapError{Reason: ErrTruncated, File: s.name, Pos: f.pos})
		return
	}
	f.restart()
}

func allZero(p []byte) bool {
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}

// restart reads the file again from its start after a truncation.
// Whatever was read but not yet returned is dropped: it may be the data from
// before the truncation or after it, and only the start is certain.
func (f *Follower) restart() {
	s := f.src
	if f.lb.pending() > 0 {
		f.st.torn.Add(1)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		f.ioNotice("seek", s.name, err)
	}
	f.lb.reset(0)
	s.headN, s.sumLen = 0, -1
	f.pos = f.position(0)
	f.notice(&GapError{Reason: ErrTruncated, File: s.name, Pos: f.pos})
}

// readFailed handles a read error. It reports whether the follower should
// wait before trying again.
func (f *Follower) readFailed(err error) bool {
	s := f.src
	if s.live {
		f.ioNotice("read", s.name, err)
		return true
	}
	// A backup that cannot be read to its end (a corrupt gzip stream)
	// will not get better: its remaining lines are lost.
	f.st.unreadable.Add(1)
	f.notice(&GapError{Reason: ErrUnreadable, File: s.name, Pos: f.pos, Err: err})
	f.lb.reset(f.lb.readOffset())
	f.finish()
	return false
}

// checkLive looks at the followed path after reading the live file to its
// end. It reports whether there is something to do before waiting: the file
// was rotated (it is then read to its end as a backup), truncated, or grew.
func (f *Follower) checkLive() bool {
	s := f.src
	seen := time.Now().UTC().Round(0)
	fi, err := os.Stat(f.n.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			f.rotated()
			return true
		}
		f.ioNotice("stat", f.n.path, err)
		return false
	}
	if d, i := devIno(fi); d != s.dev || i != s.ino {
		f.rotated()
		return true
	}
	s.notBefore = seen
	s.size = fi.Size()
	f.st.lag.Store(f.lagBytes())
	ro := f.lb.readOffset()
	if fi.Size() < ro {
		f.st.truncations.Add(1)
		f.restart()
		return true
	}
	return fi.Size() > ro
}

// rotated marks the live file as renamed away. The exporter closed it before
// renaming it, so reading it to its end gets every line it holds.
func (f *Follower) rotated() {
	f.src.live = false
	f.st.rotations.Add(1)
}

// finish closes the current file, at its end, and remembers it to find its
// successor.
func (f *Follower) finish() {
	s := f.src
	if p := f.lb.pending(); p > 0 {
		f.pos = f.position(f.lb.readOffset())
		f.st.unterminated.Add(1)
		f.notice(&DropError{Reason: ErrUnterminated, File: s.name, Bytes: p, Pos: f.pos})
	}
	f.lb.reset(0)
	s.f.Close()
	s.f, s.r = nil, nil
	f.src, f.prev = nil, s
}

// openNext opens the file to read next: where the resume position points
// at first, then the file after the one finished (the next backup in
// rotation order, or the file at the path).
func (f *Follower) openNext() {
	if !f.started {
		f.started = true
		if f.opts.From != nil && !f.opts.From.IsZero() {
			f.resume(*f.opts.From)
			return
		}
		start := time.Now().UTC().Round(0)
		if !f.openLive(nil) {
			// The file does not exist yet: whatever is rotated
			// from now on was written after the start.
			f.prev = &source{notBefore: start, sumLen: -1}
		}
		return
	}
	if f.prev == nil {
		return
	}
	cands, err := f.successors(f.prev)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.ioNotice("list", f.n.dir, err)
		}
		return
	}
	if f.openFirst(cands) {
		f.prev = nil
		return
	}
	if !f.openLive(nil) {
		return
	}
	// A rotation between the listing and the opening would have put a
	// file after the next one at the path: the next one is then a
	// backup, and a second listing finds it.
	if later, err := f.successors(f.prev); err == nil && len(later) > 0 {
		f.src.f.Close()
		f.src = nil
		if f.openFirst(later) {
			f.prev = nil
		}
		return
	}
	f.prev = nil
}

// successors lists the backups that come after prev in rotation order.
//
// After a backup, they are the backups with a later time in the name. After
// the file that was live, they are the backups after its own, found by its
// identity (device and inode while it is plain, its first bytes once
// compressed). If it cannot be found (an empty file has no fingerprint; a
// removed one is not listed), they are those rotated no earlier than the
// last time it was seen live: an empty backup may then be read again, which
// yields nothing.
func (f *Follower) successors(prev *source) ([]backup, error) {
	for try := 0; ; try++ {
		bs, err := f.n.listBackups()
		if err != nil {
			return nil, err
		}
		if !prev.backupAt.IsZero() {
			i := sort.Search(len(bs), func(i int) bool { return bs[i].t.After(prev.backupAt) })
			return bs[i:], nil
		}
		if i := locate(bs, prev.id(FingerprintBytes)); i >= 0 {
			return bs[i+1:], nil
		}
		if try == 2 || prev.dev == 0 && prev.ino == 0 {
			return after(bs, prev.notBefore), nil
		}
		// The plain file may have been compressed between the
		// listing and the look at it: list again.
	}
}

// openFirst opens the first of bs that still exists, reporting the ones
// removed before they could be read.
func (f *Follower) openFirst(bs []backup) bool {
	for _, b := range bs {
		if f.prev != nil && b.hasPlain && (f.prev.dev != 0 || f.prev.ino != 0) && b.dev == f.prev.dev && b.ino == f.prev.ino {
			continue // the file just finished
		}
		if f.openBackup(b, nil) {
			return true
		}
		f.st.backupGone.Add(1)
		f.notice(&GapError{Reason: ErrBackupGone, File: b.plain, Pos: f.pos})
	}
	return false
}

// resume opens the file p names at p.Offset: the file at the path if it
// is still there, else its backup, plain or compressed.
func (f *Follower) resume(p Position) {
	if p.File.Dev != 0 || p.File.Ino != 0 {
		if fi, err := os.Stat(f.n.path); err == nil {
			if d, i := devIno(fi); d == p.File.Dev && i == p.File.Ino && f.openLive(&p) {
				return
			}
		}
	}
	// The file may be compressed between the listing and the opening:
	// list again then.
	for range 3 {
		bs, err := f.n.listBackups()
		if err != nil {
			break
		}
		i := locate(bs, p.File)
		if i < 0 {
			break
		}
		if f.openBackup(bs[i], &p) {
			return
		}
	}
	f.st.positionGone.Add(1)
	f.notice(&GapError{Reason: ErrPositionGone, File: f.n.path, Pos: f.pos,
		Err: fmt.Errorf("%v: continuing with the oldest data rotated after %s", p, p.NotBefore.Format(time.RFC3339Nano))})
	f.prev = &source{notBefore: p.NotBefore, sumLen: -1}
}

// openLive opens the file at the path, at p.Offset if p is not nil and names
// it (else reporting false). It reports false if there is no file.
func (f *Follower) openLive(p *Position) bool {
	seen := time.Now().UTC().Round(0)
	s, err := openSource(f.n.path, false, p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotSame) {
			f.ioNotice("open", f.n.path, err)
		}
		return false
	}
	s.live, s.notBefore = true, seen
	f.use(s, p)
	return true
}

// openBackup opens a backup, plain if it still is, else compressed, at
// p.Offset if p is not nil.
func (f *Follower) openBackup(b backup, p *Position) bool {
	for _, gz := range []bool{false, true} {
		name := b.plain
		if gz {
			name = b.gz
		}
		s, err := openSource(name, gz, p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotSame) {
				f.ioNotice("open", name, err)
			}
			continue
		}
		s.notBefore, s.backupAt = b.t, b.t
		if gz {
			// A compressed file has an inode of its own: keep the
			// plain file's identity, which a position may name.
			s.dev, s.ino = b.dev, b.ino
			if p != nil {
				s.dev, s.ino = p.File.Dev, p.File.Ino
			}
		}
		f.use(s, p)
		return true
	}
	return false
}

// use makes s the current file, reading from p.Offset if p is given and the
// file still holds that much; if it does not, the file was truncated and is
// read from its start.
func (f *Follower) use(s *source, p *Position) {
	f.src = s
	f.st.filesOpened.Add(1)
	off := s.offset
	f.lb.reset(off)
	f.pos = f.position(off)
	if p != nil && off != p.Offset {
		f.st.truncations.Add(1)
		f.notice(&GapError{Reason: ErrTruncated, File: s.name, Pos: f.pos,
			Err: fmt.Errorf("holds fewer than the %d bytes already read", p.Offset)})
	}
	f.st.lag.Store(f.lagBytes())
}

// counters are the follower's statistics, written by Next and read by
// Stats from any goroutine.
type counters struct {
	lines, bytes                atomic.Uint64
	tooLong, unterminated       atomic.Uint64
	torn, nulBytes              atomic.Uint64
	rotations, truncations      atomic.Uint64
	positionGone, backupGone    atomic.Uint64
	unreadable, ioErrors        atomic.Uint64
	filesOpened                 atomic.Uint64
	watchEvents, watchOverflows atomic.Uint64
	polls                       atomic.Uint64
	watching, waiting           atomic.Bool
	lag                         atomic.Int64
	caughtUp                    atomic.Int64 // unix ns
}

// Stats are a Follower's counts since it was created.
type Stats struct {
	Lines uint64 // lines returned
	Bytes uint64 // their bytes, newlines included

	TooLong       uint64 // lines dropped for exceeding MaxLineBytes
	Unterminated  uint64 // unterminated last lines of finished files, dropped
	TornFragments uint64 // partial lines destroyed by a truncation, dropped
	NULBytes      uint64 // NUL bytes (a truncated file's hole) skipped

	Rotations    uint64 // times the followed file was renamed away
	Truncations  uint64 // times a file was found truncated or rewritten
	PositionGone uint64 // resume positions whose file no longer existed
	BackupGone   uint64 // backups removed before they were read
	Unreadable   uint64 // files given up before their end (corrupt gzip)
	IOErrors     uint64 // failed file operations, retried
	FilesOpened  uint64

	WatchEvents    uint64 // change notifications about the followed files
	WatchOverflows uint64 // notification queue overflows (changes missed; polling covers them)
	Polls          uint64 // waits ended by the poll interval
	Watching       bool   // notifications are set up for the directory

	// LagBytes is how many bytes of the current file were known to be
	// written and not yet read at the last look (0 while reading a
	// compressed backup, whose length is not known).
	LagBytes int64
	// LagSeconds is how long ago the follower was last waiting for data,
	// 0 while it is waiting: how far it has fallen behind the writer.
	LagSeconds float64
}

// Stats returns the counts so far. It is safe to call from any goroutine.
func (f *Follower) Stats() Stats {
	return f.st.stats()
}

func (c *counters) stats() Stats {
	s := Stats{
		Lines: c.lines.Load(), Bytes: c.bytes.Load(),
		TooLong: c.tooLong.Load(), Unterminated: c.unterminated.Load(),
		TornFragments: c.torn.Load(), NULBytes: c.nulBytes.Load(),
		Rotations: c.rotations.Load(), Truncations: c.truncations.Load(),
		PositionGone: c.positionGone.Load(), BackupGone: c.backupGone.Load(),
		Unreadable: c.unreadable.Load(), IOErrors: c.ioErrors.Load(),
		FilesOpened:    c.filesOpened.Load(),
		WatchEvents:    c.watchEvents.Load(),
		WatchOverflows: c.watchOverflows.Load(),
		Polls:          c.polls.Load(),
		Watching:       c.watching.Load(),
		LagBytes:       c.lag.Load(),
	}
	if !c.waiting.Load() {
		s.LagSeconds = time.Since(time.Unix(0, c.caughtUp.Load())).Seconds()
	}
	return s
}

var errNotSame = errors.New("follow: not the file of the position")

// openSource opens a file for reading from p.Offset (from the start if p is
// nil). With p, the file must be the one p names (device and inode for a
// plain file, the fingerprint for both), else errNotSame. The file's first
// bytes are loaded for its fingerprint. s.offset is where reading starts:
// p.Offset, or 0 if the file holds less than that.
func openSource(name string, gz bool, p *Position) (*source, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s := &source{f: fh, r: fh, name: name, gz: gz, sumLen: -1}
	ok := false
	defer func() {
		if !ok {
			fh.Close()
		}
	}()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	s.dev, s.ino = devIno(fi)
	s.size = fi.Size()
	if p != nil && !gz && (s.dev != p.File.Dev || s.ino != p.File.Ino) {
		return nil, errNotSame
	}
	if gz {
		s.r = pygzip.NewReader(fh)
	}
	// Load the start: the fingerprint's bytes.
	n, err := io.ReadFull(s.r, s.head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	s.headN = n
	if p != nil {
		if p.File.HeadLen > n || sha256.Sum256(s.head[:p.File.HeadLen]) != p.File.HeadSum {
			return nil, errNotSame
		}
	}
	var want int64
	if p != nil {
		want = p.Offset
	}
	// Position the reader at want, or at 0 if the file is shorter.
	if !gz {
		if want > s.size {
			want = 0
		}
		if _, err := fh.Seek(want, io.SeekStart); err != nil {
			return nil, err
		}
	} else {
		skipped := int64(n)
		if want < skipped {
			// Start again to read the head bytes as lines too.
			if err := s.rewindGz(); err != nil {
				return nil, err
			}
			skipped = 0
		}
		if want > skipped {
			k, err := io.CopyN(io.Discard, s.r, want-skipped)
			if err != nil && err != io.EOF {
				return nil, err
			}
			if skipped+k < want {
				if err := s.rewindGz(); err != nil {
					return nil, err
				}
				want = 0
			}
		}
	}
	s.offset = want
	ok = true
	return s, nil
}

func (s *source) rewindGz() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.r = pygzip.NewReader(s.f)
	return nil
}
