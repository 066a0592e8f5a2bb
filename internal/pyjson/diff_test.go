package pyjson

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDifferentialPython compares Valid and AppendCompact with CPython's
// json module (testdata/oracle.py, one python3 process) on seeded random
// inputs: generated JSON-ish documents, some mutated, plus arrays of random
// float64 values to exercise float.__repr__ and literals next to the
// midpoint of two floats to exercise correct rounding.
func TestDifferentialPython(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against python3 skipped in -short mode")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	// PYJSON_DIFF_SEED and PYJSON_DIFF_N select another seed and number of
	// random documents, for longer runs by hand.
	seed, n := uint64(20260419), 5000
	if v, err := strconv.ParseUint(os.Getenv("PYJSON_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("PYJSON_DIFF_N")); err == nil && v > 0 {
		n = v
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 7))}
	var inputs [][]byte
	for range n {
		inputs = append(inputs, g.document())
	}
	g.clean = true
	for range n / 4 {
		inputs = append(inputs, g.document())
	}
	g.clean = false
	nRandom := len(inputs)
	for range 2000 {
		inputs = append(inputs, g.floatArray())
	}
	for range 600 {
		inputs = append(inputs, g.halfway())
	}
	nFloat := len(inputs) - nRandom
	// A few deep but Python-acceptable nestings.
	for _, d := range []int{100, 500, 900} {
		inputs = append(inputs, []byte(strings.Repeat("[", d)+strings.Repeat("]", d)))
		inputs = append(inputs, []byte(strings.Repeat(`{"a":`, d)+"1"+strings.Repeat("}", d)))
	}

	results, err := runOracle(py, inputs)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	mismatches := 0
	report := func(in []byte, format string, args ...any) {
		mismatches++
		if mismatches <= 25 {
			t.Errorf("input %q: %s", truncate(in), fmt.Sprintf(format, args...))
		}
	}
	for k, in := range inputs {
		res := results[k]
		counts[res.kind]++
		verr := Valid(in)
		out, cerr := AppendCompact([]byte("prefix"), in)
		if (verr == nil) != (cerr == nil) || (verr != nil && verr.Error() != cerr.Error()) {
			report(in, "Valid error %v but AppendCompact error %v", verr, cerr)
			continue
		}
		if res.kind == "OK" {
			c := compactor{data: in, mark: skipWS(in, 0)}
			if _, err := c.value(c.mark); err == errDuplicateKey {
				counts["OK with duplicate keys"]++ // took the slow path
			}
			if verr != nil {
				report(in, "python accepts, Valid: %v", verr)
				continue
			}
			if got := string(out[len("prefix"):]); got != res.text || string(out[:len("prefix")]) != "prefix" {
				report(in, "AppendCompact = %q, python %q", truncate(out), truncate([]byte(res.text)))
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(verr, &se) {
			report(in, "python fails (%s %d %q), Valid accepts", res.kind, res.off, res.text)
			continue
		}
		switch res.kind {
		case "J":
			if se.Msg != res.text || se.Offset != res.off || se.PythonException() != "JSONDecodeError" {
				report(in, "Valid = %v, python JSONDecodeError %q at byte %d", se, res.text, res.off)
			}
		case "U":
			if se.Msg != msgUTF8 || se.Offset != res.off {
				report(in, "Valid = %v, python UnicodeDecodeError at byte %d", se, res.off)
			}
		case "V":
			if se.Msg != res.text || se.PythonException() != "ValueError" {
				report(in, "Valid = %v, python ValueError %q", se, res.text)
			}
		case "R":
			report(in, "python RecursionError %q, Valid = %v", res.text, se)
		default:
			report(in, "oracle failure %s %q", res.kind, res.text)
		}
	}
	t.Logf("%d inputs (%d random documents, %d float arrays and near-halfway floats, 6 deep): python results %v; %d mismatches",
		len(inputs), nRandom, nFloat, counts, mismatches)
	if counts["OK"] < len(inputs)/3 || counts["J"] < len(inputs)/10 || counts["U"] == 0 || counts["V"] == 0 {
		t.Errorf("generator lost its balance: %v", counts)
	}
}

func truncate(b []byte) []byte {
	if len(b) > 300 {
		return append(b[:300:300], "..."...)
	}
	return b
}

type oracleResult struct {
	kind string
	off  int
	text string
}

// runOracle feeds all inputs to one python3 process running
// testdata/oracle.py and parses its answers.
func runOracle(py string, inputs [][]byte) ([]oracleResult, error) {
	cmd := exec.Command(py, "testdata/oracle.py")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		w := bufio.NewWriter(stdin)
		var h [4]byte
		for _, in := range inputs {
			binary.LittleEndian.PutUint32(h[:], uint32(len(in)))
			w.Write(h[:])
			w.Write(in)
		}
		w.Flush()
		stdin.Close()
	}()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var results []oracleResult
	for sc.Scan() {
		var rec [3]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("oracle output %q: %v", sc.Text(), err)
		}
		kind, _ := rec[0].(string)
		off, _ := rec[1].(float64)
		text, _ := rec[2].(string)
		results = append(results, oracleResult{kind, int(off), text})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("python3 oracle: %v: %s", err, stderr.String())
	}
	if len(results) != len(inputs) {
		return nil, fmt.Errorf("oracle answered %d of %d inputs: %s", len(results), len(inputs), stderr.String())
	}
	return results, nil
}

