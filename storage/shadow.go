package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// ShadowAnalysis is what a candidate model running in shadow made of a photo: its
// detections and the flags it would have raised. They are stored apart from the
// active model's (shadow_analyses, shadow_flags): never in the review queue, never a
// hazard.
type ShadowAnalysis struct {
	ModelName   string
	ModelSHA256 string
	Detections  json.RawMessage
	Flags       []inspect.AIFlag
}

// saveShadow stores the shadow analyses of one photo in tx; a repeated save changes
// nothing.
func saveShadow(ctx context.Context, tx pgx.Tx, photoID uuid.UUID, at time.Time, shadows []ShadowAnalysis) error {
	for _, sh := range shadows {
		tag, err := tx.Exec(ctx, `INSERT INTO shadow_analyses (photo_id, model_name, model_sha256, detections, analysed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, photoID, sh.ModelName, sh.ModelSHA256, sh.Detections, at)
		if err != nil {
			return fmt.Errorf("store shadow analysis of photo %s by %s: %w", photoID, sh.ModelName, err)
		}
		if tag.RowsAffected() == 0 {
			continue
		}
		for _, f := range sh.Flags {
			boxes, err := json.Marshal(f.Boxes)
			if err != nil {
				return fmt.Errorf("encode flag boxes: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO shadow_flags (photo_id, model_sha256, code, status, score, boxes, reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
				photoID, sh.ModelSHA256, f.Code, f.Status, f.Score, boxes, f.Reason); err != nil {
				return fmt.Errorf("store shadow flag %s of photo %s: %w", f.Code, photoID, err)
			}
		}
	}
	return nil
}

// PromotedModel returns the SHA-256 of the model the newest promotion in force made
// active; false when there is none and the configured model is the active one.
func (s *PhotoService) PromotedModel(ctx context.Context) (string, bool, error) {
	p, ok, err := promotionInForce(ctx, s.db.Pool, false)
	return p.Model.SHA256, ok, err
}

type promotionRow struct {
	ID             int64
	ModelName      string
	ModelSHA256    string
	PreviousName   string
	PreviousSHA256 string
	Reason         string
	PromotedBy     int64
	PromotedAt     time.Time
	RevertedBy     int64
	RevertedAt     time.Time
}

func (r promotionRow) promotion() inspect.ModelPromotion {
	p := inspect.ModelPromotion{ID: r.ID, Model: inspect.ModelRef{Name: r.ModelName, SHA256: r.ModelSHA256},
		Previous: inspect.ModelRef{Name: r.PreviousName, SHA256: r.PreviousSHA256}, Reason: r.Reason,
		PromotedBy: r.PromotedBy, PromotedAt: r.PromotedAt, RevertedBy: r.RevertedBy}
	if !r.RevertedAt.Equal(time.Unix(0, 0)) {
		p.RevertedAt = r.RevertedAt
	}
	return p
}

const promotionColumns = `id, model_name, model_sha256, previous_name, previous_sha256, reason, promoted_by, promoted_at,
	COALESCE(reverted_by, 0) AS reverted_by, COALESCE(reverted_at, 'epoch') AS reverted_at`

// promotionInForce reads the newest promotion not reverted.
func promotionInForce(ctx context.Context, q querier, lock bool) (inspect.ModelPromotion, bool, error) {
	sql := `SELECT ` + promotionColumns + ` FROM model_promotions WHERE reverted_at IS NULL ORDER BY id DESC LIMIT 1`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql)
	rs, err := collectAll[promotionRow](rows, err)
	if err != nil || len(rs) == 0 {
		return inspect.ModelPromotion{}, false, err
	}
	return rs[0].promotion(), true, nil
}

// activeModel is the model in force: the newest promotion's, else the model of the
// newest analysis (the configured one).
func activeModel(ctx context.Context, tx pgx.Tx) (inspect.ModelRef, error) {
	p, ok, err := promotionInForce(ctx, tx, false)
	if err != nil || ok {
		return p.Model, err
	}
	var m inspect.ModelRef
	err = tx.QueryRow(ctx, `SELECT model_name, model_sha256 FROM photo_analyses ORDER BY analysed_at DESC LIMIT 1`).Scan(&m.Name, &m.SHA256)
	if err == pgx.ErrNoRows {
		return m, inspect.Errorf(inspect.ECONFLICT, "no photo has been analysed yet, so there is no active model to replace")
	}
	if err != nil {
		return m, fmt.Errorf("read the active model: %w", err)
	}
	return m, nil
}

// lockPromotions serialises promotions and their reversal.
func lockPromotions(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('model_promotions'))`); err != nil {
		return fmt.Errorf("lock model promotions: %w", err)
	}
	return nil
}

// PromoteModel makes the candidate model with the given SHA-256, which must have run
// in shadow, the active model from the next photo on, recording who did it, when
// and which model it replaced; the replaced model runs in shadow from then on when
// it is still configured. Admins only.
func (s *FlagService) PromoteModel(ctx context.Context, p inspect.Principal, sha, reason string) (inspect.ModelPromotion, error) {
	if !inspect.CanPromoteModel(p) {
		return inspect.ModelPromotion{}, forbidden("only an admin promotes a model")
	}
	var out inspect.ModelPromotion
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockPromotions(ctx, tx); err != nil {
			return err
		}
		var name string
		err := tx.QueryRow(ctx, `SELECT model_name FROM shadow_analyses WHERE model_sha256 = $1 LIMIT 1`, sha).Scan(&name)
		if err == pgx.ErrNoRows {
			return inspect.FieldErrorf("model_sha256", "no candidate model with SHA-256 %q has run in shadow", sha)
		}
		if err != nil {
			return fmt.Errorf("read candidate model: %w", err)
		}
		prev, err := activeModel(ctx, tx)
		if err != nil {
			return err
		}
		if prev.SHA256 == sha {
			return inspect.Errorf(inspect.ECONFLICT, "model %s is already the active model", name)
		}
		rows, err := tx.Query(ctx, `INSERT INTO model_promotions (model_name, model_sha256, previous_name, previous_sha256, reason, promoted_by, promoted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+promotionColumns,
			name, sha, prev.Name, prev.SHA256, reason, p.User.ID, s.now())
		r, err := collectOne[promotionRow](rows, err, "promotion")
		out = r.promotion()
		return err
	})
	return out, err
}

// RevertPromotion undoes the promotion in force, recording who and when: the model
// it replaced is active again from the next photo on. Only the newest promotion in
// force can be reverted. Admins only.
func (s *FlagService) RevertPromotion(ctx context.Context, p inspect.Principal, id int64) (inspect.ModelPromotion, error) {
	if !inspect.CanPromoteModel(p) {
		return inspect.ModelPromotion{}, forbidden("only an admin reverts a model promotion")
	}
	var out inspect.ModelPromotion
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockPromotions(ctx, tx); err != nil {
			return err
		}
		cur, ok, err := promotionInForce(ctx, tx, true)
		if err != nil {
			return err
		}
		if !ok || cur.ID != id {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM model_promotions WHERE id = $1)`, id).Scan(&exists); err != nil {
				return fmt.Errorf("read promotion %d: %w", id, err)
			}
			if !exists {
				return notVisible("promotion", id)
			}
			return inspect.Errorf(inspect.ECONFLICT, "promotion %d is not the one in force; only the newest promotion not reverted can be reverted", id)
		}
		rows, err := tx.Query(ctx, `UPDATE model_promotions SET reverted_by = $2, reverted_at = $3 WHERE id = $1 RETURNING `+promotionColumns,
			id, p.User.ID, s.now())
		r, err := collectOne[promotionRow](rows, err, "promotion")
		out = r.promotion()
		return err
	})
	return out, err
}

