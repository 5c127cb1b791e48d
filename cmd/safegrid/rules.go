package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/safegrid/safegrid/checklists"
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
	checklists.WriteCoverage(env.stdout, rs)
	return nil
}

// runRulesDiff lists the rules added, removed and changed between two rule folders.
func runRulesDiff(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("rules diff", env.stderr)
	if err := parseArgs(fs, args, 2, "two folders, OLD and NEW"); err != nil {
		return err
	}
	old, err := loadRules(fs.Arg(0))
	if err != nil {
		return reportLoadErrors(env, err)
	}
	new, err := loadRules(fs.Arg(1))
	if err != nil {
		return reportLoadErrors(env, err)
	}
	fmt.Fprintln(env.stderr, checklists.WriteDiff(env.stdout, old, new))
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
	cl.WriteText(env.stdout, p, *lang)
	return nil
}

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
