package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// maxEvidencePhotos bounds how many evidence photos one proof photo is compared with.
const maxEvidencePhotos = 8

// EvidencePhoto is a photo that shows a hazard as found, with the AI flags that show
// it: those confirmed into the hazard, or else those of its item's checks that were
// not rejected.
type EvidencePhoto struct {
	Photo PhotoRecord
	Flags []inspect.AIFlag
}

// ProofEvidence is what the analysis job compares a hazard's proof photo with.
type ProofEvidence struct {
	Photos []EvidencePhoto
	// SiteLat and SiteLng are the site's position (both 0: unknown).
	SiteLat, SiteLng float64
	// HazardAt is when the hazard was recorded.
	HazardAt time.Time
}

// ProofEvidence reads the evidence photos of hazard id — the photos of the
// checklist item that led to it and those whose flags were confirmed into it, not
// the photos uploaded to the hazard itself — with their flags, the site's position
// and when the hazard was recorded.
func (s *PhotoService) ProofEvidence(ctx context.Context, hazardID int64) (ProofEvidence, error) {
	var ev ProofEvidence
	err := s.db.Pool.QueryRow(ctx, `SELECT s.lat, s.lng, h.created_at FROM hazards h JOIN sites s ON s.id = h.site_id WHERE h.id = $1`, hazardID).
		Scan(&ev.SiteLat, &ev.SiteLng, &ev.HazardAt)
	if err != nil {
		return ev, mapPgError(err, fmt.Sprintf("hazard %d", hazardID))
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+photoColumns+` FROM photos p
		WHERE p.hazard_id IS NULL
		  AND ((p.inspection_id, p.item_code) IN (SELECT inspection_id, code FROM inspection_items WHERE hazard_id = $1)
		       OR p.id IN (SELECT photo_id FROM ai_flags WHERE hazard_id = $1))
		ORDER BY p.uploaded_at, p.id LIMIT $2`, hazardID, maxEvidencePhotos)
	photos, err := collectAll[PhotoRecord](rows, err)
	if err != nil {
		return ev, fmt.Errorf("read evidence photos of hazard %d: %w", hazardID, err)
	}
	for _, ph := range photos {
		// The flags confirmed into this hazard are the hazard; a photo without one
		// (the inspector recorded the finding) offers its item's checks it was not
		// cleared of.
		rows, err := s.db.Pool.Query(ctx, `SELECT `+flagColumns+` FROM ai_flags f
			WHERE f.photo_id = $1 AND CASE WHEN EXISTS (SELECT 1 FROM ai_flags WHERE photo_id = $1 AND hazard_id = $2)
				THEN f.hazard_id = $2
				ELSE f.review <> 'rejected' AND f.code = ANY($3) END
			ORDER BY f.id`, ph.ID, hazardID, nonNil(ph.AIChecks))
		flags, err := collectAs(rows, err, flagRow.flag)
		if err != nil {
			return ev, fmt.Errorf("read flags of evidence photo %s: %w", ph.ID, err)
		}
		ev.Photos = append(ev.Photos, EvidencePhoto{Photo: ph, Flags: flags})
	}
	return ev, nil
}

// saveProofChecks stores the proof checks of an analysed proof photo.
func saveProofChecks(ctx context.Context, tx pgx.Tx, photoID uuid.UUID, checks []inspect.ProofCheck) error {
	for _, c := range checks {
		_, err := tx.Exec(ctx, `INSERT INTO proof_checks (proof_photo_id, evidence_photo_id, hazard_id, verdict,
				same_place_score, still_present_score, reasons, model_name, checked_at)
			SELECT $1, $2, p.hazard_id, $3, $4, $5, $6, $7, $8 FROM photos p WHERE p.id = $1 AND p.hazard_id IS NOT NULL
			ON CONFLICT DO NOTHING`,
			photoID, c.EvidencePhotoID, c.Verdict, c.SamePlaceScore, c.StillPresentScore, nonNil(c.Reasons), c.ModelName, c.CheckedAt)
		if err != nil {
			return fmt.Errorf("store proof check of photo %s against %s: %w", photoID, c.EvidencePhotoID, err)
		}
	}
	return nil
}

// proofChecksOf reads the proof checks of a hazard, oldest first.
func proofChecksOf(ctx context.Context, q querier, hazardID int64) ([]inspect.ProofCheck, error) {
	rows, err := q.Query(ctx, `SELECT proof_photo_id, evidence_photo_id, verdict, same_place_score, still_present_score,
			reasons, model_name, checked_at
		FROM proof_checks WHERE hazard_id = $1 ORDER BY checked_at, proof_photo_id, evidence_photo_id`, hazardID)
	return collectAll[inspect.ProofCheck](rows, err)
}
