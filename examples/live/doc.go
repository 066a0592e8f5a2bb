// Command live is the long-running side of tetrahids: it follows
// Tetragon's JSON export as Tetragon writes it, through rotation,
// compression and truncation, scores each kept event with a baseline
// model trained on the corpus, writes one JSON line per event,
// checkpoints where it stands, and resumes there after a restart,
// reporting to operators as it goes.
//
//	go run ./examples/corpus -in logs/ -labels labels.csv -target-inums 4026533329 \
//		-no-anonymize -lineage-out train.graph -out corpus
//	go run ./examples/baseline -corpus corpus -model ngram -out ngram
//	go -C examples/live build -o "$PWD/live" .
//	./live -follow /var/run/cilium/tetragon/tetragon.log -model ngram/model.bin \
//		-lineage train.graph -target-inums 4026533329 \
//		-state /var/lib/tetrahids-live -out scores.jsonl -metrics-addr 127.0.0.1:9464
//	tetra getevents -o json | ./live -model ngram/model.bin -lineage train.graph
//
// -passthrough runs the input path alone (each line copied unchanged).
//
// # Scoring
//
// Each line is decoded, filtered as the corpus builder filters
// (-target-inums, -sentinels, -node-name, and for Kubernetes targets
// -select and -keep-without-ns, with the meanings of tetraparse.Config),
// encoded through the library's live path (encode.Live) against a lineage
// graph seeded from -lineage (the training split's graph, which
// examples/corpus -lineage-out writes), and scored with -model, the
// model.bin that examples/baseline writes: an n-gram (scored in the
// context of the process's previous events, as the batch scores it) or an
// IsolationForest (each event alone). The output line of an event:
//
//	{"event_time":1776635187399735412,"proc_exec_id":"cHJveDE6…","proc_binary_basename":"node","token":"FILE_OPEN:node:USER_HOME","score":2.701259,"alert":false}
//
// event_time in nanoseconds since the epoch, score the model's float32,
// alert whether it reached -threshold: a number, or a quantile of the
// model's benign training scores stored in model.bin (default q0.999, a
// score rarer than one benign training event in a thousand). -features
// appends the whole encoded row ("features"). See package
// internal/score for what the scores equal and why.
//
// The model must come from a corpus whose tokens look like the live ones:
// build it with -no-anonymize from your own hosts, since anonymization
// rewrites basenames in the tokens and the live events are not
// anonymized.
//
// -hold-back d holds an event whose parent process has not been seen yet
// for up to d, so that its lineage features are the corpus's: a child
// whose first event precedes its parent's (Tetragon reports them
// out of order across CPUs) otherwise gets a shorter lineage and another
// token. The price is latency for the events held; the default, 0, holds
// nothing.
//
// # Input
//
// -follow FILE follows the file (package internal/follow): rotated backups
// are read to their end, compressed ones through the library's gzip
// reader, in the order of the times in their names; a truncated file is
// read again from its start. Without -follow it reads standard input.
// Lines longer than -max-line-bytes (the library's limit, 16 MiB) are
// dropped and counted.
//
// # State
//
// -state DIR keeps checkpoints (package internal/state): every
// -checkpoint-every and when SIGTERM, SIGINT or SIGHUP arrives, after
// which the program exits 0. A checkpoint is taken only when every line
// before its position has been written to -out, and holds the scorer's
// state with the position: the lineage graph, the encoder's per-process
// times, the n-gram's per-process contexts and the events held back. So
// restarts score each line exactly once, as one uninterrupted run would;
// after kill -9 the lines since the last checkpoint are scored again,
// none skipped. -out is appended to, never truncated.
//
// # Memory
//
// -max-processes (default 262,144) bounds each per-process memory: the
// graph, the encoder's previous event times and the n-gram's contexts,
// least recently used first. The encoder's digest caches are bounded by
// -hash-cache per column. Nothing else grows with the stream.
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
// that imports the library. Test it with `go -C examples/live test ./...`;
// TETRAHIDS_LIVE_SOAK=5000000 adds the soak run of TestScoringSoak (see
// BENCHMARKS.md).
package main
