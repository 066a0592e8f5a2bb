package anonymize

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxCheckedSize is the largest JSON document, and the longest line of
// text or CSV record, Verifier.VerifyFile reads (JSON is read whole, to
// tell an alias map from other documents). Release metadata is far
// smaller; anything larger is refused rather than half checked.
const MaxCheckedSize = 64 << 20

// VerifyFile checks a released file that is not a Parquet shard (shards
// are checked batch by batch with Verify): stats, the data card, labels,
// the alias map, any text. name is the file's path within the release:
// messages name it, and its extension picks the format.
//
//   - .json: every member name, string and number, located by its JSON
//     path and line. In an alias map (format tetrahids.alias_map) every
//     original is also checked as an entry, and reported by its alias
//     (aliases[original of custom_tool_003]), so the message does not
//     print it. A document equal byte for byte to the feature definitions
//     of the Verifier's schema passes whole: it is the library's own
//     public document, and its address ranges (10.0.0.0/8, fe80::/10)
//     would match the address patterns.
//   - .csv: every field (header included), located by line and column.
//   - any other name: every line, as text (Markdown, a README, a version
//     file).
//
// Each value gets the batches' scan: forbidden values and their base64
// spellings, rewritten path prefixes, the policy's patterns, and base64
// decodings. Alias originals are not looked for as words: the alias map
// publishes them, and prose would match them (a custom tool called
// "train"). A leak is a *LeakError naming the file, the line and the CSV
// column or JSON key; content that cannot be checked (binary, not UTF-8,
// malformed JSON or CSV, too large) is an error wrapping ErrFileFormat.
func (v *Verifier) VerifyFile(name string, r io.Reader) error {
	v.refresh()
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(4); string(head) == "PAR1" {
		return fileFormatError(name, 0, "a Parquet file: check its batches with Verify")
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return v.verifyJSON(name, br)
	case ".csv":
		return v.verifyCSV(name, br)
	case ".parquet", ".arrow", ".gz", ".zst", ".zip":
		return fileFormatError(name, 0, "binary: check its content, not the file")
	}
	return v.verifyText(name, br)
}

func fileFormatError(name string, line int, problem string) error {
	if line > 0 {
		return fmt.Errorf("%w: %s:%d: %s", ErrFileFormat, name, line, problem)
	}
	return fmt.Errorf("%w: %s: %s", ErrFileFormat, name, problem)
}

// checkText reports text that cannot be scanned as text.
func checkText(name string, line int, b []byte) error {
	if !utf8.Valid(b) {
		return fileFormatError(name, line, "not UTF-8")
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return fileFormatError(name, line, "holds NUL bytes (binary)")
	}
	return nil
}

// fileLeak scans one value of a file; nil or a *LeakError located by loc.
func (v *Verifier) fileLeak(s string, loc LeakError) error {
	check, pattern, b64, bad := v.scan(s, false)
	if !bad {
		return nil
	}
	loc.Row, loc.Check, loc.Pattern, loc.Base64 = -1, check, pattern, b64
	return &loc
}

func (v *Verifier) verifyText(name string, br *bufio.Reader) error {
	var long []byte
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, b...)
			if len(long) > MaxCheckedSize {
				return fileFormatError(name, line, "line too long to check")
			}
			b, err = br.ReadSlice('\n')
		}
		if long != nil {
			b = append(long, b...)
			long = long[:0:0]
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("anonymize: reading %s: %w", name, err)
		}
		if len(b) > 0 {
			if ferr := checkText(name, line, b); ferr != nil {
				return ferr
			}
			text := strings.TrimRight(string(b), "\r\n")
			if leak := v.fileLeak(text, LeakError{File: name, Line: line}); leak != nil {
				return leak
			}
		}
		if err != nil {
			return nil
		}
	}
}

func (v *Verifier) verifyCSV(name string, br *bufio.Reader) error {
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var header []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fileFormatError(name, pe.StartLine, pe.Err.Error())
			}
			return fmt.Errorf("anonymize: reading %s: %w", name, err)
		}
		for i, field := range rec {
			line, _ := cr.FieldPos(i)
			if len(field) > MaxCheckedSize {
				return fileFormatError(name, line, "field too long to check")
			}
			if ferr := checkText(name, line, []byte(field)); ferr != nil {
				return ferr
			}
			loc := LeakError{File: name, Line: line}
			if header != nil && i < len(header) {
				loc.Column = header[i] // scanned clean already
			}
			if leak := v.fileLeak(field, loc); leak != nil {
				return leak
			}
		}
		if header == nil {
			header = append([]string{}, rec...)
		}
	}
}

