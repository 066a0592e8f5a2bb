package follow

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is on the notices Next returns. Notices are not fatal:
// the stream goes on after them.
var (
	// ErrIdle: no complete line arrived within the wait Next was given.
	ErrIdle = errors.New("follow: no line within the wait")
	// ErrLineTooLong: a line longer than MaxLineBytes was dropped.
	ErrLineTooLong = errors.New("follow: line too long")
	// ErrUnterminated: a file that will not grow any more ended without
	// a newline; its last bytes were dropped.
	ErrUnterminated = errors.New("follow: unterminated last line")
	// ErrTruncated: the followed file shrank or was overwritten; lines
	// between the last one read and the truncation are lost.
	ErrTruncated = errors.New("follow: file truncated")
	// ErrPositionGone: the file a resumed position names exists neither
	// at the path nor as a backup; reading restarts at the oldest data
	// after it.
	ErrPositionGone = errors.New("follow: resume position's file is gone")
	// ErrBackupGone: a backup was removed (Tetragon keeps
	// --export-file-max-backups of them) before it was read.
	ErrBackupGone = errors.New("follow: backup removed before it was read")
	// ErrUnreadable: a file could not be read to its end (a corrupt gzip
	// backup, an I/O error); its remaining lines are lost.
	ErrUnreadable = errors.New("follow: file unreadable")
)

// DropError reports one line dropped: Reason is ErrLineTooLong or
// ErrUnterminated. Pos is the position just after the dropped bytes.
type DropError struct {
	Reason error
	File   string // path of the file the line was in
	Bytes  int64  // length of the dropped line
	Pos    Position
}

func (e *DropError) Error() string {
	return fmt.Sprintf("%v: %s: %d bytes ending at offset %d", e.Reason, e.File, e.Bytes, e.Pos.Offset)
}

func (e *DropError) Unwrap() error { return e.Reason }

// GapError reports data lost or skipped: Reason is ErrTruncated,
// ErrPositionGone, ErrBackupGone or ErrUnreadable. Pos is where reading goes
// on. Err, if not nil, is the underlying error.
type GapError struct {
	Reason error
	File   string
	Pos    Position
	Err    error
}

func (e *GapError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: %s: %v", e.Reason, e.File, e.Err)
	}
	return fmt.Sprintf("%v: %s", e.Reason, e.File)
}

func (e *GapError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Reason, e.Err}
	}
	return []error{e.Reason}
}

// IOError reports a failed file operation that the follower retries after
// the poll interval (an unreadable directory, a permission denied). The same
// error is reported once until a different one occurs or reading recovers.
type IOError struct {
	Op, File string
	Err      error
}

func (e *IOError) Error() string { return fmt.Sprintf("follow: %s %s: %v", e.Op, e.File, e.Err) }

func (e *IOError) Unwrap() error { return e.Err }
