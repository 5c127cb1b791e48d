package jobs

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"time"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/storage"
)

// proofChecks compares a proof photo (one uploaded to a hazard) with each evidence
// photo of the hazard: the scene, its GPS and time, and the evidence flags' checks run
// on the proof's detections. The verdicts are suggestions stored with the analysis.
// An evidence photo that cannot be read or decoded is logged and skipped; a failing
// read of the database is returned (the job retries).
func (w *AnalysePhotoWorker) proofChecks(ctx context.Context, t storage.AnalysisTarget, d Detector, data []byte, dets []models.Detection, width, height int) ([]inspect.ProofCheck, error) {
	ev, err := w.photos.ProofEvidence(ctx, t.Photo.HazardID)
	if err != nil {
		return nil, err
	}
	if len(ev.Photos) == 0 {
		return nil, nil
	}
	proofImg, err := smallCopy(data)
	if err != nil {
		return nil, fmt.Errorf("decode proof photo %s: %w", t.Photo.ID, err)
	}
	place := models.ProofPlace{HasSite: ev.SiteLat != 0 || ev.SiteLng != 0, Lat: ev.SiteLat, Lng: ev.SiteLng, HazardAt: ev.HazardAt}
	now := time.Now().UTC()
	var out []inspect.ProofCheck
	for _, e := range ev.Photos {
		evidence, err := w.evidenceSide(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			w.log.Warn("evidence photo skipped in the proof check", "proof_photo_id", t.Photo.ID, "evidence_photo_id", e.Photo.ID, "err", err)
			continue
		}
		var codes []string
		for _, f := range evidence.Flags {
			codes = append(codes, f.Code)
		}
		proof := models.ProofPhoto{Image: proofImg, Width: width, Height: height, EXIF: t.Photo.EXIF}
		if len(codes) > 0 {
			// The same checks at the same levels, whatever the proof photo's (empty)
			// location.
			at, _ := models.NormalizeLocation(e.Photo.Location)
			levels, err := w.photos.LevelsAt(ctx, at)
			if err != nil {
				return nil, err
			}
			proof.Flags = d.MapFlagsAt(levels, dets, width, height, e.Photo.Location, codes)
		}
		c := models.CompareProof(evidence, proof, place)
		out = append(out, inspect.ProofCheck{
			ProofPhotoID: t.Photo.ID, EvidencePhotoID: e.Photo.ID, Verdict: c.Verdict,
			SamePlaceScore: c.SamePlaceScore, StillPresentScore: c.StillPresentScore, Reasons: c.Reasons,
			ModelName: d.Name(), CheckedAt: now,
		})
		w.log.Info("proof checked", "proof_photo_id", t.Photo.ID, "evidence_photo_id", e.Photo.ID, "verdict", c.Verdict,
			"same_place", c.SamePlaceScore, "still_present", c.StillPresentScore)
	}
	return out, nil
}

// evidenceSide reads and decodes an evidence photo for the comparison, with its flags.
func (w *AnalysePhotoWorker) evidenceSide(ctx context.Context, e storage.EvidencePhoto) (models.ProofPhoto, error) {
	rc, err := w.photos.OpenOriginal(ctx, e.Photo.SHA256)
	if err != nil {
		return models.ProofPhoto{}, err
	}
	var buf bytes.Buffer
	buf.Grow(int(e.Photo.Size) + bytes.MinRead)
	_, err = buf.ReadFrom(rc)
	rc.Close()
	if err != nil {
		return models.ProofPhoto{}, fmt.Errorf("read evidence photo %s: %w", e.Photo.ID, err)
	}
	img, err := smallCopy(buf.Bytes())
	if err != nil {
		return models.ProofPhoto{}, fmt.Errorf("decode evidence photo %s: %w", e.Photo.ID, err)
	}
	// The flags' boxes are in the upright photo's full size.
	w0, h0 := e.Photo.Width, e.Photo.Height
	if e.Photo.EXIF.Orientation >= 5 {
		w0, h0 = h0, w0
	}
	p := models.ProofPhoto{Image: img, Width: w0, Height: h0, EXIF: e.Photo.EXIF}
	for _, f := range e.Flags {
		mf := models.Flag{Code: f.Code, Score: f.Score, Status: f.Status, Reason: f.Reason}
		for _, b := range f.Boxes {
			mf.Boxes = append(mf.Boxes, models.Rect{X1: b.X1, Y1: b.Y1, X2: b.X2, Y2: b.Y2})
		}
		p.Flags = append(p.Flags, mf)
	}
	return p, nil
}

// smallCopy decodes a photo at the proof check's size, upright, and copies it out of
// the decode budget at once: a decode must not be held while another waits for its
// share.
func smallCopy(data []byte) (image.Image, error) {
	dec, err := photo.Decode(data, models.ProofSide)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	return imaging.Fit(dec.Image, models.ProofSide, models.ProofSide, imaging.Box), nil
}