func (v *Verifier) verifyJSON(name string, br *bufio.Reader) error {
	data, err := io.ReadAll(io.LimitReader(br, MaxCheckedSize+1))
	if err != nil {
		return fmt.Errorf("anonymize: reading %s: %w", name, err)
	}
	if len(data) > MaxCheckedSize {
		return fileFormatError(name, 0, "too large to check")
	}
	if len(v.defsDoc) > 0 && bytes.Equal(data, v.defsDoc) {
		return nil
	}
	if at := invalidAt(data); at < len(data) {
		return fileFormatError(name, 1+bytes.Count(data[:at], []byte{'\n'}), "not UTF-8 text, or NUL bytes (binary)")
	}
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && head.Format == AliasMapFormat {
		if err := v.verifyAliasMapDoc(name, data); err != nil {
			return err
		}
	}
	return v.walkJSON(name, data)
}

// invalidAt returns the offset of the first byte that makes data not
// text (invalid UTF-8 or NUL), or len(data).
func invalidAt(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == 0 || (r == utf8.RuneError && n == 1) {
			return i
		}
		i += n
	}
	return len(data)
}

// verifyAliasMapDoc checks every original of an alias map: none may match
// a forbidden value or pattern (Pipeline.ReleaseAliasMap redacts or
// refuses them).
func (v *Verifier) verifyAliasMapDoc(name string, data []byte) error {
	m, err := LoadAliasMap(bytes.NewReader(data))
	if err != nil {
		return fileFormatError(name, 0, err.Error())
	}
	for _, o := range m.Originals() {
		a, _ := m.Lookup(o)
		if err := v.checkOriginal(name, o, a); err != nil {
			return err
		}
	}
	return nil
}

// checkOriginal scans an alias-map original; the leak is named by the
// entry's alias.
func (v *Verifier) checkOriginal(file, original, alias string) error {
	return v.fileLeak(original, LeakError{File: file, Key: "aliases[original of " + alias + "]"})
}

// jsonLevel is one open object or array of walkJSON.
type jsonLevel struct {
	object  bool
	path    string // of the object or array itself
	members int    // members (object) or elements (array) seen
	key     string // path of the value to come (object)
	wantKey bool
}

// walkJSON scans every member name, string and number of a JSON
// document.
func (v *Verifier) walkJSON(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []jsonLevel
	lineAt := func() int { return 1 + bytes.Count(data[:dec.InputOffset()], []byte{'\n'}) }
	// valuePath returns the path of the value being read, and advances
	// the enclosing array.
	valuePath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := &stack[len(stack)-1]
		if top.object {
			top.wantKey = true
			return top.key
		}
		p := top.path + "[" + strconv.Itoa(top.members) + "]"
		top.members++
		return p
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return fileFormatError(name, lineAt(), "truncated JSON")
			}
			return nil
		}
		if err != nil {
			return fileFormatError(name, lineAt(), err.Error())
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
			top := &stack[len(stack)-1]
			if key, ok := tok.(string); ok {
				top.members++
				top.wantKey = false
				if leak := v.fileLeak(key, LeakError{File: name, Line: lineAt(), Key: top.path + "{#" + strconv.Itoa(top.members) + "}"}); leak != nil {
					return leak
				}
				top.key = joinKey(top.path, key)
				continue
			}
			// A '}' ends the object.
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				p := valuePath()
				stack = append(stack, jsonLevel{object: t == '{', path: p, wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if leak := v.fileLeak(t, LeakError{File: name, Line: lineAt(), Key: valuePath()}); leak != nil {
				return leak
			}
		case json.Number:
			if leak := v.fileLeak(string(t), LeakError{File: name, Line: lineAt(), Key: valuePath()}); leak != nil {
				return leak
			}
		default: // true, false, null
			valuePath()
		}
	}
}

// joinKey appends a member name to a JSON path.
func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
