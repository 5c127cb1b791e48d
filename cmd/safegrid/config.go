package main

import (
	"context"

	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
)

// openConfiguredDB loads the configuration and connects to its database, for the
// commands that work on the database directly.
func openConfiguredDB(ctx context.Context, env *runEnv) (config.Config, *storage.DB, error) {
	cfg, err := config.Load(env.getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	db, err := storage.OpenDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, db, nil
}