// gen produces seeded random JSON-ish documents.
type gen struct {
	r     *rand.Rand
	b     []byte
	clean bool // generate only valid JSON (favouring duplicate keys)
}

func (g *gen) pick(options ...string) string { return options[g.r.IntN(len(options))] }

func (g *gen) document() []byte {
	g.b = g.b[:0]
	if g.r.IntN(4) == 0 {
		g.ws()
	}
	switch g.r.IntN(10) {
	case 0, 1, 2, 3:
		g.object(0)
	case 4, 5, 6:
		g.array(0)
	default:
		g.value(0)
	}
	if g.r.IntN(4) == 0 {
		g.ws()
	}
	if g.clean {
		return append([]byte(nil), g.b...)
	}
	if g.r.IntN(20) == 0 { // trailing garbage / second value
		g.b = append(g.b, g.pick(" 1", "x", ",", "]", "}", " {}", `"`, "\x00")...)
	}
	out := append([]byte(nil), g.b...)
	if g.r.IntN(100) < 35 {
		for m := 1 + g.r.IntN(3); m > 0; m-- {
			out = g.mutate(out)
		}
	}
	return out
}

func (g *gen) ws() {
	switch g.r.IntN(12) {
	case 0, 1, 2, 3, 4:
	case 5, 6:
		g.b = append(g.b, ' ')
	case 7, 8:
		for k := g.r.IntN(4); k >= 0; k-- {
			g.b = append(g.b, g.pick(" ", "\t", "\n", "\r", "  ")...)
		}
	case 9:
		g.b = append(g.b, g.pick(" ", "\n", "\r\n")...)
	case 10:
		g.b = append(g.b, "\t "...)
	case 11:
		if !g.clean && g.r.IntN(8) == 0 { // not JSON whitespace
			g.b = append(g.b, g.pick("\v", "\f", "\u00a0", "\u2028", "\x1c", "\u3000", "\ufeff")...)
		}
	}
}

func (g *gen) value(depth int) {
	k := g.r.IntN(100)
	if depth >= 6 {
		k = 30 + g.r.IntN(70)
	}
	switch {
	case k < 15:
		g.object(depth)
	case k < 30:
		g.array(depth)
	case k < 60:
		g.str(false)
	case k < 88:
		g.number()
	default:
		g.literal()
	}
}

func (g *gen) array(depth int) {
	g.b = append(g.b, '[')
	n := g.r.IntN(6)
	g.ws()
	for e := 0; e < n; e++ {
		if e > 0 {
			g.ws()
			g.b = append(g.b, ',')
			g.ws()
		}
		g.value(depth + 1)
	}
	g.ws()
	g.b = append(g.b, ']')
}

