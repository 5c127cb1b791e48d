package api_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/storage"
)

// TestSweepOrphanPhotos leaves behind what a crash between an upload's object writes
// and its commit would — the upload's record and its two objects, no row — and checks
// that a committed upload leaves no record, that the sweeper spares unfinished uploads
// younger than the grace and uploads whose bytes a row uses, and deletes exactly the
// crashed upload's objects.
func TestSweepOrphanPhotos(t *testing.T) {
	t.Parallel()
	w := setup(t)
	_, photo := w.hazard(w.own) // committed uploads leave no record behind
	if n := w.count(`SELECT count(*) FROM photo_uploads`); n != 0 {
		t.Fatalf("%d upload records after committed uploads, want 0", n)
	}
	var usedSHA string
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT sha256 FROM photos WHERE id = $1`, photo).Scan(&usedSHA); err != nil {
		t.Fatal(err)
	}

	crashedSHA := strings.Repeat("0f", 32)
	orphans := []string{storage.PhotoKey(crashedSHA), storage.ThumbKey(crashedSHA)}
	for _, k := range orphans {
		b := jpegPhoto(t)
		if _, err := w.objects.Put(w.ctx, k, bytes.NewReader(b), int64(len(b)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	for _, u := range []struct {
		sha     string
		started time.Time
	}{
		{crashedSHA, twoHoursAgo},
		{usedSHA, twoHoursAgo},                 // crashed, but the same bytes were stored by another upload
		{strings.Repeat("1e", 32), time.Now()}, // still in flight
	} {
		if _, err := w.db.Pool.Exec(w.ctx, `INSERT INTO photo_uploads (photo_id, sha256, started_at) VALUES ($1, $2, $3)`, uuid.New(), u.sha, u.started); err != nil {
			t.Fatal(err)
		}
	}

	deleted, err := w.svc.Photos.SweepOrphanPhotos(w.ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	slices.Sort(orphans)
	if diff := cmp.Diff(orphans, deleted); diff != "" {
		t.Errorf("sweep deleted other objects than exactly the crashed upload's (-want +got):\n%s", diff)
	}
	if n := w.count(`SELECT count(*) FROM photo_uploads`); n != 1 {
		t.Errorf("%d upload records after the sweep, want only the one in flight", n)
	}
	w.checkPhotoConsistency(t) // every row still has both objects, no object lacks a row
	if r := w.do(w.login(w.admin), "GET", "/api/v1/photos/"+photo+"/content", nil); r.Status != 200 {
		t.Errorf("the photo in use after the sweep: %d", r.Status)
	}
}

// count runs a counting query on the world's database.
func (w *world) count(sql string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Pool.QueryRow(w.ctx, sql, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}
