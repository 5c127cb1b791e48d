package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// PhotoRecord is a photo row with what the photo analysis needs besides the photo:
// the site, and the checklist item's location tag and AI checks (empty for proof
// photos of a hazard, whose rule the hazard row holds).
type PhotoRecord struct {
	inspect.Photo
	SiteID   int64
	Location string
	AIChecks []string
}

// PhotoKey is the object key of a photo's original, named by its SHA-256 so that
// the same bytes are stored once.
func PhotoKey(sha256 string) string { return "photos/" + sha256 }

// ThumbKey is the object key of a photo's JPEG thumbnail.
func ThumbKey(sha256 string) string { return "thumbs/" + sha256 + ".jpg" }

const photoColumns = `p.id, COALESCE(p.inspection_id, 0) AS inspection_id, COALESCE(p.item_code, '') AS item_code,
	COALESCE(p.hazard_id, 0) AS hazard_id, p.sha256, p.type, p.size, p.width, p.height, p.exif, p.uploaded_by, p.uploaded_at,
	p.site_id, p.location, p.ai_checks`

func photoByID(ctx context.Context, q querier, id string) (PhotoRecord, error) {
	rows, err := q.Query(ctx, `SELECT `+photoColumns+` FROM photos p WHERE p.id = $1`, id)
	return collectOne[PhotoRecord](rows, err, "photo "+id)
}

// photoTarget resolves where a photo goes and checks that the principal may put it
// there: an item of an inspection the principal is doing (and can still answer),
// or an open hazard the principal may submit proof for, re-inspect or manage.
func photoTarget(ctx context.Context, q querier, p inspect.Principal, ph inspect.Photo) (PhotoRecord, error) {
	rec := PhotoRecord{Photo: ph}
	if ph.HazardID != 0 {
		h, err := visibleHazard(ctx, q, p, ph.HazardID, false)
		if err != nil {
			return rec, err
		}
		if !p.CanPerform(h.Hazard, inspect.ActionSubmitProof) && !p.CanPerform(h.Hazard, inspect.ActionReinspectFixed) && !p.CanManageHazard(h.Hazard) {
			return rec, forbidden("you may not add photos to hazard %d", h.ID)
		}
		if !inspect.IsOpen(h.State) {
			return rec, inspect.Errorf(inspect.ECONFLICT, "hazard %d is %s; it takes no more photos", h.ID, h.State)
		}
		rec.SiteID = h.SiteID
		return rec, nil
	}
	insp, _, err := visibleInspection(ctx, q, p, ph.InspectionID, false)
	if err != nil {
		return rec, err
	}
	if !p.CanActOnInspection(insp) {
		return rec, forbidden("only the inspector it is assigned to adds photos to inspection %d", insp.ID)
	}
	if err := insp.CanAnswer(); err != nil {
		return rec, err
	}
	it, err := itemByCode(ctx, q, insp.ID, ph.ItemCode, false)
	if err != nil {
		return rec, inspect.Errorf(inspect.ENOTFOUND, "item %q is not on the checklist of inspection %d", ph.ItemCode, insp.ID)
	}
	rec.SiteID, rec.Location, rec.AIChecks = insp.SiteID, it.Location, nonNil(it.AIChecks)
	return rec, nil
}

// CheckPhotoTarget checks that p may add a photo to target (see SavePhoto) without
// storing anything, so that an upload is refused before its bytes are decoded.
func (s *PhotoService) CheckPhotoTarget(ctx context.Context, p inspect.Principal, target inspect.PhotoTarget) error {
	_, err := photoTarget(ctx, s.db.Pool, p, inspect.Photo{InspectionID: target.InspectionID, ItemCode: target.ItemCode, HazardID: target.HazardID})
	return err
}

// samePhoto reports whether a stored photo is the same upload as ph: same bytes,
// same target.
func samePhoto(stored PhotoRecord, ph inspect.Photo) bool {
	return stored.SHA256 == ph.SHA256 && stored.InspectionID == ph.InspectionID &&
		stored.ItemCode == ph.ItemCode && stored.HazardID == ph.HazardID
}

