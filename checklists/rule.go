package checklists

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/safegrid/safegrid/inspect"
)

// Text is a text in both languages of the product.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// In returns the text in lang ("zh" or "en"), falling back to the other language.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// Citation is the legal basis of a rule: a source, its edition, the clause, and how
// well the research verified it (V checked against the text, S secondary source,
// U unverified — shown to users as "basis to be confirmed").
type Citation struct {
	Source  string `json:"source"`
	Edition string `json:"edition,omitempty"`
	Clause  string `json:"clause"`
	Status  string `json:"status"`
}

// Unconfirmed reports whether the citation is still to be confirmed (status U).
func (c Citation) Unconfirmed() bool { return c.Status == "U" }

// Evidence kinds: what proves an item passed (the vocabulary's, inspect/vocab.go).
const (
	EvidencePhoto        = inspect.EvidencePhoto
	EvidenceDocument     = inspect.EvidenceDocument
	EvidenceFunctionTest = inspect.EvidenceFunctionTest
)

var evidenceKinds = inspect.EvidenceKinds()

// Severities of a failed item. A possibly-major item names the GB 35181 element a
// reviewer weighs when judging whether the hazard is major (重大火灾隐患).
const (
	SeverityGeneral       = "general"
	SeverityPossiblyMajor = "possibly_major"
)

// AIChecks are the photo checks the detector runs (inspect.DetectedChecks); rules
// may name only these.
var AIChecks = inspect.DetectedChecks()

// Locations are the tags of what a rule's photo shows, in the order an inspector
// walks a site (from outside in, documents last): the vocabulary's
// (inspect.LocationTags). Checklists are sorted this way.
var Locations = inspect.LocationTags()

func locationRank(loc string) int { return slices.Index(Locations, loc) }

// Rule is one checklist item as data: what to check, where, why it applies and on
// what legal basis.
type Rule struct {
	Code        string     `json:"code"`
	Pack        string     `json:"pack"`
	Title       Text       `json:"title"`
	Explanation Text       `json:"explanation"`
	SiteTypes   []SiteType `json:"site_types"` // nil means every site type
	When        string     `json:"when,omitempty"`
	Requirement
	File string `json:"file"`
	Line int    `json:"line"`
}

// Requirement is what a rule asks of a site, and each checklist item generated
// from it carries: the legal basis, the evidence, the severity of a failure and
// its rectification time, the photo checks and where the photo is taken.
type Requirement struct {
	Citations   []Citation `json:"citations"`
	Evidence    string     `json:"evidence"`
	Severity    string     `json:"severity"`
	GB35181     string     `json:"gb35181_element,omitempty"`
	RectifyDays int        `json:"rectify_days"`
	AIChecks    []string   `json:"ai_checks,omitempty"`
	Location    string     `json:"location"`
}

var (
	placeholderRE = regexp.MustCompile(`\{([a-z0-9_]*)\}`)
	gbElementRE   = regexp.MustCompile(`^[6-9](\.[0-9]+){1,2}$`)
)

// loadPack reads one rule pack. Rules with defects are reported and left out.
func (l *loader) loadPack(file string, rs *RuleSet, env *condEnv) (Pack, []Rule, []compiledRule) {
	root := l.parseYAML(file)
	if root == nil {
		return Pack{}, nil, nil
	}
	shown := l.display(file)
	pack := Pack{File: shown}
	var rulesNode *yaml.Node
	l.eachField(shown, root, "", func(key string, keyLine int, v *yaml.Node) {
		switch key {
		case "pack":
			pack.Name = l.str(shown, v, "")
		case "title":
			pack.Title = l.text(shown, v, "", "title")
		case "rules":
			rulesNode = v
		default:
			l.errorf(shown, keyLine, "", "unknown field %q in rule pack (pack, title, rules)", key)
		}
	})
	if pack.Name == "" {
		l.errorf(shown, root.Line, "", "rule pack has no name (field pack)")
		return Pack{}, nil, nil
	}
	if rulesNode == nil || rulesNode.Kind != yaml.SequenceNode {
		l.errorf(shown, root.Line, "", "rule pack %s needs a list of rules", pack.Name)
		return pack, nil, nil
	}
	var rules []Rule
	var comps []compiledRule
	for _, n := range rulesNode.Content {
		r, c, ok := l.parseRule(shown, n, rs, env)
		if !ok {
			continue
		}
		r.Pack = pack.Name
		rules = append(rules, r)
		comps = append(comps, c)
	}
	pack.Rules = len(rules)
	return pack, rules, comps
}

