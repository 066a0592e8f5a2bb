// Package tstime parses Tetragon event timestamps with the reference
// pipeline's rules, so that every package of tetrahids (event times,
// process start times, sentinel bounds, label windows) agrees on them.
//
// The accepted form is an ISO 8601 date-time that ends in 'Z'. Up to nine
// fractional digits after the first '.' are kept (more are truncated, fewer
// are right-padded with zeros); the date-time part before the '.' is read
// the way Python 3.11's datetime.fromisoformat reads it (the subset that
// Tetragon and hand-written CSV files use: YYYY-MM-DD or YYYYMMDD, an
// optional one-character separator, HH[:MM[:SS]] or HHMM[SS], an optional
// ",fraction" and an optional UTC offset, which the reference discards in
// favour of UTC). Anything else is "unparseable", reported as ok == false.
package tstime

import "time"

// Parse returns the time as nanoseconds since the Unix epoch.
// ok is false when the string does not parse or does not fit in an int64.
func Parse(s string) (ns int64, ok bool) {
	return ParseBytes([]byte(s))
}

// ParseBytes is Parse for a byte slice; it does not allocate.
func ParseBytes(b []byte) (ns int64, ok bool) {
	n := len(b)
	if n == 0 || b[n-1] != 'Z' {
		return 0, false
	}
	secs, frac, ok := canonical(b)
	if !ok {
		secs, frac, ok = general(b[:n-1])
		if !ok {
			return 0, false
		}
	}
	const limit = (1<<63 - 1) / 1_000_000_000
	if secs > limit || secs < -limit {
		return 0, false
	}
	ns = secs*1_000_000_000 + frac
	if (frac > 0 && ns < secs*1_000_000_000) || (frac < 0 && ns > secs*1_000_000_000) {
		return 0, false
	}
	return ns, true
}

// canonical reads Tetragon's own form, YYYY-MM-DDTHH:MM:SS.fffffffffZ
// with a valid date and time, without the general reader's generality;
// ok is false for anything else (which general then reads). It returns
// what general returns for the same input.
func canonical(b []byte) (secs, frac int64, ok bool) {
	if len(b) != 30 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[29] != 'Z' {
		return 0, 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	f, ok7 := digits(b[20:29])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 ||
		year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, false
	}
	days := daysFromCivil(year, month, day)
	return days*86400 + int64(hour*3600+minute*60+sec), int64(f), true
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y ≥ 0 here: canonical years start at 0001
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}

// general reads every accepted form but for the final 'Z' (body): seconds
// since the epoch and the fraction in nanoseconds.
func general(body []byte) (secs, frac int64, ok bool) {
	datePart := body
	for i, c := range body {
		if c == '.' {
			datePart = body[:i]
			f, ok := parseFrac(body[i+1:])
			if !ok {
				return 0, 0, false
			}
			frac = f
			break
		}
	}
	secs, micros, ok := parseISO(datePart)
	if !ok {
		return 0, 0, false
	}
	// The reference computes int(dt.timestamp()): a float of seconds
	// (including any ",fraction" microseconds) truncated toward zero.
	if micros != 0 {
		f := float64(secs) + float64(micros)/1e6
		secs = int64(f)
	}
	return secs, frac, true
}

