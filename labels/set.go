package labels

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/tetrahids/tetrahids/internal/tstime"
)

// Names of the labels.csv columns this package reads.
const (
	ColStartTS       = "start_ts"
	ColEndTS         = "end_ts"
	ColTechniqueID   = "technique_id"
	ColTrial         = "trial"
	ColTactic        = "tactic"         // optional; enables per-tactic tables
	ColTechniqueName = "technique_name" // optional; shown in technique tables
)

// Window is one ATT&CK trial window of a labels file: events with
// Start <= t < End may be attacks of TechniqueID (see the package
// documentation for the exact rule).
type Window struct {
	// Start and End are nanoseconds since the epoch; the window is [Start, End).
	Start, End int64
	// TechniqueID is the ATT&CK technique (or chain) id, e.g. "T1059.004".
	TechniqueID string
	// Trial is the trial column, verbatim (usually "1", "2", ...).
	Trial string
	// Attrs holds the optional columns (tactic, technique_name, ...) by
	// header name, verbatim. It is shared with the Set: do not modify it.
	Attrs map[string]string
	// Line is the window's 1-based line in the labels file.
	Line int
}

// Tactic returns the window's tactic column, or "" if the file has none.
func (w Window) Tactic() string { return w.Attrs[ColTactic] }

// Overlap is a pair of overlapping windows, indices into [Set.Windows]
// with First < Second (so First starts no later than Second).
type Overlap struct {
	First, Second int
	// From and To delimit the time both windows cover: [From, To).
	From, To int64
}

// Set is a loaded, validated labels file, ready to label events. A Set is
// immutable and safe for concurrent use.
type Set struct {
	header  []string
	windows []Window // sorted by (Start, End, TechniqueID), then file order

	overlaps []Overlap

	// The windows flattened into constant-label segments: segment j is
	// [ext[j], ext[j+1]) and labels its events seg[j]. ext holds
	// math.MinInt64, the sorted distinct window starts and ends, and
	// math.MaxInt64 (whose own segment is the last one; the lookup's slow
	// path handles t == MaxInt64).
	ext []int64
	seg []int32

	// A bucket index over the boundaries, so that a lookup in arbitrary
	// order costs O(1) instead of a binary search: the span
	// [ext[1], ext[len-2]] is cut into buckets of 1<<shift ns, and
	// bucketLo[k] counts the boundaries at or before bucket k's start. A
	// time in bucket k is then in segment bucketLo[k] plus the number of
	// boundaries <= t among the (usually zero) that fall inside the bucket.
	bucketLo []int32
	shift    uint
}

// TechniqueIDPattern is the form a technique_id must have unless
// [WithTechniquePattern] says otherwise: an ATT&CK technique (T1083) or
// sub-technique (T1059.004), or a chain of the card's form (CHAIN.CAP01:
// upper-case letters, then digits). A free-text id (a note, a host name)
// would reach the shards' technique_id column and the data card.
const TechniqueIDPattern = `^(?:T[0-9]{4}(?:\.[0-9]{3})?|CHAIN\.[A-Z]{1,16}[0-9]{1,4})$`

var defaultTechniqueID = regexp.MustCompile(TechniqueIDPattern)

// LoadOption configures [Load] and [LoadFile].
type LoadOption func(*loadOptions)

type loadOptions struct {
	technique *regexp.Regexp // nil: any non-empty id
}

// WithTechniquePattern replaces [TechniqueIDPattern]: every technique_id
// must match re as a whole (anchor it with ^ and $; a match of part of
// the id is rejected). nil accepts any non-empty id, for labels of your
// own scheme that no release publishes.
func WithTechniquePattern(re *regexp.Regexp) LoadOption {
	return func(o *loadOptions) { o.technique = re }
}

// Load reads a labels file (CSV with a header) and validates it. On
// validation failure it returns a nil Set and every problem found, each a
// [*LineError], joined with errors.Join.
//
// Column names are matched after trimming spaces and a UTF-8 byte order
// mark; values are kept verbatim (times are parsed as they are, so a
// padded time is an error, as in the reference). Quotes are read leniently,
// as Python's csv module does. Blank lines are skipped. Every
// technique_id must match [TechniqueIDPattern] (see
// [WithTechniquePattern]).
func Load(r io.Reader, opts ...LoadOption) (*Set, error) {
	return load(r, "", opts)
}

// LoadFile is [Load] for a file; errors name the file and line.
func LoadFile(path string, opts ...LoadOption) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	return load(bufio.NewReader(f), path, opts)
}

// wholeMatch reports whether re matches all of s.
func wholeMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// ParseTime parses a time with the event-time rules, e.g. a train/test
// cut given on a command line. It returns an error wrapping [ErrBadTime].
func ParseTime(s string) (int64, error) {
	ns, ok := tstime.Parse(s)
	if !ok {
		return 0, fmt.Errorf("labels: %q: %w", s, ErrBadTime)
	}
	return ns, nil
}

