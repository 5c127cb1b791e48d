package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
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

func TestObjectRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := storagetest.NewBucket(t)
	data := bytes.Repeat([]byte("safegrid photo bytes "), 50_000) // ~1 MiB
	want := sha256.Sum256(data)

	sum, err := store.Put(ctx, "photos/ab/test.jpg", bytes.NewReader(data), -1, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if sum != hex.EncodeToString(want[:]) {
		t.Errorf("Put returned sha256 %s, want %x", sum, want)
	}
	st, err := store.Stat(ctx, "photos/ab/test.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != int64(len(data)) || st.ContentType != "image/jpeg" {
		t.Errorf("Stat = %+v, want size %d and image/jpeg", st, len(data))
	}
	rc, _, err := store.Get(ctx, "photos/ab/test.jpg")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if gotSum := sha256.Sum256(got); gotSum != want {
		t.Errorf("read back %d bytes with sha256 %x, want %x", len(got), gotSum, want)
	}

	u, err := store.PresignedGet(ctx, "photos/ab/test.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("presigned GET: status %d, %d bytes; want 200 and the object", resp.StatusCode, len(body))
	}

	if err := store.Delete(ctx, "photos/ab/test.jpg"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, "photos/ab/test.jpg"); inspect.ErrorCode(err) != inspect.ENOTFOUND {
		t.Errorf("Stat after Delete: err %v, want not_found", err)
	}
}

func TestMissingObjectIsNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := storagetest.NewBucket(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, _, err := store.Get(ctx, "no/such/object"); return err }},
		{"stat", func() error { _, err := store.Stat(ctx, "no/such/object"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code := inspect.ErrorCode(err); code != inspect.ENOTFOUND {
				t.Errorf("err = %v (code %q), want not_found", err, code)
			}
		})
	}
	if err := store.Delete(ctx, "no/such/object"); err != nil {
		t.Errorf("deleting a missing object: %v, want no error", err)
	}
}

// TestWritesFailFastWhileQuorumIsLost: after a health check found the store
// without write quorum, a photo write answers unavailable at once, writes
// nothing, and works again once a check passes (or the answer is stale).
func TestWritesFailFastWhileQuorumIsLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	objects := storagetest.NewBucket(t)
	body := []byte("a photo")

	objects.MarkQuorumLost(time.Now())
	start := time.Now()
	_, err := objects.Put(ctx, "quorum/a", bytes.NewReader(body), int64(len(body)), "image/jpeg")
	if inspect.ErrorCode(err) != inspect.EUNAVAILABLE {
		t.Fatalf("Put while quorum is lost: %v, want %s", err, inspect.EUNAVAILABLE)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the refusal took %s; it should not wait for the store", took)
	}
	if _, _, err := objects.PutIfAbsent(ctx, "quorum/a", bytes.NewReader(body), int64(len(body)), "image/jpeg"); inspect.ErrorCode(err) != inspect.EUNAVAILABLE {
		t.Fatalf("PutIfAbsent while quorum is lost: %v, want %s", err, inspect.EUNAVAILABLE)
	}
	if _, err := objects.Stat(ctx, "quorum/a"); inspect.ErrorCode(err) != inspect.ENOTFOUND {
		t.Fatalf("a refused write left an object: %v", err)
	}

	if err := objects.Health(ctx); err != nil {
		t.Fatalf("Health of a healthy store: %v", err)
	}
	if _, err := objects.Put(ctx, "quorum/a", bytes.NewReader(body), int64(len(body)), "image/jpeg"); err != nil {
		t.Fatalf("Put after a passing health check: %v", err)
	}

	objects.MarkQuorumLost(time.Now().Add(-time.Minute))
	if _, err := objects.Put(ctx, "quorum/b", bytes.NewReader(body), int64(len(body)), "image/jpeg"); err != nil {
		t.Fatalf("Put after a stale quorum_lost answer: %v", err)
	}
}
