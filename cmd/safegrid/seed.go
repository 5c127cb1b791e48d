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

// runSeedLoad fills an empty database with a generated city for load tests.
func runSeedLoad(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("seed-load", env.stderr)
	o := seed.CityOptions{}
	fs.IntVar(&o.Sites, "sites", 20000, "registered premises")
	fs.IntVar(&o.Hazards, "hazards", 1000000, "hazards over the whole history")
	fs.IntVar(&o.Years, "years", 3, "years of history, ending now")
	fs.IntVar(&o.Grids, "grids", 0, "grids (default: one per 20 sites, at most 1000)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same flags and seed write the same city")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return withDB(ctx, env, func(cfg config.Config, db *storage.DB) error {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
		rules, err := checklists.LoadEmbedded()
		if err != nil {
			return fmt.Errorf("load rules: %w", err)
		}
		sched, err := jobs.NewScheduler(db, false)
		if err != nil {
			return err
		}
		o.Queue = sched
		o.Progress = func(s seed.CitySummary) {
			fmt.Fprintf(env.stderr, "\rseed-load: %d/%d sites, %d hazards, %d events, %.0f hazards/s  ",
				s.Sites, o.Sites, s.Hazards, s.Events, float64(s.Hazards)/s.Elapsed.Seconds())
		}
		sum, err := seed.City(ctx, db, rules, o)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return fmt.Errorf("seed load data: %w", err)
		}
		fmt.Fprintf(env.stdout, "seeded a city in %.1fs: %d units, %d users, %d sites, %d inspections, %d hazards (%d open), %d events, %d photos (rows only), %d AI flags, %d notifications; %.0f hazards/s\n",
			sum.Elapsed.Seconds(), sum.Units, sum.Users, sum.Sites, sum.Inspections, sum.Hazards, sum.OpenHazards, sum.Events, sum.Photos, sum.Flags, sum.Notifications,
			float64(sum.Hazards)/sum.Elapsed.Seconds())
		fmt.Fprintf(env.stdout, "rows generated and copied in %.1fs; indexes, foreign keys, deadline jobs and statistics in %.1fs\n", sum.Copied.Seconds(), (sum.Elapsed - sum.Copied).Seconds())
		fmt.Fprintf(env.stdout, "every user's password is %q: admin, officer-<unit id>, insp0001…, m000001…\n", seed.LoadPassword)
		return nil
	})
}
