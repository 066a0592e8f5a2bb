package schemadoc

// Tables holds the lookup tables behind the encoder's derived values.
type Tables struct {
	ActionFamily     EventMap             `json:"action_family"`
	ObjectCategory   EventMap             `json:"object_category"`
	PathCategory     PathCategoryTable    `json:"path_category"`
	PathSensitivity  PathSensitivityTable `json:"path_sensitivity"`
	DstIPCategory    IPCategoryTable      `json:"dst_ip_category"`
	DstPortCategory  PortCategoryTable    `json:"dst_port_category"`
	Token            TokenFormat          `json:"token"`
	ParentChildPair  PairFormat           `json:"parent_child_pair"`
	Lineage          LineageLimits        `json:"lineage"`
	CwdNormalization CwdNormalization     `json:"cwd_normalization"`
}

// EventMap maps (event_type, kprobe function) to a label.
type EventMap struct {
	ProcessExec string `json:"process_exec"`
	ProcessExit string `json:"process_exit"`
	// Kprobe maps a kprobe function name to a label.
	Kprobe map[string]string `json:"kprobe"`
	// KprobeOther labels a kprobe event whose function is not in Kprobe;
	// empty means Other.
	KprobeOther string `json:"kprobe_other,omitempty"`
	// NullEvent labels a row without event_type; empty means Other.
	NullEvent string `json:"null_event,omitempty"`
	// Other labels every other event type.
	Other string `json:"other"`
}

// Resolve returns the label of an event. eventType == nil means null.
func (m *EventMap) Resolve(eventType *string, kprobeFunction string) string {
	if eventType == nil {
		if m.NullEvent != "" {
			return m.NullEvent
		}
		return m.Other
	}
	switch *eventType {
	case "process_exec":
		return m.ProcessExec
	case "process_exit":
		return m.ProcessExit
	case "process_kprobe":
		if l, ok := m.Kprobe[kprobeFunction]; ok {
			return l
		}
		if m.KprobeOther != "" {
			return m.KprobeOther
		}
	}
	return m.Other
}

// PathRule is one labelled rule of a path table. A path matches when it
// contains one of Contains, starts with one of Prefixes, or (with ProcPidDir)
// matches ^/proc/[0-9]+/ without starting with /proc/self/.
type PathRule struct {
	Label      string   `json:"label"`
	Contains   []string `json:"contains,omitempty"`
	Prefixes   []string `json:"prefixes,omitempty"`
	ProcPidDir bool     `json:"proc_pid_dir,omitempty"`
}

// PathCategoryTable is the behaviour builder's path category: substring
// matching in priority order, with First checked before Rules.
type PathCategoryTable struct {
	Input       string     `json:"input"`
	KprobePaths []string   `json:"kprobe_paths"`
	Empty       string     `json:"empty"`
	First       PathRule   `json:"first"`
	Rules       []PathRule `json:"rules"`
	Default     string     `json:"default"`
}

// PathSensitivityTable is the feature builder's path sensitivity: prefix
// (and substring) matching in priority order.
type PathSensitivityTable struct {
	Empty      string     `json:"empty"`
	Rules      []PathRule `json:"rules"`
	Default    string     `json:"default"`
	ProcPidDir string     `json:"proc_pid_dir"`
}

// IPCategoryTable categorizes destination addresses by CIDR lists in order.
type IPCategoryTable struct {
	Input       string   `json:"input"`
	Empty       string   `json:"empty"`
	Unparseable string   `json:"unparseable"`
	Default     string   `json:"default"`
	Rules       []IPRule `json:"rules"`
}

// IPRule is one labelled CIDR list. IPv4Mapped says how an IPv4-mapped IPv6
// address (::ffff:a.b.c.d) is judged: "ipv4" (by the embedded IPv4 address
// against IPv4) or "ipv6" (as an IPv6 address against IPv6), following
// Python 3.11's ipaddress.
type IPRule struct {
	Label      string   `json:"label"`
	IPv4       []string `json:"ipv4"`
	IPv6       []string `json:"ipv6"`
	IPv4Mapped string   `json:"ipv4_mapped"`
}

// PortCategoryTable categorizes destination ports by rules in order.
type PortCategoryTable struct {
	Input   string      `json:"input"`
	Null    string      `json:"null"`
	Rules   []LabelRule `json:"rules"`
	Default string      `json:"default"`
}

