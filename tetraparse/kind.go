package tetraparse

// Kind is the kind of a Tetragon event: the name of the envelope field that
// holds its body (the oneof of GetEventsResponse in Tetragon's events.proto).
type Kind uint8

// The event kinds of Tetragon 1.6. Only Exec, Exit and Kprobe reach the raw
// table; the others are recognized so that statistics can name them.
const (
	KindUnknown Kind = iota
	KindExec
	KindExit
	KindKprobe
	KindTracepoint
	KindLoader
	KindUprobe
	KindThrottle
	KindLsm
	KindUsdt
	KindTest
	KindRateLimitInfo
	numKinds
)

var kindNames = [numKinds]string{
	KindUnknown:       "unknown",
	KindExec:          "process_exec",
	KindExit:          "process_exit",
	KindKprobe:        "process_kprobe",
	KindTracepoint:    "process_tracepoint",
	KindLoader:        "process_loader",
	KindUprobe:        "process_uprobe",
	KindThrottle:      "process_throttle",
	KindLsm:           "process_lsm",
	KindUsdt:          "process_usdt",
	KindTest:          "test",
	KindRateLimitInfo: "rate_limit_info",
}

// Kinds returns every event kind, KindUnknown first.
func Kinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// String returns the envelope field name, such as "process_exec".
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Kept reports whether events of this kind can reach the raw table.
func (k Kind) Kept() bool { return k == KindExec || k == KindExit || k == KindKprobe }

func kindOf(name string) Kind {
	for k := KindExec; k < numKinds; k++ {
		if kindNames[k] == name {
			return k
		}
	}
	return KindUnknown
}