// parseFrac mirrors int(frac[:9].ljust(9, "0")) for ASCII input: optional
// surrounding spaces, an optional sign, digits with single underscores
// between them.
func parseFrac(f []byte) (int64, bool) {
	// Python slices code points, not bytes; for non-ASCII input int() fails
	// anyway except on Unicode digits, which we treat as unparseable.
	for _, c := range f {
		if c >= 0x80 {
			return 0, false
		}
	}
	if len(f) > 9 {
		f = f[:9]
	}
	var buf [9]byte
	copy(buf[:], f)
	for i := len(f); i < 9; i++ {
		buf[i] = '0'
	}
	s := buf[:]
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var v int64
	prevDigit := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			prevDigit = true
		case c == '_' && prevDigit && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			prevDigit = false
		default:
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseISO reads the date-time subset described in the package comment and
// returns seconds since the epoch (UTC) and microseconds from a ",fraction".
func parseISO(s []byte) (secs int64, micros int64, ok bool) {
	var year, month, day int
	switch {
	case len(s) >= 10 && s[4] == '-' && s[7] == '-':
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return 0, 0, false
		}
		year, month, day = y, m, d
		s = s[10:]
	case len(s) >= 8:
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[4:6])
		d, ok3 := digits(s[6:8])
		if !ok1 || !ok2 || !ok3 {
			return 0, 0, false
		}
		year, month, day = y, m, d
		s = s[8:]
	default:
		return 0, 0, false
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, 0, false
	}
	var hour, minute, sec int
	if len(s) > 0 {
		// One separator character (Python accepts any), then the time.
		s = s[1:]
		// Strip a trailing UTC offset: the reference replaces it with UTC.
		if i := offsetStart(s); i >= 0 {
			if !validOffset(s[i:]) {
				return 0, 0, false
			}
			s = s[:i]
		}
		if i := indexByte(s, ','); i >= 0 {
			fr := s[i+1:]
			s = s[:i]
			if len(fr) == 0 {
				return 0, 0, false
			}
			var us int64
			for j, c := range fr {
				if c < '0' || c > '9' {
					return 0, 0, false
				}
				if j < 6 {
					us = us*10 + int64(c-'0')
				}
			}
			for j := len(fr); j < 6; j++ {
				us *= 10
			}
			micros = us
		}
		var okT bool
		hour, minute, sec, okT = parseClock(s)
		if !okT {
			return 0, 0, false
		}
		if micros != 0 && len(s) != 8 && len(s) != 6 {
			return 0, 0, false
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	return t.Unix(), micros, true
}

func parseClock(s []byte) (h, m, sec int, ok bool) {
	var okH, okM, okS bool
	switch len(s) {
	case 2:
		h, okH = digits(s)
		okM, okS = true, true
	case 4:
		h, okH = digits(s[0:2])
		m, okM = digits(s[2:4])
		okS = true
	case 5:
		if s[2] != ':' {
			return 0, 0, 0, false
		}
		h, okH = digits(s[0:2])
		m, okM = digits(s[3:5])
		okS = true
	case 6:
		h, okH = digits(s[0:2])
		m, okM = digits(s[2:4])
		sec, okS = digits(s[4:6])
	case 8:
		if s[2] != ':' || s[5] != ':' {
			return 0, 0, 0, false
		}
		h, okH = digits(s[0:2])
		m, okM = digits(s[3:5])
		sec, okS = digits(s[6:8])
	default:
		return 0, 0, 0, false
	}
	if !okH || !okM || !okS || h > 23 || m > 59 || sec > 59 {
		return 0, 0, 0, false
	}
	return h, m, sec, true
}

func offsetStart(s []byte) int {
	for i, c := range s {
		if c == '+' || c == '-' || c == 'Z' {
			return i
		}
	}
	return -1
}

func validOffset(s []byte) bool {
	if len(s) == 1 && s[0] == 'Z' {
		return true
	}
	r := s[1:]
	switch len(r) {
	case 2:
		h, ok := digits(r)
		return ok && h < 24
	case 4:
		h, ok1 := digits(r[0:2])
		m, ok2 := digits(r[2:4])
		return ok1 && ok2 && h < 24 && m < 60
	case 5:
		h, ok1 := digits(r[0:2])
		m, ok2 := digits(r[3:5])
		return r[2] == ':' && ok1 && ok2 && h < 24 && m < 60
	}
	return false
}

func indexByte(s []byte, c byte) int {
	for i, x := range s {
		if x == c {
			return i
		}
	}
	return -1
}

func digits(s []byte) (int, bool) {
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
