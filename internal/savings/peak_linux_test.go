//go:build linux

package savings

import "syscall"

// peakRSS is the process's largest resident set so far, what GNU time reports as its maximum resident set size.
func peakRSS() (bytes float64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	// Linux counts it in KiB.
	return float64(ru.Maxrss) * 1024, true
}
