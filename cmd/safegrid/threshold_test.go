package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/modeltest"
	"github.com/safegrid/safegrid/storage/jobs"
)

// TestAcceptedLevelsApplyToNewAnalyses runs the analysis job with a model that sees
// an e-bike at a score between the default levels: its flags need review. Once the
// office has confirmed 20 of them and an admin accepts the levels they propose for
// the corridor, the same sighting on a new photo there is a flag.
func TestAcceptedLevelsApplyToNewAnalyses(t *testing.T) {
	city := generatedDetector(t, "city_ebikes", []string{"ebike", "charger"},
		[]modeltest.Box{{Class: 0, Score: 0.5, CX: 32, CY: 32, W: 40, H: 40}},
		"checks:\n  two_wheeler_indoor: {classes: [ebike]}\n")
	ctx := context.Background()
	fx := newAnalysisFixture(t)
	item := startedCorridorItem(t, fx)
	w := jobs.NewAnalysePhotoWorker(fx.svc.Photos, city, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	flagOf := func(id uuid.UUID) inspect.AIFlag {
		t.Helper()
		fs, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, id)
		if err != nil || len(fs) != 1 || fs[0].Code != inspect.CheckTwoWheelerIndoor {
			t.Fatalf("flags of photo %s: %+v, %v; want one two_wheeler_indoor", id, fs, err)
		}
		return fs[0]
	}

	const decided = inspect.MinThresholdDecisions
	var score float32
	for i := range decided {
		f := flagOf(analyseItemPhoto(t, fx, w, item, uint8(60+i)))
		if f.Status != models.StatusNeedsReview || f.Score >= inspect.DefaultFlagScore {
			t.Fatalf("at the default levels: flag %+v, want needs_review below %v", f, inspect.DefaultFlagScore)
		}
		score = f.Score
		if _, err := fx.svc.Flags.ReviewFlag(ctx, fx.admin, f.ID, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := fx.svc.Flags.AcceptThreshold(ctx, fx.admin, inspect.CheckTwoWheelerIndoor, item.Location, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Levels.Flag != score || ch.FlagEvidence.Decisions != decided || ch.FlagEvidence.Confirmed != decided || ch.AcceptedBy != fx.admin.User.ID {
		t.Fatalf("accepted %+v; want the flag level at the confirmed flags' score %v", ch, score)
	}

	f := flagOf(analyseItemPhoto(t, fx, w, item, 200))
	if f.Status != models.StatusFlag || f.Score != score {
		t.Errorf("after the acceptance the same sighting raised %+v; want a flag", f)
	}
}
