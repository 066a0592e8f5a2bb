package score

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/examples/live/internal/state"
)

// ErrHeld is wrapped by the errors about a damaged "held" section.
var ErrHeld = errors.New("score: malformed held lines")

// writerTo makes a WriteTo-shaped method a Section's data.
type writerTo func(io.Writer) (int64, error)

func (f writerTo) WriteTo(w io.Writer) (int64, error) { return f(w) }

// Sections returns the state to checkpoint: the graph, the encoder's
// per-process times, the n-gram's contexts and the lines of the events
// held back, as of the last line processed.
func (p *Processor) Sections() []state.Section {
	secs := []state.Section{
		{Name: SectionLineage, Data: p.graph},
		{Name: SectionEncoder, Data: writerTo(p.enc.WriteProcessState)},
	}
	if p.scorer != nil {
		secs = append(secs, state.Section{Name: SectionScorer, Data: p.scorer})
	}
	if len(p.held) > 0 || p.cfg.HoldBack > 0 {
		secs = append(secs, state.BytesSection(SectionHeld, p.heldBytes()))
	}
	return secs
}

// heldBytes encodes the held lines in arrival order: a version byte 1, a
// uvarint count, then each line as a uvarint length and its bytes.
func (p *Processor) heldBytes() []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(p.held)))
	for _, seq := range slices.Sorted(maps.Keys(p.held)) {
		b = binary.AppendUvarint(b, uint64(len(p.held[seq])))
		b = append(b, p.held[seq]...)
	}
	return b
}

// decodeHeld reads what heldBytes wrote, and nothing else (varints in
// their shortest form); no line may be longer than max.
func decodeHeld(b []byte, max int) ([][]byte, error) {
	if len(b) == 0 || b[0] != 1 {
		return nil, fmt.Errorf("%w: unknown version", ErrHeld)
	}
	b = b[1:]
	n, k := uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: count", ErrHeld)
	}
	b = b[k:]
	lines := make([][]byte, 0, n)
	for range n {
		l, k := uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) || max > 0 && l > uint64(max) {
			return nil, fmt.Errorf("%w: line %d", ErrHeld, len(lines)+1)
		}
		lines = append(lines, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the lines", ErrHeld, len(b))
	}
	return lines, nil
}

// uvarint is binary.Uvarint refusing (k = 0) a value not in its shortest
// form.
func uvarint(b []byte) (uint64, int) {
	v, k := binary.Uvarint(b)
	if k > 0 && k != len(binary.AppendUvarint(nil, v)) {
		return 0, 0
	}
	return v, k
}

// Restore loads a checkpoint's state. A missing section (a checkpoint of
// the input path alone, or of a service without hold-back) leaves that
// part as New made it; a damaged one is an error. The n-gram contexts of
// another model are not used: the scorer starts empty, and the log says
// so. Held lines are taken again, so they are held again (or, without
// hold-back now, released at the next Process or Flush).
func (p *Processor) Restore(cp *state.Checkpoint) error {
	section := func(name string, read func(io.Reader) error) error {
		sr, err := cp.Section(name)
		if errors.Is(err, state.ErrNoSection) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := read(sr); err != nil {
			return fmt.Errorf("score: section %s: %w", name, err)
		}
		return nil
	}
	err := section(SectionLineage, func(r io.Reader) error { _, err := p.graph.ReadFrom(r); return err })
	if err == nil {
		err = section(SectionEncoder, func(r io.Reader) error { _, err := p.enc.ReadProcessState(r); return err })
	}
	if err == nil && p.ngram != nil {
		err = section(SectionScorer, func(r io.Reader) error {
			s, err := p.ngram.RestoreScorer(r, baseline.MaxProcesses(bound(p.cfg.MaxProcesses)))
			if errors.Is(err, baseline.ErrModelMismatch) {
				p.log.Warn("the checkpoint's n-gram contexts are another model's: starting without them", "err", err)
				return nil
			}
			if err == nil {
				p.scorer = s
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	b, err := cp.Bytes(SectionHeld)
	if errors.Is(err, state.ErrNoSection) {
		return nil
	}
	if err != nil {
		return err
	}
	lines, err := decodeHeld(b, p.cfg.Parser.MaxLineBytes)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := p.take(line, &p.pending); err != nil {
			return err
		}
	}
	if len(lines) > 0 {
		p.log.Info("events held back at the checkpoint are held again", "events", len(lines), "still held", len(p.held))
	}
	return nil
}

// bound turns Config.MaxProcesses into the library's bound (0: none).
func bound(n int) int {
	switch {
	case n == 0:
		return DefaultMaxProcesses
	case n < 0:
		return 0
	}
	return n
}
