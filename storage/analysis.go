package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// annotatedKey is the object key of a photo's annotated copy (boxes and labels drawn).
func annotatedKey(photoID uuid.UUID) string { return "annotated/" + photoID.String() + ".jpg" }

// AnalysisTarget is what the analysis job needs to know about a photo.
type AnalysisTarget struct {
	Photo    PhotoRecord
	RuleCode string // the checklist item's rule, or the hazard's rule for proof photos
	Analysed bool   // an analysis is already stored: the job has nothing to do
}

// PhotoForAnalysis reads the photo the analysis job is about.
func (s *PhotoService) PhotoForAnalysis(ctx context.Context, id uuid.UUID) (AnalysisTarget, error) {
	rec, err := photoByID(ctx, s.db.Pool, id.String())
	if err != nil {
		return AnalysisTarget{}, err
	}
	t := AnalysisTarget{Photo: rec, RuleCode: rec.ItemCode}
	err = s.db.Pool.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM photo_analyses WHERE photo_id = $1),
			COALESCE((SELECT rule_code FROM hazards WHERE id = $2), '')`, id, rec.HazardID).Scan(&t.Analysed, &t.RuleCode)
	if err != nil {
		return AnalysisTarget{}, fmt.Errorf("read analysis state of photo %s: %w", id, err)
	}
	if rec.ItemCode != "" {
		t.RuleCode = rec.ItemCode
	}
	return t, nil
}

// Analysis is what the detector made of one photo.
type Analysis struct {
	PhotoID     uuid.UUID
	ModelName   string
	ModelSHA256 string
	Width       int
	Height      int
	Detections  json.RawMessage
	Annotated   []byte // the annotated copy, a JPEG (nil: none)
	AnalysedAt  time.Time
	// Shadow is what candidate models running in shadow made of the same photo.
	Shadow []ShadowAnalysis
	// ProofChecks compare a proof photo with its hazard's evidence photos.
	ProofChecks []inspect.ProofCheck
}

// SaveAnalysis stores an analysis and its flags, its proof checks and its shadow analyses, in one
// transaction, after writing its annotated copy (when a.Annotated is given) the way
// originals and thumbnails are written. A second save for the same photo (a retried job) changes nothing.
func (s *PhotoService) SaveAnalysis(ctx context.Context, a Analysis, siteID int64, ruleCode string, flags []inspect.AIFlag) error {
	key := ""
	if a.Annotated != nil {
		key = annotatedKey(a.PhotoID)
		if _, err := s.putObjects(ctx, object{key, "image/jpeg", bytes.NewReader(a.Annotated), int64(len(a.Annotated)), ""}); err != nil {
			return fmt.Errorf("store annotated copy of photo %s: %w", a.PhotoID, err)
		}
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO photo_analyses (photo_id, model_name, model_sha256, width, height, detections, annotated_key, analysed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (photo_id) DO NOTHING`,
			a.PhotoID, a.ModelName, a.ModelSHA256, a.Width, a.Height, a.Detections, key, a.AnalysedAt)
		if err != nil {
			return fmt.Errorf("store analysis of photo %s: %w", a.PhotoID, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		for _, f := range flags {
			if err := insertFlag(ctx, tx, a.PhotoID, siteID, ruleCode, f, a.ModelName, a.ModelSHA256); err != nil {
				return err
			}
		}
		if err := saveProofChecks(ctx, tx, a.PhotoID, a.ProofChecks); err != nil {
			return err
		}
		return saveShadow(ctx, tx, a.PhotoID, a.AnalysedAt, a.Shadow)
	})
}

