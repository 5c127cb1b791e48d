package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/safegrid/safegrid/inspect"
)

// DB is the Postgres side of storage: a pgx connection pool.
type DB struct {
	Pool *pgxpool.Pool
}

// OpenDB connects a pool of pgx's default size (the larger of 4 and the cores)
// to the database at url and checks that it answers.
func OpenDB(ctx context.Context, url string) (*DB, error) {
	return OpenPool(ctx, url, PoolSize{})
}

// PoolSize is the size and the name of one pool. serve opens several on purpose
// (API requests, jobs, reports), so that one kind of work cannot take the
// connections another needs.
type PoolSize struct {
	Name  string // application_name of its connections (pg_stat_activity); "" keeps the URL's
	Conns int    // most connections; 0 keeps the URL's pool_max_conns or pgx's default
}

// OpenPool connects a pool of size to the database at url and checks that it
// answers.
func OpenPool(ctx context.Context, url string, size PoolSize) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	if size.Conns > 0 {
		cfg.MaxConns = int32(size.Conns)
		cfg.MinConns = min(cfg.MinConns, cfg.MaxConns)
	}
	if size.Name != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = size.Name
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &DB{Pool: pool}, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping reports whether the database answers a trivial query within ctx.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.Pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil and rolling back
// otherwise.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", mapPgError(err, "record"))
	}
	return nil
}

// mapPgError turns the database errors a user can cause into application errors:
// no rows → not_found, a unique violation → conflict. what names the thing for the
// message ("site", "photo"...). Other errors pass through unchanged.
func mapPgError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return inspect.Errorf(inspect.ENOTFOUND, "%s not found", what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgerrcode.UniqueViolation:
			return inspect.Errorf(inspect.ECONFLICT, "%s already exists", what)
		case pgerrcode.ForeignKeyViolation:
			return inspect.Errorf(inspect.EINVALID, "%s refers to something that does not exist", what)
		}
	}
	return err
}

// isUniqueViolation reports whether err is a unique violation (23505).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation
}
