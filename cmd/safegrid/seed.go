package main

import (
	"context"
	"fmt"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/jobs"
	"github.com/safegrid/safegrid/storage/seed"
)

// runSeedDemo fills an empty database with the demo district and prints how to
// log in.
func runSeedDemo(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("seed-demo", env.stderr)
	ifEmpty := fs.Bool("if-empty", false, "do nothing (but print how to log in) when the database already has org units")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return withDB(ctx, env, func(cfg config.Config, db *storage.DB) error {
		return seedDemo(ctx, env, cfg, db, *ifEmpty)
	})
}

// seedDemo fills db with the demo district through the services, unless it
// already has org units.
func seedDemo(ctx context.Context, env *runEnv, cfg config.Config, db *storage.DB, ifEmpty bool) error {
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	has, err := db.HasUnits(ctx)
	if err != nil {
		return err
	}
	if has {
		if ifEmpty {
			fmt.Fprintln(env.stdout, "the database already has data; not seeding")
			seed.PrintLogins(env.stdout, cfg.HTTPAddr)
			return nil
		}
		return fmt.Errorf("the database already has org units; seed-demo fills an empty database only (use --if-empty to skip quietly)")
	}
	objects, err := storage.NewObjectStore(cfg.ObjectStore())
	if err != nil {
		return err
	}
	if err := objects.WaitForBucket(ctx, cfg.Logger(env.stderr)); err != nil {
		return err
	}
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	// The insert-only scheduler: the seeded hazards get their reminder and deadline
	// jobs in the transactions that set their deadlines, and the running serve
	// executes them (at once when already due; the workers re-read the hazard). No
	// SMS is enqueued for demo users, and no photo analysis.
	sched, err := jobs.NewScheduler(db, false)
	if err != nil {
		return err
	}
	sum, err := seed.Demo(ctx, storage.New(storage.Deps{DB: db, Objects: objects, Rules: rules, Queue: sched}))
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	fmt.Fprintf(env.stdout, "seeded a demo district: %d units, %d users, %d sites, %d inspections, %d hazards\n",
		sum.Units, sum.Users, sum.Sites, sum.Inspections, sum.Hazards)
	seed.PrintLogins(env.stdout, cfg.HTTPAddr)
	return nil
}
