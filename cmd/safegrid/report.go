package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// runReport prints the KPIs of one unit's subtree over a period: the same figures
// as GET /api/v1/kpi.
func runReport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("report", env.stderr)
	unit := fs.String("unit", "", "id of the unit whose subtree is counted (required)")
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (China time; required)")
	to := fs.String("to", "", "day after the last day of the period, YYYY-MM-DD (exclusive; required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	unitID, err := strconv.ParseInt(*unit, 10, 64)
	if err != nil || unitID <= 0 {
		return usagef("--unit must be a unit id (got %q)", *unit)
	}
	if *from == "" || *to == "" {
		return usagef("--from and --to are required")
	}
	period, err := inspect.ParsePeriod(*from, *to)
	if err != nil {
		return usagef("%s", err.Error())
	}
	_, db, err := openConfiguredDB(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := storage.New(storage.Deps{DB: db}).Policy.KPIReport(ctx, inspect.Operator(), unitID, period)
	if err != nil {
		return fmt.Errorf("report on unit %d: %w", unitID, err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(env.stdout, rep)
	return nil
}

// printReport writes the report as a small table for a terminal.
func printReport(w io.Writer, r inspect.KPIReport) {
	day := func(t time.Time) string { return t.In(inspect.ReportZone).Format(time.DateOnly) }
	rate := func(x inspect.Rate) string {
		if !x.Defined() {
			return "n/a (none)"
		}
		return fmt.Sprintf("%.1f%% (%d of %d)", 100*x.Value(), x.Num, x.Den)
	}
	avg := "n/a (no ratings)"
	if r.Satisfaction.Average != nil {
		avg = fmt.Sprintf("%.2f", *r.Satisfaction.Average)
	}
	fmt.Fprintf(w, "KPIs of %s (unit %d) for hazards recorded from %s up to %s (exclusive, UTC+8)\n", r.UnitName, r.UnitID, day(r.From), day(r.To))
	fmt.Fprintf(w, "  volume (办件量)            %d\n", r.Volume)
	fmt.Fprintf(w, "  completion (办结率)        %s\n", rate(r.Completion))
	fmt.Fprintf(w, "  on time (及时率)           %s\n", rate(r.OnTime))
	fmt.Fprintf(w, "  satisfaction (满意率)      average %s, 4 or 5 stars %s\n", avg, rate(r.Satisfaction.Share4Plus))
	fmt.Fprintf(w, "  returned (退回率)          %s\n", rate(r.Returned))
}
