//go:build unix

package anonymize

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used:
// the benchmarks report rows per CPU-second next to rows per wall-second,
// because the machine they run on is shared and wall time then measures
// the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
