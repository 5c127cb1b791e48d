package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/storage"
)

// Detector finds objects in a photo; *models.Detector is one.
type Detector interface {
	// Name and SHA256 identify the model, recorded with each analysis.
	Name() string
	SHA256() string
	// DetectBytes decodes the photo and returns its detections and the bounds of
	// the upright photo.
	DetectBytes(ctx context.Context, data []byte) ([]models.Detection, image.Rectangle, error)
	// MapFlagsAt evaluates the model's hazard checks (its manifest maps its classes
	// to them) on the detections of one photo, with the given score levels (by check
	// code) in place of the table's.
	MapFlagsAt(levels map[string]inspect.ScoreLevels, dets []models.Detection, imgW, imgH int, location string, checks []string) []models.Flag
}

// AnalysePhotoWorker decodes the photo, runs the detector, maps detections to flags
// with the checklist item's location and AI checks, stores an annotated copy and
// then the detections and flags. The active model maps with the score levels an
// admin accepted for the photo's place (learned from review), where there are any.
// With a candidate model configured it runs that too, in shadow: its flags are
// stored with the analysis but apart from the review queue.
// A proof photo (uploaded to a hazard) is compared with the hazard's evidence photos
// too (proofChecks); the verdicts are stored with its analysis.
// Which of the two is active follows the promotion in force (an admin's). Re-running
// it for an analysed photo does nothing.
type AnalysePhotoWorker struct {
	river.WorkerDefaults[AnalysePhotoArgs]
	photos    *storage.PhotoService
	detector  Detector
	candidate Detector // nil: no shadow model
	log       *slog.Logger
}

// NewAnalysePhotoWorker returns the analysis worker for the configured model d and
// candidate (nil for none).
func NewAnalysePhotoWorker(photos *storage.PhotoService, d, candidate Detector, log *slog.Logger) *AnalysePhotoWorker {
	return &AnalysePhotoWorker{photos: photos, detector: d, candidate: candidate, log: log}
}

// roles returns the active model and the shadow one (nil for none): the configured
// roles, swapped while a promotion of the candidate is in force.
func (w *AnalysePhotoWorker) roles(ctx context.Context) (active, shadow Detector, err error) {
	if w.candidate == nil {
		return w.detector, nil, nil
	}
	sha, ok, err := w.photos.PromotedModel(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ok && sha == w.candidate.SHA256() && sha != w.detector.SHA256() {
		return w.candidate, w.detector, nil
	}
	return w.detector, w.candidate, nil
}

// Timeout gives one analysis enough time on a busy machine.
func (w *AnalysePhotoWorker) Timeout(*river.Job[AnalysePhotoArgs]) time.Duration {
	return 2 * time.Minute
}

// Work analyses one photo.
func (w *AnalysePhotoWorker) Work(ctx context.Context, job *river.Job[AnalysePhotoArgs]) error {
	t, err := w.photos.PhotoForAnalysis(ctx, job.Args.PhotoID)
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return river.JobCancel(fmt.Errorf("photo %s no longer exists", job.Args.PhotoID))
	}
	if err != nil {
		return err
	}
	if t.Analysed {
		return nil
	}
	rc, err := w.photos.OpenOriginal(ctx, t.Photo.SHA256)
	if err != nil {
		return fmt.Errorf("read photo %s: %w", t.Photo.ID, err)
	}
	// Read into one buffer of the photo's size: io.ReadAll would grow and copy a
	// 12 MP photo's 3–5 MB several times.
	var buf bytes.Buffer
	buf.Grow(int(t.Photo.Size) + bytes.MinRead)
	_, err = buf.ReadFrom(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read photo %s: %w", t.Photo.ID, err)
	}
	data := buf.Bytes()
	active, shadow, err := w.roles(ctx)
	if err != nil {
		return err
	}
	dets, bounds, err := active.DetectBytes(ctx, data)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// The upload already decoded this photo; a failure here will not go away.
		return river.JobCancel(fmt.Errorf("analyse photo %s: %w", t.Photo.ID, err))
	}
	width, height := bounds.Dx(), bounds.Dy()
	var checks []string
	if len(t.Photo.AIChecks) > 0 {
		checks = t.Photo.AIChecks
	}
	place, _ := models.NormalizeLocation(t.Photo.Location)
	levels, err := w.photos.LevelsAt(ctx, place)
	if err != nil {
		return err
	}
	flags := active.MapFlagsAt(levels, dets, width, height, t.Photo.Location, checks)

	annotated, err := photo.AnnotatedJPEG(data, models.Annotation(dets, flags))
	if err != nil {
		return fmt.Errorf("annotate photo %s: %w", t.Photo.ID, err)
	}
	detJSON, err := json.Marshal(dets)
	if err != nil {
		return fmt.Errorf("encode detections: %w", err)
	}
	a := storage.Analysis{
		PhotoID: t.Photo.ID, ModelName: active.Name(), ModelSHA256: active.SHA256(),
		Width: width, Height: height, Detections: detJSON, Annotated: annotated, AnalysedAt: time.Now().UTC(),
	}
	if t.Photo.HazardID != 0 {
		if a.ProofChecks, err = w.proofChecks(ctx, t, active, data, dets, width, height); err != nil {
			return err
		}
	}
	if shadow != nil {
		sh, err := shadowAnalysis(ctx, shadow, data, t.Photo.Location, checks)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// The candidate's failure must not hold up the active model's flags.
			w.log.Warn("shadow model failed on photo", "photo_id", t.Photo.ID, "model", shadow.Name(), "err", err)
		} else {
			a.Shadow = []storage.ShadowAnalysis{sh}
		}
	}
	if err := w.photos.SaveAnalysis(ctx, a, t.Photo.SiteID, t.RuleCode, flagsOf(flags, dets)); err != nil {
		return err
	}
	w.log.Info("photo analysed", "photo_id", t.Photo.ID, "detections", len(dets), "flags", len(flags), "location", t.Photo.Location)
	return nil
}

// shadowAnalysis runs the shadow model on the photo and maps its flags with its own
// check table at its own levels: the accepted levels were learned from the active
// model's flags.
func shadowAnalysis(ctx context.Context, d Detector, data []byte, location string, checks []string) (storage.ShadowAnalysis, error) {
	dets, bounds, err := d.DetectBytes(ctx, data)
	if err != nil {
		return storage.ShadowAnalysis{}, err
	}
	flags := d.MapFlagsAt(nil, dets, bounds.Dx(), bounds.Dy(), location, checks)
	detJSON, err := json.Marshal(dets)
	if err != nil {
		return storage.ShadowAnalysis{}, fmt.Errorf("encode detections: %w", err)
	}
	return storage.ShadowAnalysis{ModelName: d.Name(), ModelSHA256: d.SHA256(), Detections: detJSON, Flags: flagsOf(flags, dets)}, nil
}

// flagsOf turns the detector's flags into domain flags, naming each box's class.
func flagsOf(flags []models.Flag, dets []models.Detection) []inspect.AIFlag {
	out := make([]inspect.AIFlag, 0, len(flags))
	for _, f := range flags {
		af := inspect.AIFlag{Code: f.Code, Status: f.Status, Score: f.Score, Reason: f.Reason}
		for _, b := range f.Boxes {
			fb := inspect.FlagBox{X1: b.X1, Y1: b.Y1, X2: b.X2, Y2: b.Y2}
			for _, d := range dets {
				if d.Box == b {
					fb.Class, fb.Score = d.Class, d.Score
					break
				}
			}
			af.Boxes = append(af.Boxes, fb)
		}
		out = append(out, af)
	}
	return out
}
