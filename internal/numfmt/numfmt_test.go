package numfmt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000", -999999: "-999,999"} {
		assert.Equal(t, want, Group(n), "%d", n)
	}
}

func TestClock(t *testing.T) {
	assert.Equal(t, "0:00", Clock(0))
	assert.Equal(t, "0:59", Clock(59*time.Second))
	assert.Equal(t, "1:01", Clock(61400*time.Millisecond))
	assert.Equal(t, "1:01:01", Clock(time.Hour+time.Minute+time.Second))
}

func TestCount(t *testing.T) {
	assert.Equal(t, "1 row", Count(1, "row", "rows"))
	assert.Equal(t, "0 rows", Count(0, "row", "rows"))
	assert.Equal(t, "1,500 directory entries", Count(1500, "directory entry", "directory entries"))
}
