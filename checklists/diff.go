package checklists

import (
	"slices"
	"strings"
)

// RuleChange is one difference between two rule sets.
type RuleChange struct {
	Kind   string // "added", "removed" or "changed"
	Code   string
	Title  Text     // the new title, or the old one for a removed rule
	Fields []string // for "changed": the fields that differ
}

// Diff lists the rules added, removed and changed from old to new, in code order.
// File and line positions are not compared: moving a rule is not a change.
func Diff(old, new *RuleSet) []RuleChange {
	var out []RuleChange
	for _, r := range old.Rules {
		if _, ok := new.Rule(r.Code); !ok {
			out = append(out, RuleChange{Kind: "removed", Code: r.Code, Title: r.Title})
		}
	}
	for _, n := range new.Rules {
		o, ok := old.Rule(n.Code)
		if !ok {
			out = append(out, RuleChange{Kind: "added", Code: n.Code, Title: n.Title})
			continue
		}
		if fields := changedFields(o, n); len(fields) > 0 {
			out = append(out, RuleChange{Kind: "changed", Code: n.Code, Title: n.Title, Fields: fields})
		}
	}
	slices.SortFunc(out, func(a, b RuleChange) int { return strings.Compare(a.Code, b.Code) })
	return out
}

func changedFields(a, b Rule) []string {
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("pack", a.Pack != b.Pack)
	add("title", a.Title != b.Title)
	add("explanation", a.Explanation != b.Explanation)
	add("site_types", !slices.Equal(a.SiteTypes, b.SiteTypes))
	add("when", strings.Join(strings.Fields(a.When), " ") != strings.Join(strings.Fields(b.When), " "))
	add("citations", !slices.Equal(a.Citations, b.Citations))
	add("evidence", a.Evidence != b.Evidence)
	add("severity", a.Severity != b.Severity || a.GB35181 != b.GB35181)
	add("rectify_days", a.RectifyDays != b.RectifyDays)
	add("ai_checks", !slices.Equal(a.AIChecks, b.AIChecks))
	add("location", a.Location != b.Location)
	return f
}

// ParamChange is a jurisdiction parameter whose value was set, changed or unset
// between two rule sets. Old or New is nil when the value did not exist there.
type ParamChange struct {
	Jurisdiction string
	Name         string
	Old, New     *float64
}

// DiffParams lists the parameter values that a jurisdiction pack itself sets
// differently from old to new (a change inherited from a parent pack is reported
// once, for the parent).
func DiffParams(old, new *RuleSet) []ParamChange {
	var out []ParamChange
	own := func(rs *RuleSet, jur, name string) *float64 {
		j, ok := rs.Jurisdiction(jur)
		if !ok {
			return nil
		}
		p, ok := j.Param(name)
		if !ok || p.From != jur {
			return nil
		}
		v := p.Value
		return &v
	}
	seen := map[[2]string]bool{}
	for _, rs := range []*RuleSet{old, new} {
		for _, j := range rs.Jurisdictions {
			for _, p := range j.Params {
				key := [2]string{j.Code, p.Name}
				if seen[key] {
					continue
				}
				seen[key] = true
				o, n := own(old, j.Code, p.Name), own(new, j.Code, p.Name)
				if (o == nil) != (n == nil) || o != nil && *o != *n {
					out = append(out, ParamChange{Jurisdiction: j.Code, Name: p.Name, Old: o, New: n})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b ParamChange) int {
		return strings.Compare(a.Jurisdiction+"."+a.Name, b.Jurisdiction+"."+b.Name)
	})
	return out
}
