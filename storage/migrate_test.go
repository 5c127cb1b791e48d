package storage_test

import (
	"context"
	"testing"

	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

func TestMigrateFromEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.OpenDB(ctx, storagetest.EmptyDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	first, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	ms, err := storage.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Applied) != len(ms) {
		t.Errorf("first migrate applied %d migrations, want all %d: %v", len(first.Applied), len(ms), first.Applied)
	}
	if len(first.RiverApplied) == 0 {
		t.Error("first migrate applied no River migrations")
	}
	var riverTable bool
	if err := db.Pool.QueryRow(ctx, "SELECT to_regclass('river_job') IS NOT NULL").Scan(&riverTable); err != nil || !riverTable {
		t.Errorf("river_job table missing after migrate (err %v)", err)
	}
	var recorded int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", recorded, len(ms))
	}

	second, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if second.Changed() {
		t.Errorf("second migrate changed something: %+v", second)
	}
}

func TestMigrateRefusesChangedMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	ms, err := storage.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, "UPDATE schema_migrations SET checksum = 'deadbeefdeadbeef' WHERE version = $1", ms[0].Version); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err == nil {
		t.Fatal("Migrate accepted a migration whose recorded checksum differs from the file")
	}
}
