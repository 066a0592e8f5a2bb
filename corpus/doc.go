// Package corpus builds a host-intrusion-detection corpus from Tetragon
// export: JSON lines in, the layout of the released v0.2 corpus out —
// Parquet shards of the encoded table per split (train, test), the labels,
// the feature definitions, the alias map of an anonymized build, stats.json
// (every counter, and a line accounting that must add up), and README.md,
// a Hugging Face dataset card whose tables (also in datacard.md) are
// computed from the written shards.
//
//	res, err := corpus.Build(ctx, corpus.Config{
//		In: []string{"/var/log/tetragon"}, LabelsFile: "labels.csv",
//		HMACKeyFile: "key.bin", LineageOut: "train.lineage", Out: "corpus"})
//
// examples/corpus is this package's command line: one flag per Config
// field.
//
// # Configuration
//
// A Config names the inputs (In, split by time at Cut; or TrainIn and
// TestIn), the output directory and the options; its zero fields mean
// documented defaults. NewPlan checks a Config and reads every file it
// names (schema, labels, sentinel windows, policy, key), and lists the
// inputs, before anything is written: a field it cannot use is a
// *ConfigError naming it, and Build returns the same. The refusals a user
// may want to test for are sentinels: ErrNotCorpus (Out holds something
// else), ErrReleaseLike (a NoAnonymize build into what looks like a
// release), ErrNoKey, ErrInsideOut (LineageOut or PrivateAliasMap inside
// Out) and ErrNoPrivateAliasMap.
//
// # What a build does
//
// Build parses every input once, keeping the raw batches of each split
// (the columns the encoder reads) in memory up to Config.SpillMemory and in
// temporary LZ4 Arrow IPC files beyond, because lineage needs every row of
// a split before the first can be encoded: train rows are registered
// first, then test rows ("train seeds test", as the reference pipeline
// does). It then encodes each split with its own encoder, the splits
// concurrently. An anonymized build (the default) observes every encoded
// batch, freezes the alias numbering, then applies anonymization, labels
// and writes; the written shards are read back and checked for leaks
// (*LeakCheckError). Everything goes to a temporary directory beside Out,
// renamed into place when the build has succeeded: a failed or cancelled
// build leaves nothing behind and a previous corpus untouched.
//
// # Releasing
//
// In an anonymized build every file that leaves the building is checked,
// not only the shards: once everything is written, VerifyFiles reads
// every other file of the directory (labels.csv, the alias map,
// stats.json, datacard.md, the reproduction files, and any file a later
// version adds) with the anonymize Verifier, and a non-regular file or a
// Parquet file the shard checks did not read fails the build too. A
// failure is a *LeakCheckError naming the file and the line, CSV column or
// JSON key. labels.csv holds only the documented columns
// (labels.Set.WriteRelease), and its technique ids must match
// labels.TechniqueIDPattern (or Config.TechniquePattern). The alias map is
// anonymize.Pipeline.ReleaseAliasMap's: an original basename that matches
// a forbidden value or pattern fails the build, unless the policy has it
// published as a keyed digest, with the full map written to
// Config.PrivateAliasMap, outside Out. stats.json records the policy by
// its keyed digest, never its file's name, and the policy's warnings
// (anonymize.Policy.Warnings) reach Config.OnWarning once. A NoAnonymize
// build is not checked, and copies labels.csv verbatim.
//
// Progress reaches Config.OnProgress as typed Progress values (the stage,
// rows and bytes done and their totals, elapsed time); warnings reach
// Config.OnWarning.
//
// # Stages
//
// A runner that partitions the work (per node, per day) drives the stages
// itself, configured exactly as Build configures them. A Plan hands them
// out:
//
//   - parse and lineage: Plan.ParserConfig for tetraparse.New, then Parse,
//     which yields a set of files' raw batches after adding them to a
//     lineage.Graph; CutBatch splits a batch at the train/test cut;
//   - encode: Plan.NewEncoder, one per split, over the split's graph;
//   - label: Plan.Label;
//   - anonymize: Plan.NewAnonymizer, whose pipeline must observe every
//     partition before it applies to any (alias numbers depend on every
//     basename);
//   - write: Plan.NewShardWriter, one per split;
//   - datacard: Plan.NewCard, fed every batch as written and then the
//     shards' paths; WriteMarkdown and WriteDatasetCard render it;
//   - release: VerifyShards re-checks written shards, and VerifyFiles
//     every other file of the directory.
//
// Per-partition graphs, cards and anonymization observations are not
// merged by this package yet: a partitioned runner keeps one graph per
// host and observes every partition in one pipeline.
//
// # The dataset card
//
// README.md is what the Hugging Face Hub shows for a dataset repository.
// It opens with the Hub's YAML metadata, generated from data structures
// with a YAML library: the licence (Config.License, CC BY 4.0 by
// default), tags, the task category, the size category of the row count,
// and a config whose data_files list every shard of each split by name,
// so that a loader finds both splits without guessing. Its first lines
// then say whether the corpus is a release: a build that is not
// anonymized, whose exec-id pseudonyms use the built-in demo key, or
// whose policy lists no forbidden values says that it is not one (and is
// tagged not-a-release). The rest is generated too: the columns with
// their types, meanings, codes and hash capacities from the shards'
// schema and the feature definitions; intended use and limitations; the
// tables of datacard.md; how the corpus was built (tool version, schema,
// selection and line accounting, the anonymization policy's digest); the
// licence; and a citation to fill in. An anonymized build checks both
// cards, as written, like every other released file (VerifyFiles).
//
// # Parity
//
// The shards equal the reference pipeline's output cell for cell (the
// tests build the shared golden inputs through Build and compare every
// column of every row); the encoding itself is package encode's.
//
// # Concurrency and ownership
//
// A Plan is immutable and safe for concurrent use; Build may run it more
// than once, one build at a time per Out. What a Plan hands out (parser
// configuration, encoders, anonymizers, shard writers, cards) belongs to
// the caller, one per split or partition, and is not safe for concurrent
// use unless its documentation says so (a Card takes different splits
// concurrently). Build locks its output directory while it runs (a second
// build of the same Out refuses or, with Config.WaitForLock, waits), and
// Out holds a complete corpus at every instant, the old one or the new.
//
// # Cost
//
// A build uses every core (Config.Workers) and, with the command's soft
// memory limit of 1 GiB, about 1 GB of peak RSS for a million events;
// besides the spilled batches, what grows with the input is the lineage
// graph (about 50 bytes per process plus its strings). BENCHMARKS.md has
// the measured rates.
//
// # Format
//
// Shards are named <split>-00000-of-0000N.parquet (the Hugging Face layout),
// at most Config.ShardRows rows each, in row groups of Config.RowGroupRows:
// Parquet format 2.6 (event_time stays TIMESTAMP(NANOS, UTC)), version-1
// data pages, snappy, dictionary encoding except for the nearly unique
// int64 and timestamp columns, statistics, and the Arrow schema in the
// file metadata, with the schema version as a plain key-value entry
// (tetrahids.schema_version). An empty split still gets one shard with the
// schema. stats.json and the cards leave out of an anonymized build what
// could name people or hosts (input paths, the node name, sentinel labels,
// the content of unreadable lines, the policy file's name and where the
// full alias map went).
package corpus
