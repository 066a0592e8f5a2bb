// Package metrics counts what the live service does and shows it to
// operators: a one-line status for standard error, and the same counts in
// Prometheus text format on /metrics.
//
//	var c metrics.Counters
//	c.Line(len(line) + 1); c.Kept(); c.Dropped("filtered")
//	log.Print(metrics.StatusLine(prev, c.Snapshot(follower.Stats())))
//	addr, done, _ := metrics.Serve(ctx, "127.0.0.1:9464", snapshot)
//
// # Counts
//
// Counters holds the service's counts (lines, kept, dropped by reason,
// alerts, input gaps, checkpoints). They are saved in every checkpoint and
// restored at start, so they count since the state directory was created:
// across restarts that end with a checkpoint, lines_read_total equals the
// number of distinct lines of the input. The input's mechanics (rotations,
// polls, change notifications) and the gauges (lag, heap) belong to the
// process and start at zero.
//
// A labelled count keeps at most MaxReasons reasons; others are counted as
// "other", so the number of series stays bounded.
//
// # Prometheus format
//
// The text exposition format 0.0.4 is written by hand with the standard
// library (no client library): a HELP and a TYPE line per metric, counters
// named *_total, every name starting with tetrahids_live_, label values
// escaped. The metrics test parses the output back to hold it to that.
//
// # Concurrency
//
// Counters and Snapshot are safe for concurrent use: the processing loop
// counts while the HTTP server reads.
package metrics