// keyGroups are sets of spellings of the same Python string, so that
// objects get duplicate keys, also in disguise.
var keyGroups = [][]string{
	{"a", `\u0061`},
	{"b"},
	{"int_arg"},
	{"file_arg"},
	{"path", `p\u0061th`, `\u0070ath`},
	{"é", `\u00e9`, `\u00E9`},
	{"😀", `\ud83d\ude00`, `\uD83D\uDE00`, `\ud83d\uDE00`},
	{"x/y", `x\/y`},
	{`\n`, `\u000a`, `\u000A`},
	{""},
	{`\ud800`, `\uD800`},
	{`\udc00`},
	{`\ud800A`, `\ud800\u0041`},
	{`\"`, `\u0022`},
	{"\u007f", `\u007f`},
	{"日本"},
}

func (g *gen) object(depth int) {
	g.b = append(g.b, '{')
	n := g.r.IntN(7)
	g.ws()
	for e := 0; e < n; e++ {
		if e > 0 {
			g.ws()
			g.b = append(g.b, ',')
			g.ws()
		}
		if g.r.IntN(4) == 0 {
			g.str(true)
		} else {
			grp := keyGroups[g.r.IntN(len(keyGroups))]
			if g.r.IntN(2) == 0 { // favour a few groups: more duplicates
				grp = keyGroups[g.r.IntN(5)]
			}
			g.b = append(g.b, '"')
			g.b = append(g.b, grp[g.r.IntN(len(grp))]...)
			g.b = append(g.b, '"')
		}
		g.ws()
		g.b = append(g.b, ':')
		g.ws()
		g.value(depth + 1)
	}
	g.ws()
	g.b = append(g.b, '}')
}

func (g *gen) randRune() rune {
	switch g.r.IntN(4) {
	case 0:
		return rune(0x80 + g.r.IntN(0x780))
	case 1:
		for {
			r := rune(0x800 + g.r.IntN(0xf800))
			if r < 0xd800 || r > 0xdfff {
				return r
			}
		}
	case 2:
		return rune(0x10000 + g.r.IntN(0x100000))
	default:
		return []rune{0xfeff, 0x2028, 0x2029, 0xfffd, 0xffff, 0x10ffff, 0xa0, 0x85, 0x1f600}[g.r.IntN(9)]
	}
}

func (g *gen) hex4(v int) {
	s := fmt.Sprintf("%04x", v)
	if g.r.IntN(2) == 0 {
		s = strings.ToUpper(s)
	}
	g.b = append(g.b, `\u`+s...)
}

func (g *gen) str(key bool) {
	g.b = append(g.b, '"')
	n := g.r.IntN(8)
	if key {
		n = g.r.IntN(3)
	}
	for p := 0; p < n; p++ {
		k := g.r.IntN(100)
		if g.clean && k >= 88 && k < 96 {
			k = 0
		}
		switch {
		case k < 40:
			for m := g.r.IntN(12); m >= 0; m-- {
				c := byte(0x20 + g.r.IntN(0x5f))
				if c == '"' || c == '\\' {
					c = 'q'
				}
				g.b = append(g.b, c)
			}
		case k < 50:
			g.b = append(g.b, g.pick(`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`)...)
		case k < 58:
			g.hex4(g.r.IntN(0x10000))
		case k < 62:
			g.hex4(g.r.IntN(0x80))
		case k < 68: // surrogates, paired or not
			switch g.r.IntN(5) {
			case 0:
				g.hex4(0xd800 + g.r.IntN(0x400))
				g.hex4(0xdc00 + g.r.IntN(0x400))
			case 1:
				g.hex4(0xd800 + g.r.IntN(0x400))
			case 2:
				g.hex4(0xdc00 + g.r.IntN(0x400))
			case 3:
				g.hex4(0xdc00 + g.r.IntN(0x400))
				g.hex4(0xd800 + g.r.IntN(0x400))
			case 4:
				g.hex4(0xd800 + g.r.IntN(0x400))
				g.hex4(g.r.IntN(0x10000))
			}
		case k < 82:
			g.b = utf8.AppendRune(g.b, g.randRune())
		case k < 85:
			g.b = append(g.b, 0x7f)
		case k < 88:
			g.b = append(g.b, g.pick("/home/u/x.css", "-rw-r--r--", "C:\\\\x", "a b", "'")...)
		case k < 91: // invalid: raw control character
			g.b = append(g.b, byte(g.r.IntN(0x20)))
		case k < 94: // invalid escapes
			g.b = append(g.b, g.pick(`\x`, `\U0041`, `\'`, `\u12`, `\u12g4`, `\a`, `\0`, `\ `)...)
		case k < 96: // invalid UTF-8
			g.b = append(g.b, g.pick("\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x80")...)
		default:
			g.b = append(g.b, g.pick("\u00e9", "日本語", "\U0001F600", "\u0085")...)
		}
	}
	if g.clean || g.r.IntN(60) != 0 {
		g.b = append(g.b, '"')
	}
}

