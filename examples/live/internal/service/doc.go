// Package service is the loop of the live scorer: it reads Tetragon's
// export (a followed file or standard input), gives each line to a
// Processor, writes the output, checkpoints, and reports to operators.
//
//	err := service.Run(ctx, service.Config{Follow: path, StateDir: dir, Out: out}, processor)
//
// Run returns nil when ctx is done (the program cancels it on SIGTERM,
// SIGINT and SIGHUP) or standard input ends, after a final checkpoint.
//
// # Exactly once across restarts
//
// A checkpoint holds the input position, the service's counts and the
// Processor's state (if it implements Stateful). It is taken only at a point
// where every line before the position has been given to the Processor,
// flushed by it, and written to the output (flushed, and synced if the
// output is a file). So after a stop with a final checkpoint every line is
// processed exactly once, and after a crash (kill -9) the service resumes
// from the last checkpoint: the lines after it are processed again, none is
// skipped. The Processor's state in the checkpoint is consistent with the
// position, so processing them again gives the same output.
//
// # The Processor
//
// The Processor sees lines in input order, one at a time, on one
// goroutine. It may hold output back (a batch being built) until Flush,
// which the service calls when the input has no line ready and before each
// checkpoint. A Drainer may hold output longer (events waiting for a
// parent process) if it keeps it in its Sections; the service has it
// write everything out when the input ends, and when it stops without a
// state directory. Its errors are fatal (the output can no longer be
// written); problems of single lines are counted in metrics.Counters.
//
// # Operators
//
// Every StatusEvery a status line goes to Status; MetricsAddr serves the
// same counts in Prometheus text format (package metrics). Dropped input
// lines are logged once per kind and counted; lost input (truncation, a
// resume position whose file is gone, a backup removed before it was read)
// is logged every time and counted.
package service