// parseRule reads and checks one rule; ok is false if it had any defect.
func (l *loader) parseRule(file string, n *yaml.Node, rs *RuleSet, env *condEnv) (Rule, compiledRule, bool) {
	before := len(l.errs)
	r := Rule{File: file, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "", "a rule must be a mapping of fields")
		return r, compiledRule{}, false
	}
	// The code first, so that every other defect can name it.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "code" && n.Content[i+1].Kind == yaml.ScalarNode {
			r.Code = strings.TrimSpace(n.Content[i+1].Value)
		}
	}
	code := r.Code
	if r.Code != "" {
		// Duplicates are found even among rules with other defects.
		if where, dup := l.codes[r.Code]; dup {
			l.errorf(file, n.Line, code, "duplicate rule code (first defined at %s)", where)
		} else {
			l.codes[r.Code] = fmt.Sprintf("%s:%d", file, n.Line)
		}
	}
	if code == "" {
		code = "rule at line " + strconv.Itoa(n.Line)
		l.errorf(file, n.Line, "", "rule has no code")
	} else if !codePattern(r.Code, true) {
		l.errorf(file, n.Line, code, "code must look like EXIT-001 (capital letters, dash, three digits)")
	}
	var whenLine, rectifyLine int
	citationsGiven := false
	var sites []string
	sitesLine := n.Line
	l.eachField(file, n, code, func(key string, keyLine int, v *yaml.Node) {
		switch key {
		case "code":
		case "title":
			r.Title = l.text(file, v, code, "title")
		case "explanation":
			r.Explanation = l.text(file, v, code, "explanation")
		case "site_types":
			sites, sitesLine = l.strList(file, v, code, "site_types"), v.Line
		case "when":
			r.When, whenLine = l.str(file, v, code), v.Line
		case "citations":
			citationsGiven = true
			r.Citations = l.citations(file, v, code, rs.Sources)
		case "evidence":
			r.Evidence = l.str(file, v, code)
			if !slices.Contains(evidenceKinds, r.Evidence) {
				l.errorf(file, v.Line, code, "unknown evidence kind %q (one of %s)", r.Evidence, strings.Join(evidenceKinds, ", "))
			}
		case "severity":
			r.Severity = l.str(file, v, code)
		case "gb35181":
			r.GB35181 = l.str(file, v, code)
		case "rectify_days":
			rectifyLine = v.Line
			if err := v.Decode(&r.RectifyDays); err != nil || v.Kind != yaml.ScalarNode {
				l.errorf(file, v.Line, code, "rectify_days must be a whole number of days, not %q", v.Value)
				r.RectifyDays = -1
			}
		case "ai_checks":
			r.AIChecks = l.strList(file, v, code, "ai_checks")
			for _, c := range r.AIChecks {
				if !slices.Contains(AIChecks, c) {
					l.errorf(file, v.Line, code, "unknown AI check %q (one of %s)", c, strings.Join(AIChecks, ", "))
				}
			}
			if len(r.AIChecks) == 0 {
				r.AIChecks = nil
			}
		case "location":
			r.Location = l.str(file, v, code)
			if locationRank(r.Location) < 0 {
				l.errorf(file, v.Line, code, "unknown location tag %q (one of %s)", r.Location, strings.Join(Locations, ", "))
			}
		default:
			l.errorf(file, keyLine, code, "unknown field %q", key)
		}
	})
	if r.Title.ZH == "" || r.Title.EN == "" {
		l.errorf(file, n.Line, code, "title needs both zh and en")
	}
	if r.Explanation.ZH == "" || r.Explanation.EN == "" {
		l.errorf(file, n.Line, code, "explanation needs both zh and en")
	}
	if len(r.Citations) == 0 && (!citationsGiven || len(l.errs) == before) {
		l.errorf(file, n.Line, code, "missing citation: every rule needs at least one")
	}
	if r.Evidence == "" {
		l.errorf(file, n.Line, code, "missing evidence kind (%s)", strings.Join(evidenceKinds, ", "))
	}
	if r.Location == "" {
		l.errorf(file, n.Line, code, "missing location tag")
	}
	switch r.Severity {
	case SeverityGeneral:
		if r.GB35181 != "" {
			l.errorf(file, n.Line, code, "gb35181 is only for severity possibly_major")
		}
	case SeverityPossiblyMajor:
		if !gbElementRE.MatchString(r.GB35181) {
			l.errorf(file, n.Line, code, "severity possibly_major needs the GB 35181 element it maps to (gb35181: e.g. 6.5 or 7.3.6), got %q", r.GB35181)
		}
	default:
		l.errorf(file, n.Line, code, "severity must be general or possibly_major, not %q", r.Severity)
	}
	if rectifyLine == 0 {
		l.errorf(file, n.Line, code, "missing rectify_days")
	} else if r.RectifyDays != -1 && (r.RectifyDays < 1 || r.RectifyDays > 365) {
		l.errorf(file, rectifyLine, code, "rectify_days must be between 1 and 365")
	}

	var comp compiledRule
	if sites == nil {
		l.errorf(file, n.Line, code, "missing site_types (a list, or [all])")
	}
	for _, s := range sites {
		if s == "all" && len(sites) == 1 {
			comp.siteMask = 1<<len(SiteTypes) - 1
			continue
		}
		i := siteTypeIndex(SiteType(s))
		if i < 0 {
			l.errorf(file, sitesLine, code, "unknown site type %q", s)
			continue
		}
		if comp.siteMask&(1<<i) != 0 {
			l.errorf(file, sitesLine, code, "site type %q listed twice", s)
		}
		comp.siteMask |= 1 << i
		r.SiteTypes = append(r.SiteTypes, SiteType(s))
	}
	if whenLine == 0 {
		whenLine = n.Line
	}
	c, err := compileCondition(r.When, env)
	if err != nil {
		l.errorf(file, whenLine, code, "when: %s", err.Error())
	} else {
		l.checkScope(file, whenLine, code, r.Citations, c, rs)
	}
	comp.cond = c

	// Render the texts once per jurisdiction; {name} inserts a parameter's value.
	var unknown []string
	for _, s := range []string{r.Title.ZH, r.Title.EN, r.Explanation.ZH, r.Explanation.EN} {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(env.params, m[1]) && !slices.Contains(unknown, m[1]) {
				unknown = append(unknown, m[1])
				l.errorf(file, n.Line, code, "text refers to unknown parameter {%s}", m[1])
			}
		}
	}
	if len(l.errs) > before {
		return r, compiledRule{}, false
	}
	for _, j := range rs.Jurisdictions {
		comp.texts = append(comp.texts, ruleTexts{
			title:       renderText(r.Title, j),
			explanation: renderText(r.Explanation, j),
		})
	}
	return r, comp, true
}