func (g *gen) digits(n int, first bool) {
	for k := 0; k < n; k++ {
		c := byte('0' + g.r.IntN(10))
		if k == 0 && first && c == '0' {
			c = '1'
		}
		g.b = append(g.b, c)
	}
}

func (g *gen) number() {
	k := g.r.IntN(100)
	if g.clean && k >= 84 {
		k = 0
	}
	switch {
	case k < 20:
		if g.r.IntN(3) == 0 {
			g.b = append(g.b, '-')
		}
		if g.r.IntN(5) == 0 {
			g.b = append(g.b, '0')
		} else {
			g.digits(1+g.r.IntN(25), true)
		}
	case k < 45: // general float syntax
		if g.r.IntN(3) == 0 {
			g.b = append(g.b, '-')
		}
		if g.r.IntN(4) == 0 {
			g.b = append(g.b, '0')
		} else {
			g.digits(1+g.r.IntN(20), true)
		}
		if g.r.IntN(3) != 0 {
			g.b = append(g.b, '.')
			g.digits(1+g.r.IntN(20), false)
		}
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, g.pick("e", "E", "e+", "e-", "E+", "E-")...)
			g.digits(1+g.r.IntN(3), false)
		}
	case k < 65: // random float64, formatted in assorted ways
		f := math.Float64frombits(g.r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(40)-20))
		}
		switch g.r.IntN(4) {
		case 0:
			g.b = strconv.AppendFloat(g.b, f, 'g', -1, 64)
		case 1:
			g.b = strconv.AppendFloat(g.b, f, 'e', 16, 64)
		case 2:
			g.b = strconv.AppendFloat(g.b, f, 'e', g.r.IntN(25), 64)
		default:
			g.b = strconv.AppendFloat(g.b, g.r.Float64()*math.Pow(10, float64(g.r.IntN(30)-10)), 'f', -1, 64)
		}
	case k < 80:
		g.b = append(g.b, g.pick("0", "-0", "0.0", "-0.0", "0e0", "-0E-0", "1e400", "-1e400", "1e-400",
			"-1e-400", "1e16", "1e15", "9999999999999999.0", "1e-4", "1e-5", "0.0001", "0.00001",
			"1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "5e-324",
			"2.4703282292062327e-324", "2.4703282292062328e-324", "4.9e-324", "2.2250738585072011e-308",
			"0.1", "0.3", "100", "1E2", "123456789012345678e-3", "9007199254740993", "9007199254740993.0",
			"1e22", "1e23", "1e21", "1.0e+0015", "-9.999999999999999e15", "1e99999999999999999999",
			"1e-99999999999999999999", "0.000000000000000000000000000001e30")...)
	case k < 84: // long mantissas
		g.digits(1+g.r.IntN(5), true)
		g.b = append(g.b, '.')
		g.digits(50+g.r.IntN(900), false)
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, 'e')
			g.b = strconv.AppendInt(g.b, int64(g.r.IntN(700)-350), 10)
		}
	case k < 86: // integer digit limit
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, '-')
		}
		g.digits(MaxIntDigits-1+g.r.IntN(3), true)
		if g.r.IntN(4) == 0 {
			g.b = append(g.b, ".5"...)
		}
	default: // not numbers, or not quite
		g.b = append(g.b, g.pick("01", "-01", "1.", ".5", "+1", "1e", "1e+", "1E-", "--1", "1.e5", "0x1",
			"-", "1.5.", "1e5e5", "00", "-.5", "1_000", "１", "0.", "-a")...)
	}
}

