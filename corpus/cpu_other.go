//go:build !unix

package corpus

import "time"

// cpuTime is unknown on this platform.
func cpuTime() time.Duration { return 0 }

// peakRSS is unknown on this platform.
func peakRSS() int64 { return 0 }
