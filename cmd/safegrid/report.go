package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

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
	rep.WriteText(env.stdout)
	return nil
}
