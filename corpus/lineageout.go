package corpus

import (
	"fmt"
	"io"
	"os"
)

// writeLineage writes the lineage graph as it is now (every train row,
// no test row) to a temporary file beside Config.LineageOut, mode 0600,
// which Build renames into place once the corpus is; a failed build
// removes it. It does nothing without LineageOut.
func (b *builder) writeLineage() error {
	if b.lineage == "" {
		return nil
	}
	if b.lineageTmp != "" { // the graph grows: replace the earlier file
		os.Remove(b.lineageTmp)
		b.lineageTmp = ""
	}
	tmp, err := writePrivate(b.lineage, func(w io.Writer) error {
		_, err := b.graph.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("lineage graph: %w", err)
	}
	b.lineageTmp = tmp
	return nil
}
