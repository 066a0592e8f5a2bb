// Command live is the long-running side of tetrahids: it follows
// Tetragon's JSON export as Tetragon writes it, through rotation,
// compression and truncation, checkpoints where it stands, and resumes
// there after a restart, reporting to operators as it goes.
//
//	go -C examples/live run . -passthrough -follow /var/run/cilium/tetragon/tetragon.log \
//		-state /var/lib/tetrahids-live -out events.jsonl -metrics-addr 127.0.0.1:9464
//	tetra getevents -o json | go -C examples/live run . -passthrough
//
// This version runs the input path alone: -passthrough writes each input
// line unchanged. Scoring each kept event with a model trained on the
// corpus (decode, filter, encode through the library's live path, score,
// one JSON line per event) plugs into the same loop as a
// service.Processor.
//
// # Input
//
// -follow FILE follows the file (package internal/follow): rotated backups
// are read to their end, compressed ones through gzip, in the order of the
// times in their names; a truncated file is read again from its start.
// Without -follow it reads standard input.
//
// # State
//
// -state DIR keeps checkpoints (package internal/state): every
// -checkpoint-every and when SIGTERM, SIGINT or SIGHUP arrives, after
// which the program exits 0. A checkpoint is taken only when every line
// before its position has been written to -out, so restarts process each
// line exactly once; after kill -9 the lines since the last checkpoint are
// processed again, none skipped. -out is appended to, never truncated.
//
// # Operators
//
// A status line on standard error every -status-every (lines and rate,
// kept, dropped by reason, alerts, lag, heap), and with -metrics-addr the
// same counts in Prometheus text format at /metrics.
//
// # Module
//
// The program is a module of its own (examples/live/go.mod) that requires
// the library through a replace directive, so that its dependency on
// github.com/fsnotify/fsnotify never becomes a requirement of a service
// that imports the library. Test it with `go -C examples/live test ./...`.
package main