// SavePhoto stores a checked photo: the original (read from original) at
// PhotoKey and the thumbnail at ThumbKey, then the row, committed only after both
// objects exist. It returns the stored photo and whether this call created it.
//
// The same UUID with the same bytes and target again returns the stored photo and
// created false, writing nothing (an idempotent retry); the same UUID with other
// bytes or another target is a conflict. When the row cannot be inserted, objects
// this call wrote that no row references are deleted again, so that a failed
// upload leaves nothing behind. A crash between writing the objects and the
// commit can still leave an unreferenced object (never a row without its
// objects): the upload is recorded in photo_uploads before any object is written
// and the record is deleted with the commit, so SweepOrphanPhotos finds exactly
// those uploads.
func (s *PhotoService) SavePhoto(ctx context.Context, p inspect.Principal, ph inspect.Photo, original io.Reader, thumbnail []byte) (inspect.Photo, bool, error) {
	rec, err := photoTarget(ctx, s.db.Pool, p, ph)
	if err != nil {
		return inspect.Photo{}, false, err
	}
	rec.UploadedBy, rec.UploadedAt = p.User.ID, s.now()
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO photo_uploads (photo_id, sha256, started_at) VALUES ($1, $2, $3)
		ON CONFLICT (photo_id, sha256) DO UPDATE SET started_at = EXCLUDED.started_at`, rec.ID, rec.SHA256, rec.UploadedAt); err != nil {
		return inspect.Photo{}, false, fmt.Errorf("record upload of photo %s: %w", rec.ID, err)
	}
	created := false
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if created, err = s.savePhotoTx(ctx, tx, &rec, original, thumbnail); err != nil {
			return err // the upload record stays for the sweeper
		}
		_, err = tx.Exec(ctx, `DELETE FROM photo_uploads WHERE photo_id = $1 AND sha256 = $2`, rec.ID, rec.SHA256)
		return err
	})
	if err != nil {
		return inspect.Photo{}, false, err
	}
	return rec.Photo, created, nil
}

// savePhotoTx is SavePhoto's transaction: it stores the objects and the row of rec,
// or finds rec already stored (an idempotent retry, rec then becomes the stored
// photo), and reports whether this call inserted the row.
func (s *base) savePhotoTx(ctx context.Context, tx pgx.Tx, rec *PhotoRecord, original io.Reader, thumbnail []byte) (created bool, err error) {
	// Uploads of the same bytes serialise here, so that the clean-up of one
	// cannot delete an object another is about to reference.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, rec.SHA256); err != nil {
		return false, err
	}
	stored, err := photoByID(ctx, tx, rec.ID.String())
	switch {
	case err == nil && samePhoto(stored, rec.Photo):
		*rec = stored
		return false, nil
	case err == nil:
		return false, photoConflict(rec.ID.String())
	case inspect.ErrorCode(err) != inspect.ENOTFOUND:
		return false, err
	}
	wrote, err := s.putPhotoObjects(ctx, *rec, original, thumbnail)
	if err == nil {
		err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			if err := insertPhoto(ctx, sp, *rec); err != nil {
				return err
			}
			// Every stored photo gets its analysis job in the same transaction as its row.
			if s.queue != nil {
				return s.queue.AnalysePhoto(ctx, sp, *rec)
			}
			return nil
		})
	}
	if err != nil {
		if cerr := s.removeUnreferenced(ctx, tx, rec.SHA256, wrote); cerr != nil {
			return false, fmt.Errorf("%w (and clean-up failed: %v)", err, cerr)
		}
		if isUniqueViolation(err) {
			return false, photoConflict(rec.ID.String())
		}
		return false, err
	}
	return true, nil
}

func photoConflict(id string) error {
	return inspect.Errorf(inspect.ECONFLICT, "photo %s was already uploaded with other content or for something else; generate a new UUID for a new photo", id)
}

// putPhotoObjects writes the original and the thumbnail unless they exist already
// (the same bytes uploaded before) and returns the keys it wrote.
func (s *base) putPhotoObjects(ctx context.Context, rec PhotoRecord, original io.Reader, thumbnail []byte) ([]string, error) {
	return s.putObjects(ctx,
		object{PhotoKey(rec.SHA256), string(rec.Type), original, rec.Size, rec.SHA256},
		object{ThumbKey(rec.SHA256), "image/jpeg", bytes.NewReader(thumbnail), int64(len(thumbnail)), ""})
}

// object is one object for putObjects to write: want is the SHA-256 its bytes must
// have ("" when the caller has not computed it).
type object struct {
	key, contentType string
	r                io.Reader
	size             int64
	want             string
}

// putObjects writes every object that does not exist yet and returns the keys it
// wrote. It is the one way photo bytes reach the bucket: originals, thumbnails and
// annotated copies. Each write is conditional (PutIfAbsent): one request an
// object instead of a Stat before each Put, at the price of sending the bytes of
// an original that is already stored (the same photo uploaded again), which is rare.
func (s *base) putObjects(ctx context.Context, objects ...object) ([]string, error) {
	var wrote []string
	for _, o := range objects {
		sum, created, err := s.objects.PutIfAbsent(ctx, o.key, o.r, o.size, o.contentType)
		if err != nil {
			return wrote, err
		}
		if !created {
			continue
		}
		wrote = append(wrote, o.key)
		if o.want != "" && sum != o.want {
			return wrote, fmt.Errorf("stored photo %s has sha256 %s, want %s", o.key, sum, o.want)
		}
	}
	return wrote, nil
}

// removeUnreferenced deletes the objects in keys when no photo row uses sha256.
func (s *base) removeUnreferenced(ctx context.Context, tx pgx.Tx, sha256 string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1)`, sha256).Scan(&used); err != nil {
		return err
	}
	if used {
		return nil
	}
	for _, k := range keys {
		if err := s.objects.Delete(context.WithoutCancel(ctx), k); err != nil {
			return err
		}
	}
	return nil
}