func insertFlag(ctx context.Context, tx pgx.Tx, photoID uuid.UUID, siteID int64, ruleCode string, f inspect.AIFlag, model, modelSHA string) error {
	boxes, err := json.Marshal(f.Boxes)
	if err != nil {
		return fmt.Errorf("encode flag boxes: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO ai_flags (photo_id, site_id, rule_code, code, status, score, boxes, reason, manual, model_name, model_sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (photo_id, code) DO NOTHING`,
		photoID, siteID, ruleCode, f.Code, f.Status, f.Score, boxes, f.Reason, f.Manual, model, modelSHA)
	if err != nil {
		return fmt.Errorf("store flag %s of photo %s: %w", f.Code, photoID, err)
	}
	return nil
}

// AddManualFlag records a hazard an inspector saw on their own photo that the model
// cannot see (cardboard boxes, a charging cable). It enters the review queue like a
// model's flag.
func (s *FlagService) AddManualFlag(ctx context.Context, p inspect.Principal, photoID uuid.UUID, f inspect.AIFlag) (inspect.AIFlag, error) {
	var out inspect.AIFlag
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		rec, err := photoByID(ctx, tx, photoID.String())
		if err != nil {
			return notVisible("photo", photoID)
		}
		ok, err := canSeePhoto(ctx, tx, p, rec)
		if err != nil {
			return err
		}
		if !ok {
			return notVisible("photo", photoID)
		}
		if p.User.ID != rec.UploadedBy && !p.CanReview() {
			return forbidden("only the inspector who took photo %s or the safety office adds flags to it", photoID)
		}
		rule := rec.ItemCode
		if rule == "" {
			if err := tx.QueryRow(ctx, `SELECT rule_code FROM hazards WHERE id = $1`, rec.HazardID).Scan(&rule); err != nil {
				return mapPgError(err, "hazard")
			}
		}
		f.Manual = true
		if err := insertFlag(ctx, tx, photoID, rec.SiteID, rule, f, "manual", ""); err != nil {
			return err
		}
		out, err = flagByPhotoCode(ctx, tx, photoID, f.Code)
		return err
	})
	return out, err
}

// flagBase are the columns of an AI flag; flagColumns adds none for
// recorded_hazard_id, queueFlagColumns works it out for a pending flag (three
// primary-key lookups a row: only the review queue shows it).
const flagBase = `f.id, f.photo_id, f.site_id, f.rule_code, f.code, f.status, f.score, f.boxes, f.reason, f.manual,
	f.model_name, f.model_sha256, f.review, COALESCE(f.reviewed_by, 0) AS reviewed_by,
	COALESCE(f.reviewed_at, 'epoch') AS reviewed_at, f.reject_reason, COALESCE(f.hazard_id, 0) AS hazard_id, f.created_at`

const flagColumns = flagBase + `, 0::bigint AS recorded_hazard_id`

const queueFlagColumns = flagBase + `,
	CASE WHEN f.review = 'pending' THEN COALESCE((SELECT h.id FROM photos ph
		LEFT JOIN inspection_items ii ON ii.inspection_id = ph.inspection_id AND ii.code = ph.item_code
		JOIN hazards h ON h.id = COALESCE(ph.hazard_id, ii.hazard_id)
		WHERE ph.id = f.photo_id AND h.rule_code = f.rule_code), 0) ELSE 0 END AS recorded_hazard_id`

// flagRow scans boxes from jsonb.
type flagRow struct {
	ID               int64
	PhotoID          uuid.UUID
	SiteID           int64
	RuleCode         string
	Code             string
	Status           string
	Score            float32
	Boxes            []inspect.FlagBox
	Reason           string
	Manual           bool
	ModelName        string
	ModelSHA256      string
	Review           string
	ReviewedBy       int64
	ReviewedAt       time.Time
	RejectReason     string
	HazardID         int64
	CreatedAt        time.Time
	RecordedHazardID int64
}

func (r flagRow) flag() inspect.AIFlag {
	f := inspect.AIFlag(r)
	if f.ReviewedAt.Equal(time.Unix(0, 0)) {
		f.ReviewedAt = time.Time{}
	}
	return f
}

func flagByPhotoCode(ctx context.Context, q querier, photoID uuid.UUID, code string) (inspect.AIFlag, error) {
	rows, err := q.Query(ctx, `SELECT `+flagColumns+` FROM ai_flags f WHERE f.photo_id = $1 AND f.code = $2`, photoID, code)
	r, err := collectOne[flagRow](rows, err, "flag")
	return r.flag(), err
}

