package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// ChangeKind classifies one difference between two schema versions.
type ChangeKind int

// The kinds of change Diff reports.
const (
	ColumnAdded ChangeKind = iota
	ColumnRemoved
	TypeChanged
	VocabularyChanged
	HashChanged
	RecipeChanged
	TableChanged
	QuirkChanged
)

var kindNames = [...]string{"added", "removed", "type", "vocabulary", "hash", "recipe", "table", "quirk"}

// String returns the kind's short name, such as "added".
func (k ChangeKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one difference found by Diff.
type Change struct {
	// Kind says what changed, such as ColumnAdded.
	Kind ChangeKind
	// Table is "raw" or "encoded" for column changes, "tables" or "quirks"
	// otherwise.
	Table string
	// Name is the column, table or quirk name.
	Name string
	// Before and After describe the old and the new state in words.
	Before, After string
}

// String renders the change for a person: "+ encoded f_path_category
// (uint8, 11 codes)", "- encoded f_in_init_tree", "~ encoded
// f_proc_name_hash hash: 1024 buckets … → 2048 buckets …".
func (c Change) String() string {
	switch c.Kind {
	case ColumnAdded:
		return fmt.Sprintf("+ %s %s (%s)", c.Table, c.Name, c.After)
	case ColumnRemoved:
		return fmt.Sprintf("- %s %s (%s)", c.Table, c.Name, c.Before)
	}
	return fmt.Sprintf("~ %s %s %s: %s → %s", c.Table, c.Name, c.Kind, c.Before, c.After)
}

// Diff lists what changed from a to b: columns lost and gained (raw and
// encoded), type, vocabulary, hash (capacity or input) and recipe changes of
// columns both have, changed lookup tables and quirks. Wording-only changes
// (meaning, derivation text) are not reported.
func Diff(a, b *Definitions) []Change {
	var out []Change
	out = append(out, diffColumns("raw", a.doc.Raw.Columns, b.doc.Raw.Columns)...)
	out = append(out, diffColumns("encoded", a.doc.Encoded.Columns, b.doc.Encoded.Columns)...)
	at, bt := tableMap(&a.doc.Tables), tableMap(&b.doc.Tables)
	for _, name := range tableNames(&b.doc.Tables) {
		if !reflect.DeepEqual(at[name], bt[name]) {
			out = append(out, Change{Kind: TableChanged, Table: "tables", Name: name, Before: compactJSON(at[name]), After: compactJSON(bt[name])})
		}
	}
	aq := map[string]bool{}
	for _, q := range a.doc.Quirks {
		aq[q.Name] = q.Active
	}
	for _, q := range b.doc.Quirks {
		before, had := aq[q.Name]
		if !had || before != q.Active {
			out = append(out, Change{Kind: QuirkChanged, Table: "quirks", Name: q.Name, Before: quirkState(had, before), After: quirkState(true, q.Active)})
		}
		delete(aq, q.Name)
	}
	for _, q := range a.doc.Quirks {
		if active, left := aq[q.Name]; left {
			out = append(out, Change{Kind: QuirkChanged, Table: "quirks", Name: q.Name, Before: quirkState(true, active), After: "absent"})
		}
	}
	return out
}

func quirkState(present, active bool) string {
	switch {
	case !present:
		return "absent"
	case active:
		return "active"
	}
	return "inactive"
}

func diffColumns(table string, a, b []schemadoc.Column) []Change {
	var out []Change
	inB := map[string]*schemadoc.Column{}
	for i := range b {
		inB[b[i].Name] = &b[i]
	}
	inA := map[string]*schemadoc.Column{}
	for i := range a {
		inA[a[i].Name] = &a[i]
		if _, ok := inB[a[i].Name]; !ok {
			out = append(out, Change{Kind: ColumnRemoved, Table: table, Name: a[i].Name, Before: summary(&a[i])})
		}
	}
	for i := range b {
		cb := &b[i]
		ca, ok := inA[cb.Name]
		if !ok {
			out = append(out, Change{Kind: ColumnAdded, Table: table, Name: cb.Name, After: summary(cb)})
			continue
		}
		if ca.Type != cb.Type || ca.Nullable != cb.Nullable {
			out = append(out, Change{Kind: TypeChanged, Table: table, Name: cb.Name, Before: typeText(ca), After: typeText(cb)})
		}
		if va, vb := vocabText(ca.Categorical), vocabText(cb.Categorical); va != vb {
			out = append(out, Change{Kind: VocabularyChanged, Table: table, Name: cb.Name, Before: va, After: vb})
		}
		if ha, hb := hashText(ca), hashText(cb); ha != hb {
			out = append(out, Change{Kind: HashChanged, Table: table, Name: cb.Name, Before: ha, After: hb})
		} else if ra, rb := compactJSON(ca.Derive), compactJSON(cb.Derive); ra != rb {
			out = append(out, Change{Kind: RecipeChanged, Table: table, Name: cb.Name, Before: ra, After: rb})
		}
	}
	return out
}

func summary(c *schemadoc.Column) string {
	s := c.Type
	switch {
	case c.Categorical != nil:
		s += fmt.Sprintf(", %d codes", len(c.Categorical.Codes))
	case c.Hash != nil:
		s += fmt.Sprintf(", %d buckets", c.Hash.Capacity)
	}
	return s
}

func typeText(c *schemadoc.Column) string {
	if c.Nullable {
		return c.Type + " nullable"
	}
	return c.Type
}

func vocabText(c *schemadoc.Categorical) string {
	if c == nil {
		return "none"
	}
	labels := make([]string, len(c.Codes))
	for i, code := range c.Codes {
		labels[i] = fmt.Sprintf("%d=%s", code.Code, code.Label)
	}
	return fmt.Sprintf("[%s] null=%d oov=%d lookup=%d", strings.Join(labels, " "), *c.NullCode, *c.OOVCode, c.LookupCount())
}

// hashText describes capacity and input, including the recipe's parameters
// (such as the cwd depth) so that a changed input shows even when the
// words describing it did not change.
func hashText(c *schemadoc.Column) string {
	if c.Hash == nil {
		return "none"
	}
	s := fmt.Sprintf("%s, %d buckets of %s", c.Hash.Algorithm, c.Hash.Capacity, c.Hash.Input)
	if c.Derive != nil && c.Derive.Input.Components > 0 && !strings.Contains(c.Hash.Input, fmt.Sprint(c.Derive.Input.Components)) {
		s += fmt.Sprintf(" (components %d)", c.Derive.Input.Components)
	}
	return s
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func tableNames(t *schemadoc.Tables) []string {
	typ := reflect.TypeOf(*t)
	names := make([]string, typ.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(typ.Field(i).Tag.Get("json"), ",")
	}
	return names
}

func tableMap(t *schemadoc.Tables) map[string]any {
	v := reflect.ValueOf(*t)
	names := tableNames(t)
	m := make(map[string]any, len(names))
	for i, n := range names {
		m[n] = v.Field(i).Interface()
	}
	return m
}
