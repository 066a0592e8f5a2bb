// Package follow follows the JSON export file that Tetragon writes and
// rotates, and yields its complete lines, each with a position to resume
// from: no line lost or read twice across a rotation or a restart.
//
//	f, _ := follow.New(follow.DefaultPath, follow.Options{From: saved})
//	defer f.Close()
//	for {
//		line, err := f.Next(ctx, time.Second) // line.Text, line.Pos
//		...
//	}
//
// Next returns one line at a time; ErrIdle when none arrived within the
// wait (so the caller can run timers), ctx.Err() when ctx is done, and
// notices (*DropError, *GapError, *IOError) when something was dropped or
// lost. The stream goes on after every notice, and every return carries
// the position after everything returned so far.
//
// # How Tetragon rotates its export
//
// Tetragon v1.6.1's exporter writes through lumberjack (--export-filename,
// --export-file-max-size-mb default 10, --export-file-rotation-interval,
// --export-file-max-backups default 5, --export-file-compress). Each event
// is one write of one line. A rotation closes the file, renames it to
// <name>-<UTC time>.<ext> (tetragon.log becomes
// tetragon-2026-01-02T03-04-05.678.log) and creates a new file at the path
// with O_TRUNC. A separate goroutine then compresses backups into
// <backup>.gz (written as .gz.tmp, renamed, then the plain backup removed)
// and removes the oldest beyond the backup count.
//
// # Following
//
// The follower reads the file at the path to its end, then looks at the
// path: a different file there (or none) means a rotation. The exporter
// closed the old file before renaming it, so the follower reads the file it
// still holds open to its end, whatever happened to its name since
// (renamed, compressed, removed), then goes on with the backups rotated
// after it, in the order of the times in their names, then the new file.
// A compressed backup is read through the library's gzip reader
// (internal/pygzip, which tetraparse uses for .gz inputs), so the follower
// accepts the files the corpus builder accepts.
//
// Change notifications (inotify, through github.com/fsnotify/fsnotify, on
// the directory) wake the follower promptly. They are hints only:
// notifications coalesce, are lost when the kernel queue overflows, and do
// not exist on some file systems. So the follower also looks every
// PollInterval, and it always reads the directory and the file to learn
// what changed. NoWatch polls only.
//
// Only complete lines are returned: a line still being written waits for its
// newline. A line longer than MaxLineBytes (by default the library's limit,
// tetraparse.DefaultMaxLineBytes, 16 MiB) is dropped as it streams past and
// reported (*DropError, ErrLineTooLong), so memory stays below about
// MaxLineBytes+64 KiB (128 KiB while lines are short). A finished file that
// ends without a newline (a writer that died mid-line) has its last bytes
// reported as ErrUnterminated.
//
// # Positions and resuming
//
// A Position names a file by device, inode and a SHA-256 of its first
// (up to FingerprintBytes) bytes, and an offset into its content. Renaming
// keeps the inode; compression keeps the content, so a position still
// finds its file once it is a gzip backup (the offset then counts
// decompressed bytes, which are skipped). Options.From resumes just after a
// position: in the file at the path if it is still that file, else in its
// backup, then the later backups, then the file at the path.
//
// If the position's file exists nowhere (removed because the follower was
// away longer than the backups last, or rewritten in place), the follower
// says so once (*GapError, ErrPositionGone) and continues with the oldest
// backup rotated no earlier than the position's NotBefore time, else the
// file at the path. Tetragon removes backups oldest first, so what is left
// all comes after the lost file; a backup removed out of order by hand could
// make older data be read again, never skipped.
//
// # Truncation
//
// A file truncated in place (`: > tetragon.log`, logrotate's copytruncate)
// is detected when it becomes shorter than what was read, or when its first
// bytes change; the follower reports it (ErrTruncated) and reads the file
// again from its start. Lines written after the truncation are delivered.
// Lines that were in the file when it was truncated and not yet read are
// lost with it: their bytes no longer exist. Lumberjack's file is not opened
// with O_APPEND, so after a truncation Tetragon goes on writing at its old
// offset and the start of the file reads as NUL bytes; the follower skips
// them (counted in Stats.NULBytes) and returns the lines after them.
//
// # Concurrency
//
// A Follower or Stream is used by one goroutine; Stats may be called from
// any goroutine (the metrics endpoint does).
//
// # Limits
//
// Backup names carry UTC times with millisecond resolution, and the
// follower compares them with its own clock only where a file cannot be
// found by identity (a removed backup, an empty one). A writer that keeps
// writing to the old file after renaming it (lumberjack does not) would
// lose what it writes after the follower has drained that file.
package follow
