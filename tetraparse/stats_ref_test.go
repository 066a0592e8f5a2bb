package tetraparse

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// readReferenceStats returns the reference parser's counters of a golden
// run's stats.json.
func readReferenceStats(t *testing.T, path string) map[string]int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		ParserStats map[string]int64 `json:"parser_stats"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	return doc.ParserStats
}
