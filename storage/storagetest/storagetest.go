// Package storagetest gives each test its own real Postgres database, cloned from a
// migrated template, and its own real MinIO bucket, both removed when the test ends.
// It reads the servers from the same environment variables as the binary
// (DATABASE_URL, SAFEGRID_S3_*), which `make test` sets.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/safegrid/safegrid/storage"
)

// templateLockKey serialises template creation across test processes (go test runs
// packages in parallel).
const templateLockKey = 0x5afe_7e57

// ServerURL returns the Postgres URL tests use to create databases: DATABASE_URL, or
// the local default server.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDB creates a database for this test from the migrated template and returns an
// open *storage.DB on it and its URL. Both are dropped when the test ends.
func NewDB(t testing.TB) (*storage.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tpl, err := ensureTemplate(ctx)
	if err != nil {
		t.Fatalf("storagetest: prepare template database: %v", err)
	}
	name := "safegrid_test_" + randomHex(6)
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("storagetest: connect to %s: %v", redact(ServerURL()), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		t.Fatalf("storagetest: create database %s: %v", name, err)
	}
	url := WithDatabase(ServerURL(), name)
	db, err := storage.OpenDB(ctx, url)
	if err != nil {
		t.Fatalf("storagetest: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		db.Close()
		dropDB(t, name)
	})
	return db, url
}

// EmptyDB creates an empty database (no migrations applied) for this test, dropped
// when it ends, and returns its URL.
func EmptyDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "safegrid_test_" + randomHex(6)
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("storagetest: connect to %s: %v", redact(ServerURL()), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storagetest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDB(t, name) })
	return WithDatabase(ServerURL(), name)
}

// dropDB drops a test's database at its end.
func dropDB(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Errorf("storagetest: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		t.Errorf("storagetest: drop %s: %v", name, err)
	}
}

// ensureTemplate creates the migrated template database for the current migrations
// once per server and returns its name.
func ensureTemplate(ctx context.Context) (string, error) {
	digest, err := storage.MigrationsDigest()
	if err != nil {
		return "", err
	}
	tpl := "safegrid_tpl_" + digest
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(ServerURL()), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockKey) //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tpl).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for %s: %w", tpl, err)
	}
	if exists {
		return tpl, nil
	}
	// Build under a temporary name and rename, so a crash never leaves a half-migrated
	// template behind under the final name.
	building := tpl + "_building"
	if _, err := admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", building)); err != nil {
		return "", fmt.Errorf("drop stale %s: %w", building, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("create %s: %w", building, err)
	}
	db, err := storage.OpenDB(ctx, WithDatabase(ServerURL(), building))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, tpl)); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	// Templates of older migration sets are of no further use.
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'safegrid\\_tpl\\_%' AND datname <> $1", tpl)
	if err == nil {
		old, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, name := range old {
			admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)) //nolint:errcheck // best effort
		}
	}
	return tpl, nil
}

// WithDatabase returns url with its database name replaced by name.
func WithDatabase(url, name string) string {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return url
	}
	c := cfg.ConnConfig
	auth := c.User
	if c.Password != "" {
		auth += ":" + c.Password
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", auth, c.Host, c.Port, name)
}

// NewBucket creates a bucket of its own for this test on the object store named by
// SAFEGRID_S3_ENDPOINT and removes it, with everything in it, when the test ends.
func NewBucket(t testing.TB) *storage.ObjectStore {
	t.Helper()
	cfg := ObjectStoreConfig(t)
	cfg.Bucket = "sgtest-" + randomHex(8)
	store, err := storage.NewObjectStore(cfg)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.RemoveBucket(ctx); err != nil {
			t.Errorf("storagetest: %v", err)
		}
	})
	return store
}

// ObjectStoreConfig returns the object store settings from the environment; the test
// fails with a clear message when no object store is configured.
func ObjectStoreConfig(t testing.TB) storage.ObjectStoreConfig {
	t.Helper()
	endpoint := os.Getenv("SAFEGRID_S3_ENDPOINT")
	if endpoint == "" {
		t.Fatal("storagetest: SAFEGRID_S3_ENDPOINT is not set; run the tests with `make test`, which starts MinIO, or point it at a running one")
	}
	return storage.ObjectStoreConfig{
		Endpoint:  endpoint,
		AccessKey: envOr("SAFEGRID_S3_ACCESS_KEY", "safegrid"),
		SecretKey: envOr("SAFEGRID_S3_SECRET_KEY", "safegrid-dev-secret"),
		UseTLS:    os.Getenv("SAFEGRID_S3_USE_TLS") == "true",
		Region:    envOr("SAFEGRID_S3_REGION", "us-east-1"),
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// redact hides a password in a connection URL for error messages.
func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && strings.Contains(url[j+3:i], ":") {
			return url[:j+3] + "***" + url[i:]
		}
	}
	return url
}