func insertPhoto(ctx context.Context, tx pgx.Tx, r PhotoRecord) error {
	var inspection, hazard *int64
	var item *string
	if r.InspectionID != 0 {
		inspection, item = &r.InspectionID, &r.ItemCode
	}
	if r.HazardID != 0 {
		hazard = &r.HazardID
	}
	_, err := tx.Exec(ctx, `INSERT INTO photos (id, sha256, type, size, width, height, exif, site_id, inspection_id, item_code,
		hazard_id, location, ai_checks, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.SHA256, r.Type, r.Size, r.Width, r.Height, r.EXIF, r.SiteID, inspection, item, hazard,
		r.Location, nonNil(r.AIChecks), r.UploadedBy, r.UploadedAt)
	return err
}

// canSeePhoto: a photo is visible to whoever may see the hazard it belongs to (its
// own, or the one its item led to), or the inspection it was taken in.
func canSeePhoto(ctx context.Context, q querier, p inspect.Principal, rec PhotoRecord) (bool, error) {
	hazardID := rec.HazardID
	if hazardID == 0 && rec.InspectionID != 0 {
		if it, err := itemByCode(ctx, q, rec.InspectionID, rec.ItemCode, false); err == nil && it.HazardID != nil {
			hazardID = *it.HazardID
		}
	}
	if hazardID == 0 {
		// A photo whose AI flag was confirmed is evidence of the hazard it led to.
		err := q.QueryRow(ctx, `SELECT COALESCE(min(hazard_id), 0) FROM ai_flags WHERE photo_id = $1`, rec.ID).Scan(&hazardID)
		if err != nil {
			return false, fmt.Errorf("hazard of photo %s: %w", rec.ID, err)
		}
	}
	if hazardID != 0 {
		h, err := hazardByID(ctx, q, hazardID, false)
		if err != nil {
			return false, err
		}
		if p.CanSeeHazard(h.Hazard) {
			return true, nil
		}
	}
	if rec.InspectionID != 0 {
		insp, err := inspectionByID(ctx, q, rec.InspectionID, false)
		if err != nil {
			return false, err
		}
		site, err := siteByID(ctx, q, insp.SiteID, false)
		if err != nil {
			return false, err
		}
		return p.CanSeeInspection(insp, site), nil
	}
	return false, nil
}

// Photo returns the photo's metadata if the principal may see it.
func (s *PhotoService) Photo(ctx context.Context, p inspect.Principal, id string) (inspect.Photo, error) {
	return s.visiblePhoto(ctx, p, id)
}

// visiblePhoto reads photo id; not_found unless the principal may see it.
func (s *base) visiblePhoto(ctx context.Context, p inspect.Principal, id string) (inspect.Photo, error) {
	rec, err := photoByID(ctx, s.db.Pool, id)
	if err != nil {
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return inspect.Photo{}, notVisible("photo", id)
		}
		return inspect.Photo{}, err
	}
	ok, err := canSeePhoto(ctx, s.db.Pool, p, rec)
	if err != nil {
		return inspect.Photo{}, err
	}
	if !ok {
		return inspect.Photo{}, notVisible("photo", id)
	}
	return rec.Photo, nil
}

// OpenPhoto opens the photo's original or thumbnail for reading, if the principal
// may see it, with its content type and size.
func (s *PhotoService) OpenPhoto(ctx context.Context, p inspect.Principal, id string, thumbnail bool) (io.ReadCloser, string, int64, error) {
	ph, err := s.Photo(ctx, p, id)
	if err != nil {
		return nil, "", 0, err
	}
	key := PhotoKey(ph.SHA256)
	if thumbnail {
		key = ThumbKey(ph.SHA256)
	}
	rc, info, err := s.objects.Get(ctx, key)
	if err != nil {
		return nil, "", 0, fmt.Errorf("open photo %s: %w", id, err)
	}
	return rc, info.ContentType, info.Size, nil
}

// OpenOriginal opens the original bytes of the photo with content hash sha256,
// without access checks: for the analysis job and the dataset export.
func (s *PhotoService) OpenOriginal(ctx context.Context, sha256 string) (io.ReadCloser, error) {
	rc, _, err := s.objects.Get(ctx, PhotoKey(sha256))
	if err != nil {
		return nil, fmt.Errorf("open photo %s: %w", sha256, err)
	}
	return rc, nil
}

// PhotoConsistency compares photo rows with the objects in the store: rows whose
// original or thumbnail is missing, and photo or thumbnail objects no row refers
// to (left by a crash between the object write and the commit).
func (s *PhotoService) PhotoConsistency(ctx context.Context) (rowsWithoutObjects, orphanObjects []string, err error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT sha256 FROM photos`)
	if err != nil {
		return nil, nil, err
	}
	shas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	for _, sha := range shas {
		known[PhotoKey(sha)], known[ThumbKey(sha)] = true, true
	}
	present := map[string]bool{}
	for _, prefix := range []string{"photos/", "thumbs/"} {
		keys, err := s.objects.Keys(ctx, prefix)
		if err != nil {
			return nil, nil, err
		}
		for _, k := range keys {
			present[k] = true
			if !known[k] {
				orphanObjects = append(orphanObjects, k)
			}
		}
	}
	for _, sha := range shas {
		for _, k := range []string{PhotoKey(sha), ThumbKey(sha)} {
			if !present[k] {
				rowsWithoutObjects = append(rowsWithoutObjects, k)
			}
		}
	}
	return rowsWithoutObjects, orphanObjects, nil
}

