package storage

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one embedded SQL migration.
type Migration struct {
	Version  string // the file name without .sql, e.g. "0001_settings"
	SQL      string
	Checksum string // hex SHA-256 of SQL
}

// MigrateResult says what one Migrate call changed.
type MigrateResult struct {
	Applied      []string // our migrations applied by this call, in order
	RiverApplied []int    // River schema versions applied by this call
}

// Changed reports whether the call changed the database at all.
func (r MigrateResult) Changed() bool { return len(r.Applied) > 0 || len(r.RiverApplied) > 0 }

// Migrations returns the embedded migrations in the order they are applied.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		ms = append(ms, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// MigrationsDigest is a short hash over every embedded migration; test helpers name
// their template database after it so a changed migration gets a fresh template.
func MigrationsDigest() (string, error) {
	ms, err := Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s %s\n", m.Version, m.Checksum)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// migrateLockKey is the advisory lock that serialises concurrent migrators (several
// replicas starting at once).
const migrateLockKey = 0x5afe_691d

// Migrate applies River's schema and then every embedded migration not yet recorded
// in schema_migrations, each in its own transaction. It is idempotent: a second call
// applies nothing. A recorded migration whose file has since changed is an error.
func (db *DB) Migrate(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("acquire connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return res, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey) //nolint:errcheck

	migrator, err := rivermigrate.New(riverpgxv5.New(db.Pool), nil)
	if err != nil {
		return res, fmt.Errorf("set up River migrator: %w", err)
	}
	rr, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("migrate River schema: %w", err)
	}
	for _, v := range rr.Versions {
		res.RiverApplied = append(res.RiverApplied, v.Version)
	}

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text PRIMARY KEY,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return res, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[string]string{}
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return res, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v, sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return res, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("read schema_migrations: %w", err)
	}

	ms, err := Migrations()
	if err != nil {
		return res, err
	}
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return res, fmt.Errorf("migration %s was changed after it was applied (recorded checksum %s, file %s); add a new migration instead", m.Version, sum[:12], m.Checksum[:12])
			}
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", m.Version, m.Checksum)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("apply migration %s: %w", m.Version, err)
		}
		res.Applied = append(res.Applied, m.Version)
	}
	return res, nil
}