func load(r io.Reader, name string, opts []LoadOption) (*Set, error) {
	o := loadOptions{technique: defaultTechniqueID}
	for _, f := range opts {
		f(&o)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // we check counts ourselves, to report lines
	cr.LazyQuotes = true
	cr.ReuseRecord = false

	lineErr := func(line int, col, val string, err error) *LineError {
		return &LineError{File: name, Line: line, Column: col, Value: val, Err: err}
	}
	readErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return lineErr(pe.StartLine, "", "", fmt.Errorf("%w: %w", ErrSyntax, pe.Err))
		}
		if name != "" {
			return fmt.Errorf("labels: reading %s: %w", name, err)
		}
		return fmt.Errorf("labels: reading: %w", err)
	}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, lineErr(1, "", "", fmt.Errorf("%w: empty file, no header", ErrMissingColumn))
	}
	if err != nil {
		return nil, readErr(err)
	}
	headerLine, _ := cr.FieldPos(0)

	var errs []error
	colIdx := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[i] = h
		if _, dup := colIdx[h]; dup {
			errs = append(errs, lineErr(headerLine, h, "", ErrDuplicateColumn))
			continue
		}
		colIdx[h] = i
	}
	for _, c := range []string{ColStartTS, ColEndTS, ColTechniqueID, ColTrial} {
		if _, ok := colIdx[c]; !ok {
			errs = append(errs, lineErr(headerLine, c, "", ErrMissingColumn))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	iStart, iEnd, iTech, iTrial := colIdx[ColStartTS], colIdx[ColEndTS], colIdx[ColTechniqueID], colIdx[ColTrial]
	var extra []int
	for i := range header {
		if i != iStart && i != iEnd && i != iTech && i != iTrial {
			extra = append(extra, i)
		}
	}

	type key struct{ tech, trial string }
	seen := make(map[key]int)
	var windows []Window
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, readErr(err))
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// encoding/csv cannot resynchronise after a syntax
				// error; stop but report what we have.
				break
			}
			return nil, errors.Join(errs...)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			errs = append(errs, lineErr(line, "", "",
				fmt.Errorf("%w: %d, header has %d", ErrFieldCount, len(rec), len(header))))
			continue
		}
		w := Window{TechniqueID: rec[iTech], Trial: rec[iTrial], Line: line}
		okRow := true
		start, ok1 := tstime.Parse(rec[iStart])
		if !ok1 {
			errs = append(errs, lineErr(line, ColStartTS, rec[iStart], ErrBadTime))
			okRow = false
		}
		end, ok2 := tstime.Parse(rec[iEnd])
		if !ok2 {
			errs = append(errs, lineErr(line, ColEndTS, rec[iEnd], ErrBadTime))
			okRow = false
		}
		if ok1 && ok2 && end <= start {
			errs = append(errs, lineErr(line, ColEndTS, rec[iEnd],
				fmt.Errorf("%w (start_ts %q)", ErrEmptyWindow, rec[iStart])))
			okRow = false
		}
		if w.TechniqueID == "" {
			errs = append(errs, lineErr(line, ColTechniqueID, "", ErrEmptyValue))
			okRow = false
		} else if o.technique != nil && !wholeMatch(o.technique, w.TechniqueID) {
			want := "want T1234, T1234.567 or CHAIN.NAME01"
			if o.technique != defaultTechniqueID {
				want = "want a match of " + o.technique.String()
			}
			errs = append(errs, lineErr(line, ColTechniqueID, w.TechniqueID, fmt.Errorf("%w: %s", ErrTechniqueID, want)))
			okRow = false
		}
		if w.Trial == "" {
			errs = append(errs, lineErr(line, ColTrial, "", ErrEmptyValue))
			okRow = false
		}
		if w.TechniqueID != "" && w.Trial != "" {
			k := key{w.TechniqueID, w.Trial}
			if first, dup := seen[k]; dup {
				e := lineErr(line, "", "", fmt.Errorf("%w: (%q, %q)", ErrDuplicateWindow, w.TechniqueID, w.Trial))
				e.FirstLine = first
				errs = append(errs, e)
				okRow = false
			} else {
				seen[k] = line
			}
		}
		if !okRow {
			continue
		}
		w.Start, w.End = start, end
		w.Attrs = make(map[string]string, len(extra))
		for _, i := range extra {
			w.Attrs[header[i]] = rec[i]
		}
		windows = append(windows, w)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(windows) > math.MaxInt32 {
		return nil, fmt.Errorf("labels: %d windows: %w", len(windows), ErrTooManyWindows)
	}
	return newSet(header, windows), nil
}

