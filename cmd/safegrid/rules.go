package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// runRulesLint validates a rule folder (default: the rules built into the binary)
// and lists every defect as file:line: CODE: message.
func runRulesLint(ctx context.Context, env *runEnv, args []string) error {
	rs, err := loadRulesArg(env, "rules lint", args)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ok: %d rules in %d packs, %d jurisdictions, version %s\n",
		len(rs.Rules), len(rs.Packs), len(rs.Jurisdictions), rs.Version)
	return nil
}

// runRulesCoverage prints, per source, the clauses the rules cite (with their
// verification status and the rules citing them) and the clauses deliberately left
// out with the reason, then the share of citations verified against the text.
func runRulesCoverage(ctx context.Context, env *runEnv, args []string) error {
	rs, err := loadRulesArg(env, "rules coverage", args)
	if err != nil {
		return err
	}
	w := env.stdout
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
	return nil
}

// runRulesDiff lists the rules added, removed and changed between two rule folders.
func runRulesDiff(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("rules diff", env.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("expected two folders, OLD and NEW")
	}
	old, err := loadRules(fs.Arg(0))
	if err != nil {
		return reportLoadErrors(env, err)
	}
	new, err := loadRules(fs.Arg(1))
	if err != nil {
		return reportLoadErrors(env, err)
	}
	changes := checklists.Diff(old, new)
	var added, removed, changed int
	for _, c := range changes {
		switch c.Kind {
		case "added":
			added++
			fmt.Fprintf(env.stdout, "+ %s %s\n", c.Code, c.Title.ZH)
		case "removed":
			removed++
			fmt.Fprintf(env.stdout, "- %s %s\n", c.Code, c.Title.ZH)
		default:
			changed++
			fmt.Fprintf(env.stdout, "~ %s (%s)\n", c.Code, strings.Join(c.Fields, ", "))
		}
	}
	params := checklists.DiffParams(old, new)
	for _, p := range params {
		name := p.Jurisdiction + "." + p.Name
		switch {
		case p.Old == nil:
			fmt.Fprintf(env.stdout, "+ param %s = %s\n", name, formatValue(*p.New))
		case p.New == nil:
			fmt.Fprintf(env.stdout, "- param %s (was %s)\n", name, formatValue(*p.Old))
		default:
			fmt.Fprintf(env.stdout, "~ param %s %s → %s\n", name, formatValue(*p.Old), formatValue(*p.New))
		}
	}
	fmt.Fprintf(env.stderr, "%s → %s: %d added, %d removed, %d changed, %d parameter changes\n",
		old.Version, new.Version, added, removed, changed, len(params))
	return nil
}

// runChecklist prints the checklist generated for a site profile.
func runChecklist(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("checklist", env.stderr)
	profilePath := fs.String("profile", "", "site profile `FILE` (JSON)")
	lang := fs.String("lang", "zh", "language of the text output: zh or en")
	asJSON := fs.Bool("json", false, "print the checklist as JSON")
	rulesDir := fs.String("rules", "", "rule `DIR` to use instead of the built-in rules")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *profilePath == "":
		return usagef("--profile is required")
	case *lang != "zh" && *lang != "en":
		return usagef("--lang must be zh or en")
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	rs, err := loadRules(*rulesDir)
	if err != nil {
		return reportLoadErrors(env, err)
	}
	data, err := os.ReadFile(*profilePath)
	if err != nil {
		return fmt.Errorf("read profile: %w", err)
	}
	p, err := checklists.ParseProfile(data)
	if err != nil {
		return fmt.Errorf("profile %s: %w", *profilePath, err)
	}
	cl, err := rs.Generate(p)
	if err != nil {
		return fmt.Errorf("profile %s: %w", *profilePath, err)
	}
	if *asJSON {
		out, err := cl.JSON()
		if err != nil {
			return err
		}
		_, err = env.stdout.Write(out)
		return err
	}
	writeChecklistText(env.stdout, cl, p, *lang)
	return nil
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// loadRulesArg parses the arguments of a command that takes an optional rule
// folder ([DIR]) and loads it, reporting load defects.
func loadRulesArg(env *runEnv, name string, args []string) (*checklists.RuleSet, error) {
	fs := newFlagSet(name, env.stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 1 {
		return nil, usagef("expected at most one folder, got %d arguments", fs.NArg())
	}
	rs, err := loadRules(fs.Arg(0))
	if err != nil {
		return nil, reportLoadErrors(env, err)
	}
	return rs, nil
}

// loadRules loads dir, or the built-in rules when dir is empty.
func loadRules(dir string) (*checklists.RuleSet, error) {
	if dir == "" {
		return checklists.LoadEmbedded()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("rule folder %s: not a readable folder", dir)
	}
	return checklists.LoadDir(dir)
}

// reportLoadErrors prints every load defect and returns an exit error; other
// errors are passed on for main to print.
func reportLoadErrors(env *runEnv, err error) error {
	var les checklists.LoadErrors
	if !errors.As(err, &les) {
		return err
	}
	for _, e := range les {
		fmt.Fprintln(env.stdout, e.Error())
	}
	fmt.Fprintf(env.stderr, "%d error(s)\n", len(les))
	return &exitError{code: 1}
}

// writeChecklistText prints the checklist grouped by location, in lang.
func writeChecklistText(w io.Writer, cl checklists.Checklist, p checklists.Profile, lang string) {
	i := 0
	if lang == "en" {
		i = 1
	}
	t := func(zh, en string) string { return [2]string{zh, en}[i] }
	name := p.Name
	if name == "" {
		name = string(cl.SiteType)
	}
	fmt.Fprintf(w, "%s: %s  (%s %s, %s %s, %s %s)\n", t("检查表", "Checklist"), name,
		t("场所类型", "site type"), cl.SiteType, t("适用地区", "jurisdiction"), cl.Jurisdiction, t("规则版本", "rules"), cl.RuleVersion)
	fmt.Fprintf(w, "%s %d\n", t("检查项数量", "items:"), len(cl.Items))
	loc := ""
	for _, it := range cl.Items {
		if it.Location != loc {
			loc = it.Location
			label, _ := inspect.LocationLabel(loc)
			fmt.Fprintf(w, "\n== %s ==\n", label.In(lang))
		}
		title := it.Title.In(lang)
		if it.Severity == checklists.SeverityPossiblyMajor {
			title += fmt.Sprintf("  [%s GB 35181 %s]", t("可能构成重大火灾隐患", "possibly major hazard"), it.GB35181)
		}
		fmt.Fprintf(w, "\n%-9s %s\n", it.Code, title)
		fmt.Fprintf(w, "          %s\n", it.Explanation.In(lang))
		for _, c := range it.Citations {
			basis := fmt.Sprintf("%s %s", c.Source, c.Clause)
			if c.Edition != "" {
				basis = fmt.Sprintf("%s（%s）%s", c.Source, c.Edition, c.Clause)
			}
			mark := "[" + c.Status + "]"
			if c.Unconfirmed() {
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
