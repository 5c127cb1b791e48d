package main

import (
	"context"
	"fmt"

	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
)

// pools are serve's database pools, separate on purpose: API requests, River
// and the jobs' work, and the KPI and report queries each have their own, sized
// by configuration, so that a burst of one (four KPI requests, a deadline
// burst) waits for its own connections and never for another's.
type pools struct {
	api, jobs, reports *storage.DB
}

// openPools opens the three pools of cfg and registers them with m (when not
// nil) under pool="api", "jobs" and "reports".
func openPools(ctx context.Context, cfg config.Config, m *metrics.Metrics) (pools, error) {
	var p pools
	apiSize, jobSize, reportSize := cfg.Pools()
	for _, o := range []struct {
		db    **storage.DB
		label string
		size  storage.PoolSize
	}{{&p.api, "api", apiSize}, {&p.jobs, "jobs", jobSize}, {&p.reports, "reports", reportSize}} {
		db, err := storage.OpenPool(ctx, cfg.DatabaseURL, o.size)
		if err != nil {
			p.Close()
			return pools{}, fmt.Errorf("open the %s pool: %w", o.label, err)
		}
		*o.db = db
		if m != nil {
			m.RegisterPool(o.label, db.Pool)
		}
	}
	return p, nil
}

// Close closes every pool that is open.
func (p pools) Close() {
	for _, db := range []*storage.DB{p.api, p.jobs, p.reports} {
		if db != nil {
			db.Close()
		}
	}
}