func (g *gen) literal() {
	if !g.clean && g.r.IntN(6) == 0 {
		g.b = append(g.b, g.pick("nul", "True", "nan", "-NaN", "infinity", "-Inf", "nulll", "tru", "FALSE", "Nan", "+Infinity")...)
		return
	}
	g.b = append(g.b, g.pick("true", "false", "null", "NaN", "Infinity", "-Infinity")...)
}

var mutationBytes = []byte("{}[],:\"\\ \t\n\r0123456789-+.eEtnfNIu/\x00\x1f\x7f\x80\xbf\xc3\xe2\xed\xf0\xff")

func (g *gen) mutate(b []byte) []byte {
	if len(b) == 0 {
		return append(b, mutationBytes[g.r.IntN(len(mutationBytes))])
	}
	p := g.r.IntN(len(b))
	switch g.r.IntN(6) {
	case 0: // delete
		return append(b[:p:p], b[p+1:]...)
	case 1: // insert
		out := append(b[:p:p], mutationBytes[g.r.IntN(len(mutationBytes))])
		return append(out, b[p:]...)
	case 2: // replace
		b[p] = mutationBytes[g.r.IntN(len(mutationBytes))]
		return b
	case 3: // truncate
		return b[:p]
	case 4: // duplicate a chunk
		q := p + g.r.IntN(min(16, len(b)-p)+1)
		out := append(b[:q:q], b[p:q]...)
		return append(out, b[q:]...)
	default: // swap two bytes
		q := g.r.IntN(len(b))
		b[p], b[q] = b[q], b[p]
		return b
	}
}

// floatArray is an array of random float64 values written with 17
// significant digits or shortest form, all of which Python parses.
func (g *gen) floatArray() []byte {
	b := []byte{'['}
	for k := 0; k < 5; k++ {
		if k > 0 {
			b = append(b, ',')
		}
		var f float64
		switch g.r.IntN(3) {
		case 0:
			f = math.Float64frombits(g.r.Uint64())
		case 1:
			f = math.Float64frombits(g.r.Uint64() & 0x800fffffffffffff) // subnormals
		default:
			f = float64(g.r.IntN(1000000)) * math.Pow(10, float64(g.r.IntN(46)-23))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 1.5
		}
		if g.r.IntN(2) == 0 {
			b = strconv.AppendFloat(b, f, 'e', 16, 64)
		} else {
			start := len(b)
			b = strconv.AppendFloat(b, f, 'g', -1, 64)
			if !strings.ContainsAny(string(b[start:]), ".e") {
				b = append(b, ".0"...) // keep it a float for Python
			}
		}
	}
	return append(b, ']')
}

// halfway writes a float literal at, just above or just below the exact
// midpoint between a random float64 and its successor, with hundreds of
// digits, to check correct rounding of long literals.
func (g *gen) halfway() []byte {
	var f float64
	switch g.r.IntN(3) {
	case 0:
		f = math.Float64frombits(g.r.Uint64() >> 1)
	case 1:
		f = math.Float64frombits(g.r.Uint64() & 0x000fffffffffffff) // subnormal
	default:
		f = float64(g.r.IntN(1 << 20))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f == math.MaxFloat64 {
		f = 1.5
	}
	next := math.Nextafter(f, math.Inf(1))
	mid := new(big.Float).SetPrec(4096).SetFloat64(f)
	mid.Add(mid, new(big.Float).SetPrec(4096).SetFloat64(next))
	mid.Quo(mid, big.NewFloat(2))
	text := mid.Text('e', 1200) // exact: the expansion is finite
	mant, exp, _ := strings.Cut(text, "e")
	mant = strings.TrimRight(mant, "0")
	switch g.r.IntN(3) {
	case 1: // just above
		mant += strings.Repeat("0", g.r.IntN(900)) + "1"
	case 2: // just below: decrement the last digit, append nines
		last := mant[len(mant)-1]
		if last > '0' && last <= '9' {
			mant = mant[:len(mant)-1] + string(last-1) + strings.Repeat("9", 1+g.r.IntN(900))
		}
	}
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	return []byte("[" + mant + "e" + exp + "]")
}
