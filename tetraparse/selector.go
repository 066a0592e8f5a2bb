package tetraparse

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Selector picks the events of one target: a PID namespace, a Kubernetes
// pod or workload, a container. Every field that is set must match (the
// zero value of a field matches anything, and a Selector with no field set
// is an error). Config.Select keeps an event when any of its selectors
// matches it.
//
// Selectors read the process block of the event (not its parent).
// Tetragon writes pod metadata only with its Kubernetes integration, and
// namespaces only with process namespaces enabled (--enable-process-ns);
// a field an event does not carry never matches.
type Selector struct {
	// PIDNamespace is the inum of the process's PID namespace
	// (process.ns.pid.inum).
	PIDNamespace uint64
	// PodNamespace and PodName are the Kubernetes namespace and name of
	// the process's pod (process.pod.namespace, process.pod.name), compared
	// exactly. Pods of a Deployment have generated names: select those by
	// label.
	PodNamespace, PodName string
	// PodLabels must all be labels of the pod with these values
	// (process.pod.pod_labels); the pod's other labels do not matter.
	PodLabels map[string]string
	// ContainerID is the id of the process's container, with or without
	// the runtime's prefix ("containerd://", "docker://", "cri-o://"), at
	// least 12 characters (the short form docker ps shows). It is compared
	// with process.pod.container.id and process.docker (which Tetragon
	// truncates) without their prefixes: they match when one is a prefix
	// of the other and the shorter has at least 12 characters.
	ContainerID string
}

// ErrSelector reports a malformed selector.
var ErrSelector = errors.New("tetraparse: invalid selector")

// The terms of a selector's text form, in String's order.
const (
	termPIDNamespace = "pid-ns"
	termPodNamespace = "pod-namespace"
	termPodName      = "pod-name"
	termPodLabel     = "pod-label"
	termContainerID  = "container-id"
)

// minContainerID is the length of docker's short container id.
const minContainerID = 12