// LabelRule is a bucket rule that yields a label instead of a code.
type LabelRule struct {
	Label  string    `json:"label"`
	Equals []float64 `json:"equals,omitempty"`
	Min    *float64  `json:"min,omitempty"`
	Below  *float64  `json:"below,omitempty"`
}

// Matches reports whether v falls in the rule, as [Rule.Matches] does.
func (r *LabelRule) Matches(v float64) bool { return matches(r.Equals, r.Min, r.Below, v) }

// TokenFormat is the canonical event-token format. The first entry whose
// Action equals, or whose ActionPrefix starts, the action family applies; an
// entry with neither is the fallback. Placeholders: {action}, {proc},
// {parent}, {path_category}, {dst_ip_category}, {dst_port_category}. An empty
// basename is written as Unknown, an empty category as None.
type TokenFormat struct {
	Unknown string      `json:"unknown"`
	None    string      `json:"none"`
	Formats []TokenRule `json:"formats"`
}

// TokenRule is one entry of TokenFormat.
type TokenRule struct {
	Action       string `json:"action,omitempty"`
	ActionPrefix string `json:"action_prefix,omitempty"`
	Format       string `json:"format"`
}

// PairFormat is the parent→child pair format ({parent}, {child}).
type PairFormat struct {
	Format             string `json:"format"`
	EmptyWhenBothEmpty bool   `json:"empty_when_both_empty"`
}

// LineageLimits bounds the lineage walk.
type LineageLimits struct {
	// MaxDepth caps the reported depth.
	MaxDepth int `json:"max_depth"`
	// MaxSteps is the walk length treated as a cycle.
	MaxSteps int `json:"max_steps"`
}

// CwdNormalization describes proc_cwd_normalized.
type CwdNormalization struct {
	// Lowercase names the case mapping: "python_str_lower" (full Unicode
	// lower-casing as Python's str.lower).
	Lowercase     string `json:"lowercase"`
	TrailingSlash bool   `json:"trailing_slash"`
}

// Extraction is the per-kprobe argument extraction table.
type Extraction struct {
	// FunctionMatch is "exact": the function name must equal an entry
	// (quirk syscall_arch_prefix_unmatched).
	FunctionMatch string            `json:"function_match"`
	Functions     []ExtractFunction `json:"functions"`
}

// ExtractFunction lists the kp_* columns one kprobe function fills.
type ExtractFunction struct {
	Function string `json:"function"`
	// Source is the event field the arguments come from: "args" (or
	// "return", a one-element list of the return value).
	Source string         `json:"source"`
	Fields []ExtractField `json:"fields"`
}

// ExtractField fills one kp_* column.
//
// Select picks the argument: {"arg": N} is args[N] when it is an object;
// {"first_with_kind": true} is the first object argument holding one of
// Kinds; {"numeric": N} is the N-th successfully converted value among the
// object arguments, each contributing its first present kind. Within the
// picked argument the first present kind of Kinds wins (even when its value
// then fails to convert). Member is a dotted path inside the kind's value.
// KindOptional treats an absent kind as an empty object.
//
// Convert is one of: int (Python int(): numbers, booleans, numeric strings;
// failure gives null), number (a JSON number or a numeric string, as is),
// string, text (a string, or a number's decimal text), truthy (Python
// truthiness), string_list (a list of strings, empty when absent), and
// string_or_path (a string kind's string, or a file kind's path).
type ExtractField struct {
	Column       string   `json:"column"`
	Select       Selector `json:"select"`
	Kinds        []string `json:"kinds"`
	Member       string   `json:"member,omitempty"`
	Convert      string   `json:"convert"`
	KindOptional bool     `json:"kind_optional,omitempty"`
}

// Selector picks an argument; exactly one field is set.
type Selector struct {
	Arg           *int `json:"arg,omitempty"`
	FirstWithKind bool `json:"first_with_kind,omitempty"`
	Numeric       *int `json:"numeric,omitempty"`
}

// Function returns the extraction entry for a kprobe function name.
func (e *Extraction) Function(name string) (*ExtractFunction, bool) {
	for i := range e.Functions {
		if e.Functions[i].Function == name {
			return &e.Functions[i], true
		}
	}
	return nil, false
}
