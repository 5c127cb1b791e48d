package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/storage"
)

// analysePhotoArgs is the job that runs the detector on one uploaded photo. It is
// enqueued in the transaction that inserts the photo row, so every stored photo gets
// exactly one analysis and no analysis exists without its photo.
type analysePhotoArgs struct {
	PhotoID uuid.UUID `json:"photo_id"`
}

// Kind names the job for River.
func (analysePhotoArgs) Kind() string { return "analyse_photo" }

// InsertOpts bounds the retries: a photo that cannot be analysed after a few tries
// stays stored and reviewable by people; only its analysis is given up.
func (analysePhotoArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// analysePhotoWorker decodes the photo, runs the detector, maps detections to flags
// with the checklist item's location and AI checks, stores an annotated copy and
// then the detections and flags. Re-running it for an analysed photo does nothing.
type analysePhotoWorker struct {
	river.WorkerDefaults[analysePhotoArgs]
	store    *storage.Store
	detector *models.Detector
	log      *slog.Logger
}

// Timeout gives one analysis enough time on a busy machine.
func (w *analysePhotoWorker) Timeout(*river.Job[analysePhotoArgs]) time.Duration {
	return 2 * time.Minute
}

// Work analyses one photo.
func (w *analysePhotoWorker) Work(ctx context.Context, job *river.Job[analysePhotoArgs]) error {
	t, err := w.store.PhotoForAnalysis(ctx, job.Args.PhotoID)
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return river.JobCancel(fmt.Errorf("photo %s no longer exists", job.Args.PhotoID))
	}
	if err != nil {
		return err
	}
	if t.Analysed {
		return nil
	}
	rc, _, err := w.store.Objects.Get(ctx, storage.PhotoKey(t.Photo.SHA256))
	if err != nil {
		return fmt.Errorf("read photo %s: %w", t.Photo.ID, err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read photo %s: %w", t.Photo.ID, err)
	}
	dets, bounds, err := w.detector.DetectBytes(ctx, data)
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
	flags := models.MapFlags(dets, width, height, t.Photo.Location, checks)

	annotated, err := photo.AnnotatedJPEG(data, models.Annotation(dets, flags))
	if err != nil {
		return fmt.Errorf("annotate photo %s: %w", t.Photo.ID, err)
	}
	detJSON, err := json.Marshal(dets)
	if err != nil {
		return fmt.Errorf("encode detections: %w", err)
	}
	a := storage.Analysis{
		PhotoID: t.Photo.ID, ModelName: w.detector.Name(), ModelSHA256: w.detector.SHA256(),
		Width: width, Height: height, Detections: detJSON, Annotated: annotated, AnalysedAt: time.Now().UTC(),
	}
	if err := w.store.SaveAnalysis(ctx, a, t.Photo.SiteID, t.RuleCode, flagsOf(flags, dets)); err != nil {
		return err
	}
	w.log.Info("photo analysed", "photo_id", t.Photo.ID, "detections", len(dets), "flags", len(flags), "location", t.Photo.Location)
	return nil
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

// enqueueAnalysis returns the hook the store runs inside the photo-insert
// transaction: it inserts the analysis job with InsertTx in that transaction.
func enqueueAnalysis(jobs *river.Client[pgx.Tx]) func(context.Context, pgx.Tx, storage.PhotoRecord) error {
	return func(ctx context.Context, tx pgx.Tx, p storage.PhotoRecord) error {
		if _, err := jobs.InsertTx(ctx, tx, analysePhotoArgs{PhotoID: p.ID}, nil); err != nil {
			return fmt.Errorf("enqueue analysis of photo %s: %w", p.ID, err)
		}
		return nil
	}
}
