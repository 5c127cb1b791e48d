package checklists

import (
	"slices"
	"strings"
)

// SourceCoverage is what the rule set does with one source: the clauses its rules
// cite (and which rules), the clauses deliberately left out (and why), and how
// many of its citations were checked against the text (status V).
type SourceCoverage struct {
	Source   Source
	Covered  []ClauseUse
	Omitted  []Omission
	Verified int // citations of this source with status V
	Cited    int // all citations of this source
}

// ClauseUse is one cited clause of a source and the rules citing it.
type ClauseUse struct {
	Clause string
	Status string // the weakest status among its citations: U, then S, then V
	Rules  []string
}

// Coverage lists, for every source in sources.yaml (in file order), the clauses the
// rules cover and those deliberately left out.
func (rs *RuleSet) Coverage() []SourceCoverage {
	out := make([]SourceCoverage, len(rs.Sources))
	byName := map[string]int{}
	for i, s := range rs.Sources {
		out[i] = SourceCoverage{Source: s, Omitted: s.Omitted}
		byName[s.Name] = i
	}
	for _, r := range rs.Rules {
		for _, c := range r.Citations {
			i, ok := byName[c.Source]
			if !ok {
				continue
			}
			sc := &out[i]
			sc.Cited++
			if c.Status == "V" {
				sc.Verified++
			}
			k := slices.IndexFunc(sc.Covered, func(u ClauseUse) bool { return u.Clause == c.Clause })
			if k < 0 {
				sc.Covered = append(sc.Covered, ClauseUse{Clause: c.Clause, Status: c.Status})
				k = len(sc.Covered) - 1
			}
			u := &sc.Covered[k]
			if statusRank(c.Status) < statusRank(u.Status) {
				u.Status = c.Status
			}
			if !slices.Contains(u.Rules, r.Code) {
				u.Rules = append(u.Rules, r.Code)
			}
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Covered, func(a, b ClauseUse) int { return compareClauses(a.Clause, b.Clause) })
		for k := range out[i].Covered {
			slices.Sort(out[i].Covered[k].Rules)
		}
	}
	return out
}

// VerifiedShare counts the citations marked V (checked against the official text)
// among all citations of all rules.
func (rs *RuleSet) VerifiedShare() (verified, total int) {
	for _, r := range rs.Rules {
		for _, c := range r.Citations {
			total++
			if c.Status == "V" {
				verified++
			}
		}
	}
	return verified, total
}

func statusRank(s string) int { return strings.Index("USV", s) }

// compareClauses orders clauses by their first number ("第4条" before "第28条",
// "5.5.8" before "7.4.1"), then as text.
func compareClauses(a, b string) int {
	na, nb := leadingNumber(a), leadingNumber(b)
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

func leadingNumber(s string) int {
	n, seen := 0, false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n = n*10 + int(r-'0')
			seen = true
		} else if seen {
			break
		}
	}
	if !seen {
		return 1 << 30
	}
	return n
}
