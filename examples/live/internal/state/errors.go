package state

import (
	"errors"
	"fmt"
)

var (
	// ErrNoCheckpoint: the directory holds no checkpoint (a first start).
	ErrNoCheckpoint = errors.New("state: no checkpoint")
	// ErrCorrupt is wrapped by *CorruptError.
	ErrCorrupt = errors.New("state: corrupt checkpoint")
	// ErrVersion is wrapped by *VersionError.
	ErrVersion = errors.New("state: checkpoint of another format version")
	// ErrLocked: another process uses the directory.
	ErrLocked = errors.New("state: directory in use by another process")
	// ErrNoSection: the checkpoint has no section of that name.
	ErrNoSection = errors.New("state: no such section")
)

// CorruptError reports a checkpoint that is not what Save writes: cut short,
// altered, or not a checkpoint at all. Offset is where the problem was found.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("state: %s: corrupt checkpoint at byte %d: %s", e.File, e.Offset, e.Reason)
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// VersionError reports a checkpoint written in a format version this
// program does not read.
type VersionError struct {
	File    string
	Version uint32
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("state: %s: checkpoint format version %d, this program reads %d", e.File, e.Version, version)
}

func (e *VersionError) Unwrap() error { return ErrVersion }