// newSet sorts the windows the way the reference does (Python's sort of
// (start_ns, end_ns, technique_id) tuples; stable, so identical keys keep
// file order) and builds the lookup tables.
func newSet(header []string, windows []Window) *Set {
	slices.SortStableFunc(windows, func(a, b Window) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(a.End, b.End); c != 0 {
			return c
		}
		return strings.Compare(a.TechniqueID, b.TechniqueID)
	})
	s := &Set{header: header, windows: windows}
	s.overlaps = findOverlaps(windows)
	s.buildSegments()
	return s
}

// findOverlaps sweeps the sorted windows keeping those still open.
func findOverlaps(ws []Window) []Overlap {
	var out []Overlap
	var open []int
	for j, w := range ws {
		kept := open[:0]
		for _, i := range open {
			if ws[i].End > w.Start {
				kept = append(kept, i)
			}
		}
		open = kept
		for _, i := range open {
			out = append(out, Overlap{First: i, Second: j, From: w.Start, To: min(ws[i].End, w.End)})
		}
		open = append(open, j)
	}
	return out
}

// buildSegments flattens the windows into constant-label segments. The
// label only changes at a window start or end, so evaluating the reference
// rule once at every boundary labels the whole segment that follows it.
func (s *Set) buildSegments() {
	bounds := make([]int64, 0, 2*len(s.windows))
	for _, w := range s.windows {
		bounds = append(bounds, w.Start, w.End)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)

	s.ext = make([]int64, 0, len(bounds)+2)
	s.ext = append(s.ext, math.MinInt64)
	s.ext = append(s.ext, bounds...)
	s.ext = append(s.ext, math.MaxInt64)

	starts := make([]int64, len(s.windows))
	for i, w := range s.windows {
		starts[i] = w.Start
	}
	s.seg = make([]int32, len(bounds)+1)
	s.seg[0] = Benign // before the earliest start
	for j, b := range bounds {
		s.seg[j+1] = s.reference(starts, b)
	}
	s.buildBuckets(bounds)
}

// maxBuckets caps the bucket index at 256 KiB.
const maxBuckets = 1 << 16

// buildBuckets sizes the buckets so that there are about 32 per boundary:
// then nearly every bucket holds no boundary at all, whatever the times'
// order. Boundaries far apart in time (one window in 1970, the rest in
// 2026) make buckets coarse; lookups stay correct and fall back to a binary
// search within the bucket.
func (s *Set) buildBuckets(bounds []int64) {
	m := len(bounds)
	if m < 2 {
		return // segment() never consults the buckets
	}
	first := bounds[0]
	span := uint64(bounds[m-1]) - uint64(first) // exact even across zero
	want := uint64(min(maxBuckets, 32*m))
	var shift uint
	for span>>shift >= want {
		shift++
	}
	nb := int(span>>shift) + 1
	s.shift = shift
	s.bucketLo = make([]int32, nb+1)
	for k := range nb {
		start := int64(uint64(first) + uint64(k)<<shift) // <= bounds[m-1]
		s.bucketLo[k] = int32(upper(bounds, start))
	}
	s.bucketLo[nb] = int32(m) // a superset of the last bucket's range
}

// reference is the reference rule, evaluated directly: the window with the
// largest start <= t, if t is before its end.
func (s *Set) reference(starts []int64, t int64) int32 {
	i := upper(starts, t) - 1
	if i >= 0 && t < s.windows[i].End {
		return int32(i)
	}
	return Benign
}

// Header returns the file's column names in file order.
func (s *Set) Header() []string { return slices.Clone(s.header) }

// HasColumn reports whether the file has the named column.
func (s *Set) HasColumn(name string) bool { return slices.Contains(s.header, name) }

// Len returns the number of windows.
func (s *Set) Len() int { return len(s.windows) }

// Windows returns the windows in label order: sorted by (Start, End,
// TechniqueID), ties in file order. Label results index this slice. The
// slice and the windows' Attrs are copies, the caller's to change.
func (s *Set) Windows() []Window {
	out := slices.Clone(s.windows)
	for i := range out {
		out[i].Attrs = maps.Clone(out[i].Attrs)
	}
	return out
}

// Window returns window i of [Set.Windows]; ok is false when i is out of
// range, in particular for [Benign], so a label result can be passed as is.
func (s *Set) Window(i int) (w Window, ok bool) {
	if i < 0 || i >= len(s.windows) {
		return Window{}, false
	}
	w = s.windows[i]
	w.Attrs = maps.Clone(w.Attrs)
	return w, true
}

// Overlaps returns every pair of windows that share some time. Overlaps
// are legal; see the package documentation for how they label events.
func (s *Set) Overlaps() []Overlap { return slices.Clone(s.overlaps) }
