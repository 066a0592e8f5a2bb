package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// writeLineage writes the lineage graph as it is now (every train row,
// no test row) to a temporary file beside Config.LineageOut, mode 0600,
// which Build renames into place once the corpus is; a failed build
// removes it. It does nothing without LineageOut.
func (b *builder) writeLineage() error {
	if b.lineage == "" {
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(b.lineage), "."+filepath.Base(b.lineage)+".tmp-")
	if err != nil {
		return fmt.Errorf("lineage graph: %w", err)
	}
	b.lineageTmp = f.Name()
	bw := bufio.NewWriterSize(f, 1<<20)
	_, err = b.graph.WriteTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o600) // CreateTemp's mode already; said again because it matters
	}
	if err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("lineage graph %s: %w", b.lineage, err)
	}
	return nil
}
