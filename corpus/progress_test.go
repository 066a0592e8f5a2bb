package corpus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestReportStrings checks the one-line renderings of Progress and
// Result, plurals included.
func TestReportStrings(t *testing.T) {
	t.Parallel()
	p := Progress{Stage: StageParse, Split: "all", Rows: 42, Bytes: 1e6, TotalBytes: 2e6, Elapsed: 2 * time.Second}
	assert.Equal(t, "parse all    42 events  21 events/s  0.5 MB/s  0:02 elapsed  ETA 0:02", p.String())
	p = Progress{Stage: StageEncode, Split: "test", Rows: 1500, TotalRows: 1500, Elapsed: time.Second, Done: true}
	assert.Equal(t, "encode test  1,500/1,500 rows  1,500 rows/s  0:01 elapsed", p.String())

	r := &Result{Out: "/data/corpus", Anonymized: true, Lines: 1, InputBytes: 1e6, OutBytes: 3e5, Elapsed: time.Second,
		Splits: []SplitResult{{Name: "train", Rows: 1, Shards: []string{"a"}}, {Name: "test", Rows: 2000, Shards: []string{"a", "b"}}}}
	assert.Equal(t, "wrote /data/corpus (train 1 row in 1 shard, test 2,000 rows in 2 shards; anonymized, 0.3 MB) from 1 line (1.0 MB) in 1.0 s: 1 events/s, 1.0 MB/s", r.String())
}
