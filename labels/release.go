package labels

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"time"
)

// ReleaseColumns returns the labels.csv columns a release publishes, in
// the order it writes them: the four required columns, then the optional
// tactic and technique_name that this package documents and the card
// tabulates. Any other column of a labels file (free-text notes, an
// operator's comments) stays out of a release, whatever it holds.
func ReleaseColumns() []string {
	return []string{ColStartTS, ColEndTS, ColTechniqueID, ColTrial, ColTactic, ColTechniqueName}
}

// WriteRelease writes the set as the labels.csv of a release: a header of
// the [ReleaseColumns] the file had, in that order, then one row per
// window in file order, times in RFC 3339 in UTC with milli-, micro- or
// nanoseconds as they need (2026-04-19T21:48:02.650Z, the card's form,
// reading back to the same nanosecond), the other values as loaded.
// Loading the result gives the same windows, labels and tables.
//
// The technique ids were checked when the set was loaded
// ([TechniqueIDPattern]); the tactic, technique_name and trial values are
// free text, so the release's leak checks (package anonymize) read the
// written file like every other released file.
func (s *Set) WriteRelease(w io.Writer) error {
	var cols []string
	for _, c := range ReleaseColumns() {
		if s.HasColumn(c) {
			cols = append(cols, c)
		}
	}
	ws := slices.Clone(s.windows)
	slices.SortStableFunc(ws, func(a, b Window) int { return cmp.Compare(a.Line, b.Line) })
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return fmt.Errorf("labels: writing the release: %w", err)
	}
	rec := make([]string, len(cols))
	for _, win := range ws {
		for i, c := range cols {
			switch c {
			case ColStartTS:
				rec[i] = releaseTime(win.Start)
			case ColEndTS:
				rec[i] = releaseTime(win.End)
			case ColTechniqueID:
				rec[i] = win.TechniqueID
			case ColTrial:
				rec[i] = win.Trial
			default:
				rec[i] = win.Attrs[c]
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("labels: writing the release: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("labels: writing the release: %w", err)
	}
	return nil
}

// releaseTime formats a window bound with the fewest of three fixed
// fraction widths that hold it exactly.
func releaseTime(ns int64) string {
	t := time.Unix(0, ns).UTC()
	switch {
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}
