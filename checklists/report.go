package checklists

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// WriteCoverage writes, per source, the clauses the rules cite (with their
// verification status and the rules citing them) and the clauses deliberately left
// out with the reason, then the share of citations verified against the text.
func WriteCoverage(w io.Writer, rs *RuleSet) {
	for _, sc := range rs.Coverage() {
		src := sc.Source
		fmt.Fprintf(w, "== %s  %s", src.ID, src.Name)
		if src.Edition != "" {
			fmt.Fprintf(w, "（%s）", src.Edition)
		}
		fmt.Fprintf(w, "  [%d/%d citations V]\n", sc.Verified, sc.Cited)
		if src.Jurisdiction != "" {
			fmt.Fprintf(w, "   binds only in: %s\n", src.Jurisdiction)
		}
		if src.Requires != "" {
			fmt.Fprintf(w, "   binds only where: %s\n", src.Requires)
		}
		if src.Note != "" {
			fmt.Fprintf(w, "   note: %s\n", src.Note)
		}
		for _, u := range sc.Covered {
			fmt.Fprintf(w, "   covered  %-28s [%s] %s\n", u.Clause, u.Status, strings.Join(u.Rules, " "))
		}
		for _, o := range sc.Omitted {
			fmt.Fprintf(w, "   left out %-28s %s\n", o.Clause, o.Why)
		}
		if len(sc.Covered) == 0 && len(sc.Omitted) == 0 {
			fmt.Fprintln(w, "   (not cited)")
		}
	}
	v, total := rs.VerifiedShare()
	pct := 0.0
	if total > 0 {
		pct = float64(v) * 100 / float64(total)
	}
	fmt.Fprintf(w, "\nverified (V): %d of %d citations = %.1f %%\n", v, total, pct)
}

// WriteDiff writes the rules and parameters added, removed and changed between old
// and new, one a line, and returns a one-line summary.
func WriteDiff(w io.Writer, old, new *RuleSet) string {
	var added, removed, changed int
	for _, c := range Diff(old, new) {
		switch c.Kind {
		case "added":
			added++
			fmt.Fprintf(w, "+ %s %s\n", c.Code, c.Title.ZH)
		case "removed":
			removed++
			fmt.Fprintf(w, "- %s %s\n", c.Code, c.Title.ZH)
		default:
			changed++
			fmt.Fprintf(w, "~ %s (%s)\n", c.Code, strings.Join(c.Fields, ", "))
		}
	}
	params := DiffParams(old, new)
	for _, p := range params {
		name := p.Jurisdiction + "." + p.Name
		switch {
		case p.Old == nil:
			fmt.Fprintf(w, "+ param %s = %s\n", name, formatValue(*p.New))
		case p.New == nil:
			fmt.Fprintf(w, "- param %s (was %s)\n", name, formatValue(*p.Old))
		default:
			fmt.Fprintf(w, "~ param %s %s → %s\n", name, formatValue(*p.Old), formatValue(*p.New))
		}
	}
	return fmt.Sprintf("%s → %s: %d added, %d removed, %d changed, %d parameter changes",
		old.Version, new.Version, added, removed, changed, len(params))
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WriteText writes the checklist grouped by location, in lang (zh or en); p is the
// profile it was generated for.
func (c Checklist) WriteText(w io.Writer, p Profile, lang string) {
	i := 0
	if lang == "en" {
		i = 1
	}
	t := func(zh, en string) string { return [2]string{zh, en}[i] }
	name := p.Name
	if name == "" {
		name = string(c.SiteType)
	}
	fmt.Fprintf(w, "%s: %s  (%s %s, %s %s, %s %s)\n", t("检查表", "Checklist"), name,
		t("场所类型", "site type"), c.SiteType, t("适用地区", "jurisdiction"), c.Jurisdiction, t("规则版本", "rules"), c.RuleVersion)
	fmt.Fprintf(w, "%s %d\n", t("检查项数量", "items:"), len(c.Items))
	loc := ""
	for _, it := range c.Items {
		if it.Location != loc {
			loc = it.Location
			label, _ := inspect.LocationLabel(loc)
			fmt.Fprintf(w, "\n== %s ==\n", label.In(lang))
		}
		title := it.Title.In(lang)
		if it.Severity == SeverityPossiblyMajor {
			title += fmt.Sprintf("  [%s GB 35181 %s]", t("可能构成重大火灾隐患", "possibly major hazard"), it.GB35181)
		}
		fmt.Fprintf(w, "\n%-9s %s\n", it.Code, title)
		fmt.Fprintf(w, "          %s\n", it.Explanation.In(lang))
		for _, ct := range it.Citations {
			basis := fmt.Sprintf("%s %s", ct.Source, ct.Clause)
			if ct.Edition != "" {
				basis = fmt.Sprintf("%s（%s）%s", ct.Source, ct.Edition, ct.Clause)
			}
			mark := "[" + ct.Status + "]"
			if ct.Unconfirmed() {
				mark = "[" + t("依据待核实", "basis to be confirmed") + "]"
			}
			fmt.Fprintf(w, "          %s: %s %s\n", t("依据", "basis"), basis, mark)
		}
		evidence, _ := inspect.EvidenceLabel(it.Evidence)
		extra := fmt.Sprintf("%s: %s; %s: %d %s", t("证据", "evidence"), evidence.In(lang),
			t("整改期限", "rectify within"), it.RectifyDays, t("天", "days"))
		if len(it.AIChecks) > 0 {
			extra += fmt.Sprintf("; AI: %s", strings.Join(it.AIChecks, ", "))
		}
		fmt.Fprintf(w, "          %s\n", extra)
		fmt.Fprintf(w, "          %s: %s\n", t("适用原因", "applies because"), strings.Join(it.Because, "; "))
	}
}
