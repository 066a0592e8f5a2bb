package anonymize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// AliasMapFormat is the "format" field of alias_map.json.
const AliasMapFormat = "tetrahids.alias_map"

// AliasMapVersion is the version of the alias_map.json layout.
const AliasMapVersion = 1

// AliasMap is the one map from original basenames to released aliases,
// shared by every basename column. It holds every basename seen,
// allowlisted ones included (as identity entries), so that the map alone
// defines the closure of released basenames.
//
// The map names the originals of custom binaries: treat alias_map.json
// like the corpus's raw data, and publish it only if those names are not
// secret. Checking a release needs only its closure.
//
// A map made for release by Pipeline.ReleaseAliasMap may hold redacted
// entries: the alias of an original that matched a forbidden value or
// pattern, keyed by a keyed digest of the original instead of the
// original (policy aliases.leaking_originals "redact"). They count in Len
// and Closure, not in Originals, Renamed or Lookup; such a map checks a
// release but cannot be extended (WithAliasMap refuses it: extend the
// full map, which names every original).
//
// The zero value is an empty map ready to use. An AliasMap is not safe for
// concurrent modification; a Pipeline hands out copies.
type AliasMap struct {
	m        map[string]string
	redacted map[string]string // digest → alias
}

// NewAliasMap returns an empty map.
func NewAliasMap() *AliasMap { return &AliasMap{m: map[string]string{}} }

// aliasMapJSON is the layout of alias_map.json. encoding/json writes map
// keys sorted, so the file is byte-for-byte reproducible.
type aliasMapJSON struct {
	Format  string            `json:"format"`
	Version int               `json:"version"`
	Aliases map[string]string `json:"aliases"`
	// Redacted holds the redacted entries, digest → alias; absent when
	// there are none, so that a map without them is what version 1 always
	// wrote.
	Redacted map[string]string `json:"redacted,omitempty"`
}

// LoadAliasMap reads an alias_map.json written by WriteTo or MarshalJSON.
// Unknown fields, another format or version, and empty originals or
// aliases are errors wrapping ErrAliasMap.
func LoadAliasMap(r io.Reader) (*AliasMap, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAliasMap, err)
	}
	m := &AliasMap{}
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return m, nil
}

// UnmarshalJSON reads the alias_map.json layout strictly.
func (m *AliasMap) UnmarshalJSON(data []byte) error {
	var doc aliasMapJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%w: %w", ErrAliasMap, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the document", ErrAliasMap)
	}
	if doc.Format != AliasMapFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrAliasMap, doc.Format, AliasMapFormat)
	}
	if doc.Version != AliasMapVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrAliasMap, doc.Version, AliasMapVersion)
	}
	for k, v := range doc.Aliases {
		if k == "" || v == "" {
			return fmt.Errorf("%w: empty original or alias (%q → %q)", ErrAliasMap, k, v)
		}
	}
	for k, v := range doc.Redacted {
		if !isDigestHex(k) || v == "" {
			return fmt.Errorf("%w: redacted entry %q → %q: want 32 lower-case hex digits and an alias", ErrAliasMap, k, v)
		}
	}
	if doc.Aliases == nil {
		doc.Aliases = map[string]string{}
	}
	m.m = doc.Aliases
	m.redacted = doc.Redacted
	if len(m.redacted) == 0 {
		m.redacted = nil
	}
	return nil
}

// isDigestHex reports whether s is 32 lower-case hex digits.
func isDigestHex(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// MarshalJSON writes the alias_map.json layout (keys sorted).
func (m *AliasMap) MarshalJSON() ([]byte, error) {
	return json.Marshal(m.doc())
}

func (m *AliasMap) doc() aliasMapJSON {
	doc := aliasMapJSON{Format: AliasMapFormat, Version: AliasMapVersion, Aliases: m.m, Redacted: m.redacted}
	if doc.Aliases == nil {
		doc.Aliases = map[string]string{}
	}
	return doc
}

// WriteTo writes alias_map.json, indented, with a final newline.
func (m *AliasMap) WriteTo(w io.Writer) (int64, error) {
	data, err := json.MarshalIndent(m.doc(), "", "  ")
	if err != nil {
		return 0, err
	}
	n, err := w.Write(append(data, '\n'))
	return int64(n), err
}

// Lookup returns the alias of an original basename.
func (m *AliasMap) Lookup(original string) (alias string, ok bool) {
	alias, ok = m.m[original]
	return alias, ok
}

// Len returns the number of entries in the map, redacted ones included.
func (m *AliasMap) Len() int { return len(m.m) + len(m.redacted) }

// Redacted returns the number of redacted entries.
func (m *AliasMap) Redacted() int { return len(m.redacted) }

// Originals returns the originals, sorted (not those of redacted entries).
func (m *AliasMap) Originals() []string { return slices.Sorted(maps.Keys(m.m)) }

// Closure returns the distinct aliases, sorted: the only values a released
// basename column may hold besides the empty string.
func (m *AliasMap) Closure() []string {
	all := slices.AppendSeq(slices.Collect(maps.Values(m.m)), maps.Values(m.redacted))
	slices.Sort(all)
	return slices.Compact(all)
}

// Renamed returns the originals whose alias differs from them (custom and
// collapsed binaries), sorted: the names that must not appear in a release.
func (m *AliasMap) Renamed() []string {
	var out []string
	for k, v := range m.m {
		if k != v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Clone returns an independent copy.
func (m *AliasMap) Clone() *AliasMap {
	if m == nil {
		return NewAliasMap()
	}
	c := maps.Clone(m.m)
	if c == nil {
		c = map[string]string{}
	}
	return &AliasMap{m: c, redacted: maps.Clone(m.redacted)}
}

func (m *AliasMap) set(original, alias string) {
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[original] = alias
}

// maxNumber returns the largest N of the aliases prefix+N (0 when none),
// so that an extended map continues after it.
func (m *AliasMap) maxNumber(prefix string) int {
	max := 0
	for v := range m.aliases() {
		digits, ok := strings.CutPrefix(v, prefix)
		if !ok || digits == "" {
			continue
		}
		n, err := strconv.Atoi(digits)
		if err == nil && n > max {
			max = n
		}
	}
	return max
}

// aliases yields every alias, of redacted entries too.
func (m *AliasMap) aliases() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, v := range m.m {
			if !yield(v) {
				return
			}
		}
		for _, v := range m.redacted {
			if !yield(v) {
				return
			}
		}
	}
}
