package checklists

import (
	"slices"
	"strings"
)

// checkScope reports a rule that cites a source outside the source's scope: a local
// regulation in a rule that may apply outside that place, or a source limited to
// some buildings (应急管理部令第5号: high-rise only) in a rule whose condition does
// not require them. An item may stay where another basis holds; it must then cite
// that basis instead.
func (l *loader) checkScope(file string, line int, code string, cites []Citation, c *cond, rs *RuleSet) {
	for _, cit := range cites {
		i := slices.IndexFunc(rs.Sources, func(s Source) bool { return s.Name == cit.Source })
		if i < 0 {
			continue
		}
		src := rs.Sources[i]
		if src.Requires != "" && !requiresBool(c, lookupAttribute(src.Requires)) {
			l.errorf(file, line, code, "cites %s (%s), which binds only where %s; the condition must require %s, or cite another basis",
				src.ID, cit.Clause, src.Requires, src.Requires)
		}
		if src.Jurisdiction == "" {
			continue
		}
		place, ok := rs.Jurisdiction(src.Jurisdiction)
		if !ok {
			continue // reported with the sources
		}
		allowed := jurisdictionsWhere(c, rs.Jurisdictions)
		var outside []string
		for _, j := range rs.Jurisdictions {
			if allowed&(1<<j.bit) != 0 && j.chain&(1<<place.bit) == 0 {
				outside = append(outside, j.Code)
			}
		}
		if len(outside) > 0 {
			l.errorf(file, line, code, "cites %s (%s), a regulation of %s, but may apply in %s; add jurisdiction == %q to the condition, or cite the national basis",
				src.ID, cit.Clause, src.Jurisdiction, strings.Join(outside, ", "), src.Jurisdiction)
		}
	}
}

// requiresBool reports whether c can only hold when the boolean attribute in slot
// is true.
func requiresBool(c *cond, slot int) bool {
	switch c.op {
	case opBool:
		return c.attr == slot
	case opAnd:
		return slices.ContainsFunc(c.kids, func(k *cond) bool { return requiresBool(k, slot) })
	case opOr:
		return len(c.kids) > 0 && !slices.ContainsFunc(c.kids, func(k *cond) bool { return !requiresBool(k, slot) })
	}
	return false
}

// jurisdictionsWhere returns, as a set of jurisdiction bits, the jurisdictions in
// which c may hold as far as its jurisdiction tests go (other tests are assumed
// satisfiable; a negated subcondition is not narrowed).
func jurisdictionsWhere(c *cond, js []*Jurisdiction) uint64 {
	var all uint64
	for _, j := range js {
		all |= 1 << j.bit
	}
	switch c.op {
	case opAnd:
		set := all
		for _, k := range c.kids {
			set &= jurisdictionsWhere(k, js)
		}
		return set
	case opOr:
		var set uint64
		for _, k := range c.kids {
			set |= jurisdictionsWhere(k, js)
		}
		return set
	case opBits:
		if c.attr != attrJurisdiction {
			return all
		}
		var set uint64
		for _, j := range js {
			if (j.chain&c.mask != 0) != c.negate {
				set |= 1 << j.bit
			}
		}
		return set
	}
	return all
}
