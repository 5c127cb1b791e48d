package checklists

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/safegrid/safegrid/inspect"
)

// Checklist is the list of items that apply to one site, generated from a rule set
// for a profile. It records the rule-set version it came from and round-trips
// through JSON unchanged.
type Checklist struct {
	RuleVersion  string   `json:"rule_version"`
	Jurisdiction string   `json:"jurisdiction"`
	SiteType     SiteType `json:"site_type"`
	Items        []Item   `json:"items"`
}

// Item is one thing to check at the site, with its basis and why it applies.
type Item struct {
	Code        string `json:"code"`
	Pack        string `json:"pack"`
	Title       Text   `json:"title"`
	Explanation Text   `json:"explanation"`
	Requirement
	// Because lists the attribute values that made the rule apply, e.g.
	// "site_type = hotel", "floors = 4 (> 3)".
	Because []string `json:"because"`
}

// Unconfirmed reports whether any of the item's citations is still to be confirmed.
func (it Item) Unconfirmed() bool {
	return slices.ContainsFunc(it.Citations, Citation.Unconfirmed)
}

// Generate returns the checklist for the site p: every rule whose site types
// include p's and whose condition holds, in the rule set's order. An invalid
// profile or an unknown jurisdiction is an *inspect.Error naming the field.
func (rs *RuleSet) Generate(p Profile) (Checklist, error) {
	if err := p.Validate(); err != nil {
		return Checklist{}, err
	}
	code := p.Jurisdiction
	if code == "" {
		code = NationalJurisdiction
	}
	j, ok := rs.Jurisdiction(code)
	if !ok {
		return Checklist{}, inspect.FieldErrorf("jurisdiction", "unknown jurisdiction %q", p.Jurisdiction)
	}
	var f facts
	f.fill(&p, j)
	siteBit := uint64(1) << siteTypeIndex(p.SiteType)
	siteReason := "site_type = " + string(p.SiteType)

	cl := Checklist{RuleVersion: rs.Version, Jurisdiction: j.Code, SiteType: p.SiteType}
	cl.Items = make([]Item, 0, 64)
	for i := range rs.compiled {
		c := &rs.compiled[i]
		if c.siteMask&siteBit == 0 || !c.cond.eval(&f) {
			continue
		}
		r := &rs.Rules[i]
		because := make([]string, 1, 4)
		because[0] = siteReason
		because = c.cond.explain(&f, true, because)
		t := c.texts[j.bit]
		req := r.Requirement
		req.Citations, req.AIChecks = slices.Clone(r.Citations), slices.Clone(r.AIChecks)
		cl.Items = append(cl.Items, Item{
			Code:        r.Code,
			Pack:        r.Pack,
			Title:       t.title,
			Explanation: t.explanation,
			Requirement: req,
			Because:     because,
		})
	}
	return cl, nil
}

// JSON returns the checklist as indented JSON with a final newline: the output of
// "safegrid checklist --json" and the format of the golden files.
func (c Checklist) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "floors = 4 (>= 3)" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
