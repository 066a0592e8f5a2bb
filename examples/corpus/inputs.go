package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// inputSet is one list of input files: "train", "test", or "all" (split
// by the cut).
type inputSet struct {
	name  string
	files []string
	bytes int64 // total size on disk, for progress and throughput
}

// expandInputs turns -in style arguments into files with
// tetraparse.Inputs (directories become their rotated files, oldest
// first) and sums their sizes.
func expandInputs(name string, args []string) (inputSet, error) {
	set := inputSet{name: name}
	if len(args) == 0 {
		return set, nil
	}
	files, err := tetraparse.Inputs(args...)
	if err != nil {
		return set, err
	}
	if len(files) == 0 {
		return set, fmt.Errorf("%s inputs %q: no files", name, args)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return set, err
		}
		set.bytes += fi.Size()
	}
	set.files = files
	return set, nil
}

// countingReader counts the bytes read through it into n (shared with the
// progress meter) and, when lines is set, the newlines.
type countingReader struct {
	r     io.Reader
	n     *progressCounter
	lines bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		if c.lines {
			c.n.lines.Add(int64(bytes.Count(p[:n], []byte{'\n'})))
		} else {
			c.n.bytes.Add(int64(n))
		}
	}
	return n, err
}

// openCounted opens a file for the parser: bytes read from disk and lines
// decoded are counted for the progress meter; ".gz" names are gunzipped as
// tetraparse.Parser.Files does.
func openCounted(path string, pc *progressCounter) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	var r io.Reader = &countingReader{r: f, n: pc}
	closeFn := func() { f.Close() }
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		r = zr
		closeFn = func() { zr.Close(); f.Close() }
	}
	return &countingReader{r: r, n: pc, lines: true}, closeFn, nil
}

// item is one element of a file's output: a batch or the file's error.
type item struct {
	rec arrow.RecordBatch
	err error
}

// parseFiles parses files in file order and calls fn with every batch,
// which is released when fn returns (Retain to keep it).
//
// In file order it runs the files itself through Parser.Records rather
// than Parser.Files, so that it can count the bytes read for the progress
// meter's ETA: up to workers files are parsed in parallel, each into its
// own small channel, consumed in file order (memory is bounded by workers
// × 3 batches). It returns the number of files read to the end, which
// Records, unlike Files, does not count in the parser's Stats. In time
// order it uses Parser.Files, whose external sort needs every file first.
//
// The first error — a file that cannot be opened or read to the end, or an
// error from fn — stops everything and is returned.
func parseFiles(ctx context.Context, p *tetraparse.Parser, files []string, workers int, order tetraparse.Order,
	pc *progressCounter, fn func(arrow.RecordBatch) error) (filesRead int64, err error) {
	if order == tetraparse.TimeOrder {
		for rec, err := range p.Files(files) {
			if err != nil {
				return 0, err
			}
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			pc.rows.Add(rec.NumRows())
			if err := fn(rec); err != nil {
				return 0, err
			}
		}
		st := p.Stats()
		return st.FilesRead, nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]chan item, len(files))
	for i := range out {
		out[i] = make(chan item, 2)
	}
	done := make(chan struct{})
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher: starts files in order as workers free up
		defer wg.Done()
		for i, path := range files {
			select {
			case sem <- struct{}{}:
			case <-done:
				for _, ch := range out[i:] {
					close(ch)
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				parseOne(p, path, pc, out[i], done)
			}()
		}
	}()
	defer func() {
		close(done)
		// Drain, so that workers blocked on a send finish and their
		// batches are released.
		for _, ch := range out {
			for it := range ch {
				if it.rec != nil {
					it.rec.Release()
				}
			}
		}
		wg.Wait()
	}()
	for _, ch := range out {
		for it := range ch {
			if it.err != nil {
				return filesRead, it.err
			}
			if err := ctx.Err(); err != nil {
				it.rec.Release()
				return filesRead, err
			}
			pc.rows.Add(it.rec.NumRows())
			err := fn(it.rec)
			it.rec.Release()
			if err != nil {
				return filesRead, err
			}
		}
		filesRead++
	}
	return filesRead, nil
}

// parseOne parses one file into ch and closes it.
func parseOne(p *tetraparse.Parser, path string, pc *progressCounter, ch chan<- item, done <-chan struct{}) {
	defer close(ch)
	send := func(it item) bool {
		select {
		case ch <- it:
			return true
		case <-done:
			if it.rec != nil {
				it.rec.Release()
			}
			return false
		}
	}
	r, closeFn, err := openCounted(path, pc)
	if err != nil {
		send(item{err: &tetraparse.FileError{File: path, Err: err}})
		return
	}
	defer closeFn()
	for rec, err := range p.Records(r, path) {
		if err != nil {
			var fe *tetraparse.FileError
			if errors.As(err, &fe) {
				fe.File = path // Records names the base name; the user wants the path
			}
			send(item{err: err})
			return
		}
		rec.Retain()
		if !send(item{rec: rec}) {
			return
		}
	}
}

// inputLabel names an input set's files for messages: the directory or
// file when there is one, else the count.
func inputLabel(set inputSet) string {
	if len(set.files) == 1 {
		return set.files[0]
	}
	dir := filepath.Dir(set.files[0])
	for _, f := range set.files[1:] {
		if filepath.Dir(f) != dir {
			return fmt.Sprintf("%d files", len(set.files))
		}
	}
	return fmt.Sprintf("%s (%d files)", dir, len(set.files))
}
