// Package score is the scoring step of the live service: it decodes each
// Tetragon line, filters it by the corpus builder's rules, encodes the
// kept event through the library's live path (encode.Live) against a
// lineage graph seeded from the training split, scores it with a model
// that examples/baseline fitted, and writes one JSON line per event.
//
//	p, _ := score.New(score.Config{Parser: filters, Seed: graphFile, Model: model, Threshold: t, Counters: c})
//	err := service.Run(ctx, cfg, p)
//
// # Output
//
// One line per kept event, in the order the events are released (input
// order, except for events held back; see HoldBack):
//
//	{"event_time":1776130873000000000,"proc_exec_id":"cHJveDE6…","proc_binary_basename":"curl","token":"NET_CONNECT|curl|bash|…","score":7.9425,"alert":true}
//
// event_time is in nanoseconds since the epoch (null when the event's time
// does not parse), proc_exec_id is null for an event without one, score is
// the model's float32 score written with the fewest digits that read back
// as the same float32, and alert is score ≥ the threshold. With
// Config.Features the line ends with "features": the whole encoded row
// (encode.Features.AppendJSON).
//
// # Models
//
// An n-gram model (baseline.Ngram) scores each event in the context of
// its process's two previous tokens, kept by an incremental
// baseline.NgramScorer: the scores equal examples/baseline's batch scores
// for every event whose process's events arrive in event-time order with
// the same tokens. An IsolationForest (baseline.IForest, either feature
// set) scores each event alone from its Features: its 42 (or 35) f_*
// columns, cast to float32 as baseline.FeatureMatrix casts them, so an
// event with the corpus's features gets the batch score exactly.
//
// # Lineage, state and memory
//
// The graph starts from Config.Seed (the training split's graph, as the
// corpus seeded its test split), or from a checkpoint's graph, which
// holds the seed's processes still in use, and grows with every event. Three
// memories are per process, each bounded by Config.MaxProcesses: the
// graph (lineage.WithMaxProcesses: least recently used first, ancestors of
// kept processes kept), the encoder's previous event times
// (encode.WithMaxProcesses: two generations) and the n-gram's contexts
// (baseline.MaxProcesses: least recently scored first). Everything else
// is bounded independently of the stream (the encoder's caches, a line
// buffer, the events held back).
//
// The Processor is service.Stateful: a checkpoint holds the graph, the
// encoder's per-process times, the scorer's contexts and the lines held
// back, all as of the last line processed, so that a restarted service
// scores the following lines exactly as an uninterrupted one would. Two
// things are not saved, and differ only when eviction happens: the
// graph's recency order (a loaded graph counts its processes as used in
// index order) and the encoder's digest caches (pure functions). A
// checkpoint of another model's scorer is not used: its contexts start
// empty, and the service says so.
//
// # Hold-back
//
// With HoldBack, an event whose parent process has not been seen waits
// for the parent's first event, at most HoldBack (encode.WithHoldBack), so
// that its lineage features are the corpus's. Held events leave when the
// parent comes, when their time is up (checked on every line and whenever
// the input is idle), and when the input ends; a checkpoint saves them, so
// a restart holds them again rather than releasing them early. The price
// is latency for those events (by default none are held).
//
// # Counting
//
// Every line is counted once in metrics.Counters: kept (an event
// written), or dropped by reason: the tetraparse drop reasons
// ("drop_container_filter_wrong_inum", "drop_sentinel_interval", …),
// "blank", "json_error", "structure_error" and "line_too_long". Alerts are
// counted too. The first unreadable line of each kind is logged with its
// line number (counted from the start of the run) and column.
package score