// ParseSelector reads a selector's text form: comma-separated terms
//
//	pid-ns=<inum>
//	pod-namespace=<namespace>
//	pod-name=<name>
//	pod-label=<key>=<value>   (repeatable, one label each)
//	container-id=<id>
//
// such as "pod-namespace=shop,pod-label=app=cart". White space around a
// term is ignored; values hold no white space, ',' or '=' (Kubernetes
// names and labels cannot), and only a label value may be empty. Each term
// but pod-label appears at most once. Selector.String writes this form
// back.
func ParseSelector(text string) (Selector, error) {
	var s Selector
	seen := map[string]bool{}
	bad := func(format string, args ...any) (Selector, error) {
		return Selector{}, fmt.Errorf("%w %q: %s", ErrSelector, text, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(text) == "" {
		return bad("no term (want terms such as pod-namespace=NAME, see ParseSelector)")
	}
	for i, term := range strings.Split(text, ",") {
		term = strings.TrimSpace(term)
		name, value, ok := strings.Cut(term, "=")
		if !ok {
			return bad("term %d %q is not name=value", i+1, term)
		}
		if seen[name] && name != termPodLabel {
			return bad("term %s given twice", name)
		}
		seen[name] = true
		if value == "" && name != termPodLabel {
			return bad("term %s has no value", name)
		}
		switch name {
		case termPIDNamespace:
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil || n == 0 || value[0] == '+' {
				return bad("%s=%q is not a PID-namespace inum (a positive decimal number)", name, value)
			}
			s.PIDNamespace = n
		case termPodNamespace:
			s.PodNamespace = value
		case termPodName:
			s.PodName = value
		case termContainerID:
			s.ContainerID = value
		case termPodLabel:
			k, v, ok := strings.Cut(value, "=")
			if !ok {
				return bad("%s=%q is not key=value", name, value)
			}
			if _, dup := s.PodLabels[k]; dup {
				return bad("label %q given twice", k)
			}
			if s.PodLabels == nil {
				s.PodLabels = map[string]string{}
			}
			s.PodLabels[k] = v
		default:
			return bad("unknown term %q (want %s, %s, %s, %s or %s)", name, termPIDNamespace, termPodNamespace, termPodName, termPodLabel, termContainerID)
		}
	}
	if err := s.check(); err != nil {
		return bad("%v", err)
	}
	return s, nil
}

// check validates a selector: at least one field set, and every value
// writable in the text form.
func (s Selector) check() error {
	if s.PIDNamespace == 0 && s.PodNamespace == "" && s.PodName == "" && len(s.PodLabels) == 0 && s.ContainerID == "" {
		return errors.New("no field is set: it would select every event")
	}
	for _, f := range []struct{ name, v string }{
		{termPodNamespace, s.PodNamespace}, {termPodName, s.PodName}, {termContainerID, s.ContainerID},
	} {
		if err := checkValue(f.v); err != nil {
			return fmt.Errorf("%s %q: %v", f.name, f.v, err)
		}
	}
	if s.ContainerID != "" && len(stripRuntime(s.ContainerID)) < minContainerID {
		return fmt.Errorf("%s %q: give at least %d characters of the id", termContainerID, s.ContainerID, minContainerID)
	}
	for k, v := range s.PodLabels {
		if k == "" {
			return errors.New("a pod label has an empty key")
		}
		if err := checkValue(k); err != nil {
			return fmt.Errorf("pod label key %q: %v", k, err)
		}
		if err := checkValue(v); err != nil {
			return fmt.Errorf("pod label %s value %q: %v", k, v, err)
		}
	}
	return nil
}

// checkValue accepts what the text form can carry: UTF-8 without white
// space, control characters, ',' and '='.
func checkValue(v string) error {
	if !utf8.ValidString(v) {
		return errors.New("not UTF-8")
	}
	for _, r := range v {
		if r == ',' || r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("holds %q", r)
		}
	}
	return nil
}

// String writes the selector in ParseSelector's form, terms in a fixed
// order and labels sorted by key.
func (s Selector) String() string {
	var terms []string
	if s.PIDNamespace != 0 {
		terms = append(terms, termPIDNamespace+"="+strconv.FormatUint(s.PIDNamespace, 10))
	}
	if s.PodNamespace != "" {
		terms = append(terms, termPodNamespace+"="+s.PodNamespace)
	}
	if s.PodName != "" {
		terms = append(terms, termPodName+"="+s.PodName)
	}
	for _, k := range slices.Sorted(maps.Keys(s.PodLabels)) {
		terms = append(terms, termPodLabel+"="+k+"="+s.PodLabels[k])
	}
	if s.ContainerID != "" {
		terms = append(terms, termContainerID+"="+s.ContainerID)
	}
	return strings.Join(terms, ",")
}

// needsK8s reports whether the selector reads process.pod or process.docker.
func (s *Selector) needsK8s() bool {
	return s.PodNamespace != "" || s.PodName != "" || len(s.PodLabels) > 0 || s.ContainerID != ""
}

// Match reports whether the event's process matches the selector (the
// zero Selector matches every event with a process block). An event
// without a process block matches nothing. Decode fills every field Match
// reads.
func (s *Selector) Match(ev *Event) bool {
	return ev.Process != nil && s.match(ev.Process, stripRuntime(s.ContainerID))
}

// match tests p; id is the selector's container id without its prefix.
func (s *Selector) match(p *Process, id string) bool {
	if s.PIDNamespace != 0 {
		pid := &p.NS.PID
		if !pid.Inum.Valid || pid.Inum.Value != s.PIDNamespace {
			return false
		}
	}
	if !s.needsK8s() {
		return true
	}
	pod := &p.Pod.Value
	if s.PodNamespace != "" && (!p.Pod.Valid || pod.Namespace != s.PodNamespace) {
		return false
	}
	if s.PodName != "" && (!p.Pod.Valid || pod.Name != s.PodName) {
		return false
	}
	for k, v := range s.PodLabels {
		if got, ok := pod.Label(k); !p.Pod.Valid || !ok || got != v {
			return false
		}
	}
	if id != "" {
		ok := p.Pod.Valid && sameContainer(stripRuntime(pod.ContainerID), id)
		if !ok && p.Docker.Valid {
			ok = sameContainer(stripRuntime(p.Docker.Value), id)
		}
		if !ok {
			return false
		}
	}
	return true
}

// sameContainer compares container ids without prefixes: Tetragon
// truncates process.docker, users give short or full ids.
func sameContainer(got, want string) bool {
	if len(got) < minContainerID {
		return false
	}
	return strings.HasPrefix(got, want) || strings.HasPrefix(want, got)
}

// stripRuntime removes a container runtime's "name://" prefix.
func stripRuntime(id string) string {
	if i := strings.Index(id, "://"); i >= 0 {
		return id[i+3:]
	}
	return id
}

// selection is a Parser's compiled target selection.
type selection struct {
	sels    []Selector
	ids     []string // each selector's container id without prefix
	needK8s bool
	text    string // Stats.Selection
}

// newSelection validates the selection part of cfg and describes it.
func newSelection(cfg *Config) (*selection, error) {
	if len(cfg.Select) > 0 && len(cfg.TargetInums) > 0 {
		return nil, errors.New("tetraparse: Config.TargetInums and Config.Select are exclusive (a Selector's PIDNamespace selects an inum)")
	}
	if cfg.KeepWithoutNamespace && len(cfg.TargetInums) > 0 {
		return nil, errors.New("tetraparse: Config.KeepWithoutNamespace keeps events without a PID-namespace inum, which Config.TargetInums cannot select: use Config.Select")
	}
	sl := &selection{sels: slices.Clone(cfg.Select)}
	for i := range sl.sels {
		s := &sl.sels[i]
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%w: Config.Select[%d]: %v", ErrSelector, i, err)
		}
		s.PodLabels = maps.Clone(s.PodLabels)
		sl.ids = append(sl.ids, stripRuntime(s.ContainerID))
		sl.needK8s = sl.needK8s || s.needsK8s()
	}
	sl.text = describeSelection(cfg)
	return sl, nil
}