// ShadowReport compares every candidate that ran in shadow with the active model on
// the photos both analysed — flags raised, and precision and recall against the
// office's decisions on those photos — and lists the promotions, newest first. For
// the safety office.
func (s *FlagService) ShadowReport(ctx context.Context, p inspect.Principal) (inspect.ShadowReport, error) {
	if !p.CanReview() {
		return inspect.ShadowReport{}, forbidden("the shadow model report is for the safety office")
	}
	rep := inspect.ShadowReport{Candidates: []inspect.ShadowModel{}}
	rows, err := s.db.Pool.Query(ctx, `SELECT model_name, model_sha256, count(*) FROM shadow_analyses
		GROUP BY model_name, model_sha256 ORDER BY max(analysed_at) DESC, model_sha256`)
	models, err := collectAs(rows, err, func(r struct {
		ModelName   string
		ModelSHA256 string
		Count       int
	}) inspect.ShadowModel {
		return inspect.ShadowModel{Model: inspect.ModelRef{Name: r.ModelName, SHA256: r.ModelSHA256}, Photos: r.Count}
	})
	if err != nil {
		return rep, fmt.Errorf("read shadow models: %w", err)
	}
	for _, m := range models {
		// The photos this candidate analysed, in shadow_analyses a.
		const onShadowPhotos = ` JOIN shadow_analyses a ON a.photo_id = f.photo_id AND a.model_sha256 = $1`
		active, err := flagKeys(ctx, s.db.Pool, `SELECT f.photo_id, f.code FROM ai_flags f`+onShadowPhotos+` WHERE NOT f.manual`, m.Model.SHA256)
		if err != nil {
			return rep, err
		}
		candidate, err := flagKeys(ctx, s.db.Pool, `SELECT f.photo_id, f.code FROM shadow_flags f WHERE f.model_sha256 = $1`, m.Model.SHA256)
		if err != nil {
			return rep, err
		}
		decisions, err := flagDecisions(ctx, s.db.Pool, onShadowPhotos, m.Model.SHA256)
		if err != nil {
			return rep, err
		}
		m.Checks = inspect.CompareShadow(active, candidate, decisions)
		rep.Candidates = append(rep.Candidates, m)
	}
	rows, err = s.db.Pool.Query(ctx, `SELECT `+promotionColumns+` FROM model_promotions ORDER BY id DESC`)
	rep.Promotions, err = collectAs(rows, err, promotionRow.promotion)
	return rep, err
}

func flagKeys(ctx context.Context, q querier, sql string, args ...any) ([]inspect.FlagKey, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read flags: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (inspect.FlagKey, error) {
		var k inspect.FlagKey
		err := r.Scan(&k.PhotoID, &k.Code)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read flags: %w", err)
	}
	return keys, nil
}

// flagDecisions reads the office's decisions on AI checks, per photo and check: a
// hazard when any flag for it was confirmed, none when its flags were rejected.
// join (with its arguments) narrows the flags f to some photos.
func flagDecisions(ctx context.Context, q querier, join string, args ...any) ([]inspect.Decision, error) {
	rows, err := q.Query(ctx, `SELECT f.photo_id, f.code, bool_or(f.review = 'confirmed') FROM ai_flags f`+join+`
		WHERE f.review <> 'pending' GROUP BY f.photo_id, f.code ORDER BY f.photo_id, f.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (inspect.Decision, error) {
		var d inspect.Decision
		err := r.Scan(&d.PhotoID, &d.Code, &d.Hazard)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	return ds, nil
}
