package api_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/storage"
)

// TestSweepOrphanPhotos leaves behind what a crash between an upload's object writes
// and its commit would (an original and a thumbnail no row refers to) and checks the
// sweeper deletes exactly those once they are old enough, and never a photo in use.
func TestSweepOrphanPhotos(t *testing.T) {
	t.Parallel()
	w := setup(t)
	_, photo := w.hazard(w.own) // a stored photo with its row
	orphanSHA := strings.Repeat("0f", 32)
	orphans := []string{storage.PhotoKey(orphanSHA), storage.ThumbKey(orphanSHA)}
	for _, k := range orphans {
		b := jpegPhoto(t)
		if _, err := w.objects.Put(w.ctx, k, bytes.NewReader(b), int64(len(b)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}

	// Fresh objects may belong to an upload still in flight: left alone.
	deleted, err := w.store.SweepOrphanPhotos(w.ctx, time.Hour)
	if err != nil || len(deleted) != 0 {
		t.Fatalf("sweep of fresh objects deleted %v (err %v), want nothing", deleted, err)
	}
	deleted, err = w.store.SweepOrphanPhotos(w.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	slices.Sort(orphans)
	if !slices.Equal(deleted, orphans) {
		t.Errorf("sweep deleted %v, want exactly the orphans %v", deleted, orphans)
	}
	w.checkPhotoConsistency(t) // every row still has both objects, no object lacks a row
	if r := w.do(w.login(w.admin), "GET", "/api/v1/photos/"+photo+"/content", nil); r.status != 200 {
		t.Errorf("the photo in use after the sweep: %d", r.status)
	}
}