// active reports whether selectors are configured.
func (sl *selection) active() bool { return len(sl.sels) > 0 }

// admit counts the selection outcome of an event that passed the
// namespace rules: selected by its first matching selector, or dropped.
func (sl *selection) admit(p *Process, st *Stats) bool {
	for i := range sl.sels {
		if sl.sels[i].match(p, sl.ids[i]) {
			if len(st.SelectedBy) < len(sl.sels) {
				st.SelectedBy = append(st.SelectedBy, make([]int64, len(sl.sels)-len(st.SelectedBy))...)
			}
			st.SelectedBy[i]++
			return true
		}
	}
	st.droppedByReason[DropNotSelected]++
	return false
}

// describeSelection writes the rules that decide which events are
// targets, for stats files and data cards.
func describeSelection(cfg *Config) string {
	var b strings.Builder
	switch {
	case len(cfg.Select) > 0:
		b.WriteString("selectors ")
		for i, s := range cfg.Select {
			if i > 0 {
				b.WriteString(" or ")
			}
			b.WriteString("[" + s.String() + "]")
		}
	case len(cfg.TargetInums) > 0:
		b.WriteString("reference container filter, PID namespaces ")
		for i, n := range cfg.TargetInums {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.FormatUint(n, 10))
		}
	default:
		b.WriteString("reference container filter, any non-host PID namespace")
	}
	keep := func(what string, kept bool, note string) {
		b.WriteString("; " + what)
		if kept {
			b.WriteString(" kept" + note)
		} else {
			b.WriteString(" dropped")
		}
	}
	keep("host-namespace events", cfg.KeepHostNamespace, "")
	keep("events without a PID-namespace inum", cfg.KeepWithoutNamespace, " (host and container events cannot be told apart)")
	keep("events without a process", cfg.KeepWithoutProcess, "")
	return b.String()
}
