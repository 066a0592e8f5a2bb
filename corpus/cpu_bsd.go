//go:build unix && !linux

package corpus

// maxrssBytes converts getrusage's ru_maxrss (bytes on macOS and the BSDs).
func maxrssBytes(v int64) int64 { return v }