func renderText(t Text, j *Jurisdiction) Text {
	sub := func(s string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			if p, ok := j.Param(m[1 : len(m)-1]); ok {
				return formatNumber(p.Value)
			}
			return m
		})
	}
	return Text{ZH: sub(t.ZH), EN: sub(t.EN)}
}

func (l *loader) citations(file string, v *yaml.Node, code string, sources []Source) []Citation {
	return sequence(l, file, v, code, "citations must be a list", func(cn *yaml.Node) (Citation, bool) {
		var c Citation
		var srcID string
		l.strFields(file, cn, code, "citation: unknown field", []string{"source", "edition", "clause", "status"}, &srcID, &c.Edition, &c.Clause, &c.Status)
		i := slices.IndexFunc(sources, func(s Source) bool { return s.ID == srcID })
		switch {
		case srcID == "":
			l.errorf(file, cn.Line, code, "citation without a source")
			return c, false
		case i < 0:
			l.errorf(file, cn.Line, code, "citation: unknown source %q (not in sources.yaml)", srcID)
			return c, false
		}
		c.Source = sources[i].Name
		if c.Edition == "" {
			c.Edition = sources[i].Edition
		}
		if c.Clause == "" {
			l.errorf(file, cn.Line, code, "citation of %s has no clause", srcID)
		}
		if !validStatus(c.Status) {
			l.errorf(file, cn.Line, code, "citation status must be V, S or U, not %q", c.Status)
		}
		return c, true
	})
}
