package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/jobs"
)

// The commands that work on the database directly: migrate, audit verify, report
// and dataset export (and seed-demo, in seed.go).

// withDB loads the configuration, connects to its database, runs fn and closes the
// database again.
func withDB(ctx context.Context, env *runEnv, fn func(config.Config, *storage.DB) error) error {
	cfg, err := config.Load(env.getenv)
	if err != nil {
		return err
	}
	db, err := storage.OpenDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cfg, db)
}

// dbCommand is the run function of command name, which takes no arguments and
// works on the configured database with fn.
func dbCommand(name string, fn func(context.Context, *runEnv, *storage.DB) error) func(context.Context, *runEnv, []string) error {
	return func(ctx context.Context, env *runEnv, args []string) error {
		if err := parseNoArgs(newFlagSet(name, env.stderr), args); err != nil {
			return err
		}
		return withDB(ctx, env, func(_ config.Config, db *storage.DB) error { return fn(ctx, env, db) })
	}
}

// migrate applies the migrations not yet applied and lists them.
func migrate(ctx context.Context, env *runEnv, db *storage.DB) error {
	res, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if !res.Changed() {
		fmt.Fprintln(env.stdout, "database is up to date; nothing to apply")
		return nil
	}
	for _, v := range res.RiverApplied {
		fmt.Fprintf(env.stdout, "applied River schema version %d\n", v)
	}
	for _, v := range res.Applied {
		fmt.Fprintf(env.stdout, "applied %s\n", v)
	}
	return nil
}

// auditVerify recomputes every hazard's event chain and reports the first broken
// link of each hazard whose chain does not verify, then checks the KPI rollups
// against the raw count of hazards; it exits 1 when either fails.
func auditVerify(ctx context.Context, env *runEnv, db *storage.DB) error {
	rep, err := db.VerifyHazardChains(ctx)
	if err != nil {
		return fmt.Errorf("verify hazard event chains: %w", err)
	}
	if len(rep.Broken) == 0 {
		fmt.Fprintf(env.stdout, "ok: %d hazards, %d events; every chain verifies\n", rep.Hazards, rep.Events)
	}
	for _, b := range rep.Broken {
		fmt.Fprintf(env.stdout, "BROKEN: %s\n", b)
	}
	if len(rep.Broken) > 0 {
		fmt.Fprintf(env.stdout, "%d of %d hazards have a broken event chain (%d events checked)\n", len(rep.Broken), rep.Hazards, rep.Events)
	}
	kpi, err := db.VerifyKPIRollups(ctx)
	if err != nil {
		return err
	}
	if kpi.Mismatched == 0 {
		fmt.Fprintf(env.stdout, "ok: KPI rollups (%d grid-days, %d grid-months) equal the raw count of hazards\n", kpi.Days, kpi.Months)
	} else {
		fmt.Fprintf(env.stdout, "BROKEN: KPI rollups: %d rows differ from the raw count of hazards (SELECT kpi_rebuild() recounts them)\n", kpi.Mismatched)
	}
	if len(rep.Broken) > 0 || kpi.Mismatched > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// runReport prints the KPIs of one unit's subtree over a period: the same figures
// as GET /api/v1/kpi.
func runReport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("report", env.stderr)
	unit := fs.String("unit", "", "id of the unit whose subtree is counted (required)")
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (China time; required)")
	to := fs.String("to", "", "day after the last day of the period, YYYY-MM-DD (exclusive; required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	raw := fs.Bool("raw", false, "count straight from the hazards table instead of the KPI rollups (slow; to check them)")
	if err := parseNoArgs(fs, args); err != nil {
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
	return withDB(ctx, env, func(_ config.Config, db *storage.DB) error {
		policy := storage.New(storage.Deps{DB: db}).Policy
		report := policy.KPIReport
		if *raw {
			report = policy.KPIReportRaw
		}
		rep, err := report(ctx, inspect.Operator(), unitID, period)
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
	})
}

// runDatasetExport writes the reviewed photos as a YOLO-format data set: images/,
// labels/ (one line per box a reviewer confirmed; boxes of rejected flags are left
// out, so those photos teach the model what is not a hazard), classes.txt, and
// decisions.jsonl with every review decision and its reason.
func runDatasetExport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("dataset export", env.stderr)
	if err := parseArgs(fs, args, 1, "one folder to write the data set into"); err != nil {
		return err
	}
	dir := fs.Arg(0)
	return withDB(ctx, env, func(cfg config.Config, db *storage.DB) error {
		manifest, err := models.EmbeddedManifest(cfg.ModelName)
		if err != nil {
			return fmt.Errorf("class list for SAFEGRID_MODEL=%s: %w", cfg.ModelName, err)
		}
		objects, err := storage.NewObjectStore(cfg.ObjectStore())
		if err != nil {
			return err
		}
		svc := storage.New(storage.Deps{DB: db, Objects: objects})
		n, boxes, err := jobs.ExportDataset(ctx, svc, manifest.Classes, dir, env.stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "exported %d reviewed photos with %d confirmed boxes to %s (classes of %s)\n", n, boxes, dir, manifest.Name)
		return nil
	})
}
