// Package state keeps the checkpoints a long-running service resumes from:
// versioned, checksummed files written atomically into a directory.
//
//	s, _ := state.Open("/var/lib/tetrahids-live") // locked against a second process
//	s.Save(state.BytesSection("input", pos), state.Section{Name: "lineage", Data: graph})
//	cp, _ := s.Load()                             // later: the newest sound checkpoint
//
// A checkpoint is a set of named sections. The state package does not know
// what they hold: each component that has state (the input position, the
// lineage graph, the scorer's per-process contexts, counters) hands over a
// Section whose io.WriterTo writes it, and reads it back from
// Checkpoint.Section. A checkpoint is only worth anything if its sections
// are consistent with each other, so the caller saves them all at one point
// of its processing (see the service package).
//
// # Atomicity
//
// Save writes a temporary file, syncs it, moves the current checkpoint to
// "checkpoint.prev", renames the new file to "checkpoint" and syncs the
// directory. A crash at any point leaves a complete checkpoint, the new
// one or the one before, and Open removes the temporary files of an
// interrupted Save.
//
// # Damage
//
// Every section carries a CRC-32C, and so does the table of sections with
// the sequence number and time; the file ends with a marker, so a file cut
// short is recognised. Decode checks everything before it returns. A damaged
// file is reported as *CorruptError (errors.Is ErrCorrupt), a file in a
// future format as *VersionError (ErrVersion). Load falls back from a
// damaged "checkpoint" to "checkpoint.prev" and says so in
// Checkpoint.Skipped: resuming from the older checkpoint reads some input
// again, it skips none.
//
// # Format
//
// Little-endian: a 16-byte header ("THLSTATE", uint32 version 1, four zero
// bytes), the sections' bytes back to back, a table (count, then per
// section its name, offset, length and CRC-32C) and a 40-byte trailer (table
// offset and length, sequence, time, CRC-32C of the table and trailer,
// "THLSTEND").
//
// # Concurrency
//
// A Store or a Checkpoint is used by one goroutine at a time.
package state
