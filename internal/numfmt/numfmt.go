// Package numfmt renders numbers for people, as the dataset card does:
// counts with thousands separators and durations on a clock.
package numfmt

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Group renders n with thousands separators: 1234567 is "1,234,567".
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Clock renders a duration, rounded to the second, as m:ss or h:mm:ss.
func Clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Count renders n and the noun in its number, with thousands separators:
// Count(1, "row", "rows") is "1 row", Count(1500, "row", "rows") is
// "1,500 rows".
func Count(n int64, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return Group(n) + " " + plural
}
