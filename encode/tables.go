package encode

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// pathTable matches paths against labelled rules in priority order: the
// behaviour builder's path category (substring rules, /proc/self/ first)
// and the feature builder's path sensitivity (prefix rules).
type pathTable struct {
	first *schemadoc.PathRule
	rules []schemadoc.PathRule
	// labels are the table's outcomes by index: empty, default, then the
	// first rule's (when there is one) and the rules' in order.
	labels []string
	// memo remembers recent paths' label indexes: working directories,
	// binary directories and library paths repeat on most events.
	memo map[string]int
}

const (
	pathMemoLimit = 1 << 15
	pathEmpty     = 0 // labels index of the empty (or null) path
	pathDefault   = 1 // labels index of a path no rule matches
)

func newPathTable(first *schemadoc.PathRule, rules []schemadoc.PathRule, empty, deflt string) *pathTable {
	t := &pathTable{first: first, rules: rules, labels: []string{empty, deflt}, memo: map[string]int{}}
	if first != nil {
		t.labels = append(t.labels, first.Label)
	}
	for _, r := range rules {
		t.labels = append(t.labels, r.Label)
	}
	return t
}

// label returns the label of path p (null: no path).
func (t *pathTable) label(p string, null bool) string { return t.labels[t.index(p, null)] }

// index returns the labels index of path p (null: no path), so that a
// caller can map outcomes to codes once, not per path.
func (t *pathTable) index(p string, null bool) int {
	if null || p == "" {
		return pathEmpty
	}
	if k, ok := t.memo[p]; ok {
		return k
	}
	k := t.match(p)
	if len(t.memo) >= pathMemoLimit {
		clear(t.memo)
	}
	t.memo[strings.Clone(p)] = k
	return k
}

func (t *pathTable) match(p string) int {
	k := 2
	if t.first != nil {
		if matchPath(t.first, p) {
			return k
		}
		k++
	}
	for i := range t.rules {
		if matchPath(&t.rules[i], p) {
			return k + i
		}
	}
	return pathDefault
}

func matchPath(r *schemadoc.PathRule, p string) bool {
	for _, s := range r.Contains {
		if strings.Contains(p, s) {
			return true
		}
	}
	for _, s := range r.Prefixes {
		if strings.HasPrefix(p, s) {
			return true
		}
	}
	return r.ProcPidDir && procPidDir(p)
}

// procPidDir reports ^/proc/[0-9]+/ without the /proc/self/ prefix.
func procPidDir(p string) bool {
	const pre = "/proc/"
	if !strings.HasPrefix(p, pre) {
		return false
	}
	i := len(pre)
	j := i
	for j < len(p) && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	return j > i && j < len(p) && p[j] == '/'
}

// ipTable categorizes destination addresses with Python 3.11 ipaddress
// semantics, driven by the CIDR lists of the schema.
type ipTable struct {
	t     *schemadoc.IPCategoryTable
	rules []ipRule
}

type ipRule struct {
	label  string
	v4, v6 []netip.Prefix
	mapped string
}

func newIPTable(t *schemadoc.IPCategoryTable) (*ipTable, error) {
	it := &ipTable{t: t}
	for _, r := range t.Rules {
		ir := ipRule{label: r.Label, mapped: r.IPv4Mapped}
		for _, c := range r.IPv4 {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return nil, fmt.Errorf("encode: dst_ip_category %s: %w", r.Label, err)
			}
			ir.v4 = append(ir.v4, p)
		}
		for _, c := range r.IPv6 {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return nil, fmt.Errorf("encode: dst_ip_category %s: %w", r.Label, err)
			}
			ir.v6 = append(ir.v6, p)
		}
		it.rules = append(it.rules, ir)
	}
	return it, nil
}

func (t *ipTable) label(addr string, null bool) string {
	if null || addr == "" {
		return t.t.Empty
	}
	a, ok := parsePyIP(addr)
	if !ok {
		return t.t.Unparseable
	}
	a = a.WithZone("")
	for _, r := range t.rules {
		if r.contains(a) {
			return r.label
		}
	}
	return t.t.Default
}

func (r *ipRule) contains(a netip.Addr) bool {
	list := r.v6
	if a.Is4() {
		list = r.v4
	} else if a.Is4In6() && r.mapped == "ipv4" {
		a, list = a.Unmap(), r.v4
	}
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePyIP parses like Python's ipaddress.ip_address(addr.strip()): dotted
// IPv4 without leading zeros, or IPv6 with an optional %zone.
func parsePyIP(s string) (netip.Addr, bool) {
	s = pystr.Strip(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	if a.Is4() && a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}