// SweepOrphanPhotos finishes the uploads recorded in photo_uploads that started
// more than olderThan ago and never committed (the process died between writing
// the objects and the commit): under the same per-hash lock an upload holds, it
// deletes their objects unless a photo row uses the same bytes, and drops the
// record. It reads only those records, never a listing of the bucket, and returns
// the keys it deleted.
func (s *PhotoService) SweepOrphanPhotos(ctx context.Context, olderThan time.Duration) ([]string, error) {
	type upload struct {
		PhotoID string
		SHA256  string
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT photo_id::text, sha256 FROM photo_uploads
		WHERE started_at < $1 ORDER BY started_at LIMIT 1000`, s.now().Add(-olderThan))
	stale, err := collectAll[upload](rows, err)
	if err != nil {
		return nil, fmt.Errorf("read unfinished uploads: %w", err)
	}
	var deleted []string
	for _, u := range stale {
		err := s.db.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, u.SHA256); err != nil {
				return err
			}
			var used bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1)`, u.SHA256).Scan(&used); err != nil {
				return err
			}
			if !used {
				for _, key := range []string{PhotoKey(u.SHA256), ThumbKey(u.SHA256)} {
					if _, err := s.objects.Stat(ctx, key); inspect.ErrorCode(err) == inspect.ENOTFOUND {
						continue
					}
					if err := s.objects.Delete(ctx, key); err != nil {
						return err
					}
					deleted = append(deleted, key)
				}
			}
			_, err := tx.Exec(ctx, `DELETE FROM photo_uploads WHERE photo_id = $1 AND sha256 = $2`, u.PhotoID, u.SHA256)
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("sweep upload of photo %s: %w", u.PhotoID, err)
		}
	}
	return deleted, nil
}