// visibleFlag reads flag id if the principal reviews flags of its site's grid.
func visibleFlag(ctx context.Context, tx querier, p inspect.Principal, id int64, lock bool) (inspect.AIFlag, inspect.Site, error) {
	r, err := queryOne[flagRow](ctx, tx, lock, fmt.Sprintf("flag %d", id), `SELECT `+flagColumns+` FROM ai_flags f WHERE f.id = $1`, id)
	if err != nil {
		return inspect.AIFlag{}, inspect.Site{}, err
	}
	site, err := siteByID(ctx, tx, r.SiteID, false)
	if err != nil {
		return inspect.AIFlag{}, inspect.Site{}, err
	}
	if !p.CanReview() || !p.CanSeeSite(site) {
		return inspect.AIFlag{}, inspect.Site{}, notVisible("flag", id)
	}
	return r.flag(), site, nil
}

// PhotoFlags lists the flags of one photo the principal may see, so the inspector
// who took it sees what the model found.
func (s *FlagService) PhotoFlags(ctx context.Context, p inspect.Principal, photoID uuid.UUID) ([]inspect.AIFlag, error) {
	if _, err := s.visiblePhoto(ctx, p, photoID.String()); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+flagColumns+` FROM ai_flags f WHERE f.photo_id = $1 ORDER BY f.id`, photoID)
	return collectAs(rows, err, flagRow.flag)
}

// OpenAnnotated opens the annotated copy of a photo the principal may see; not_found
// until the photo has been analysed.
func (s *PhotoService) OpenAnnotated(ctx context.Context, p inspect.Principal, photoID uuid.UUID) (io.ReadCloser, string, int64, error) {
	if _, err := s.visiblePhoto(ctx, p, photoID.String()); err != nil {
		return nil, "", 0, err
	}
	var key string
	err := s.db.Pool.QueryRow(ctx, `SELECT annotated_key FROM photo_analyses WHERE photo_id = $1`, photoID).Scan(&key)
	if err != nil {
		return nil, "", 0, mapPgError(err, "analysis of photo "+photoID.String())
	}
	rc, info, err := s.objects.Get(ctx, key)
	if err != nil {
		return nil, "", 0, fmt.Errorf("open annotated photo %s: %w", photoID, err)
	}
	return rc, info.ContentType, info.Size, nil
}

// LabelledExample is one reviewed photo with the model's detections and the
// decisions on its flags, for the retraining export.
type LabelledExample struct {
	PhotoID    uuid.UUID
	SHA256     string
	Type       string
	Width      int
	Height     int
	Detections json.RawMessage
	Confirmed  []inspect.AIFlag
	Rejected   []inspect.AIFlag
}

// LabelledExamples returns every analysed photo that has at least one decided flag.
func (s *FlagService) LabelledExamples(ctx context.Context) ([]LabelledExample, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT a.photo_id, p.sha256, p.type, a.width, a.height, a.detections
		FROM photo_analyses a JOIN photos p ON p.id = a.photo_id
		WHERE EXISTS (SELECT 1 FROM ai_flags f WHERE f.photo_id = a.photo_id AND f.review <> 'pending')
		ORDER BY p.uploaded_at, a.photo_id`)
	if err != nil {
		return nil, fmt.Errorf("read labelled examples: %w", err)
	}
	examples, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LabelledExample, error) {
		var e LabelledExample
		err := r.Scan(&e.PhotoID, &e.SHA256, &e.Type, &e.Width, &e.Height, &e.Detections)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read labelled examples: %w", err)
	}
	for i := range examples {
		rows, err := s.db.Pool.Query(ctx, `SELECT `+flagColumns+` FROM ai_flags f WHERE f.photo_id = $1 AND f.review <> 'pending' ORDER BY f.id`, examples[i].PhotoID)
		fs, err := collectAll[flagRow](rows, err)
		if err != nil {
			return nil, err
		}
		for _, r := range fs {
			if r.Review == inspect.ReviewConfirmed {
				examples[i].Confirmed = append(examples[i].Confirmed, r.flag())
			} else {
				examples[i].Rejected = append(examples[i].Rejected, r.flag())
			}
		}
	}
	return examples, nil
}
