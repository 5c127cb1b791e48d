package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// Score levels learned from review (migration 0250): the decisions on the detector's
// flags per check and place propose levels (inspect.ProposeLevels); an admin accepts
// them; the analysis job maps new photos with the levels in force at their place.
// The levels are the detector's, city-wide: the evidence is every reviewed flag, not
// only the reader's area.

// checkPlace is one AI check at one place.
type checkPlace struct{ Code, Location string }

// reviewedScores reads the office's decisions on the detector's flags (hand-added
// flags have no score to learn from), by check and the place of the photo: every
// check and place with all, else only code at location.
func reviewedScores(ctx context.Context, q querier, all bool, code, location string) (map[checkPlace][]inspect.ScoredDecision, error) {
	rows, err := q.Query(ctx, `SELECT f.code, p.location, f.score, f.review = 'confirmed' AS hazard
		FROM ai_flags f JOIN photos p ON p.id = f.photo_id
		WHERE f.review <> 'pending' AND NOT f.manual AND ($1 OR (f.code = $2 AND p.location = $3))`, all, code, location)
	rs, err := collectAll[struct {
		Code     string
		Location string
		Score    float32
		Hazard   bool
	}](rows, err)
	if err != nil {
		return nil, fmt.Errorf("read reviewed flags: %w", err)
	}
	out := map[checkPlace][]inspect.ScoredDecision{}
	for _, r := range rs {
		k := checkPlace{r.Code, r.Location}
		out[k] = append(out[k], inspect.ScoredDecision{Score: r.Score, Hazard: r.Hazard})
	}
	return out, nil
}

const thresholdColumns = `id, code, location, flag_score, review_score, previous_flag_score, previous_review_score,
	target_precision, decisions, flag_decisions, flag_confirmed, review_decisions, review_confirmed, accepted_by, accepted_at`

type thresholdRow struct {
	ID                  int64
	Code                string
	Location            string
	FlagScore           float32
	ReviewScore         float32
	PreviousFlagScore   float32
	PreviousReviewScore float32
	TargetPrecision     float64
	Decisions           int
	FlagDecisions       int
	FlagConfirmed       int
	ReviewDecisions     int
	ReviewConfirmed     int
	AcceptedBy          int64
	AcceptedAt          time.Time
}

func (r thresholdRow) change() inspect.ThresholdChange {
	evidence := func(level float32, n, c int) inspect.LevelEvidence {
		return inspect.LevelEvidence{Level: level, Decisions: n, Confirmed: c, Precision: inspect.Rate{Num: int64(c), Den: int64(n)}}
	}
	return inspect.ThresholdChange{ID: r.ID, Code: r.Code, Location: r.Location,
		Previous:        inspect.ScoreLevels{Flag: r.PreviousFlagScore, Review: r.PreviousReviewScore},
		Levels:          inspect.ScoreLevels{Flag: r.FlagScore, Review: r.ReviewScore},
		TargetPrecision: r.TargetPrecision, Decisions: r.Decisions,
		FlagEvidence:   evidence(r.FlagScore, r.FlagDecisions, r.FlagConfirmed),
		ReviewEvidence: evidence(r.ReviewScore, r.ReviewDecisions, r.ReviewConfirmed),
		AcceptedBy:     r.AcceptedBy, AcceptedAt: r.AcceptedAt}
}

// levelsInForce reads the newest accepted levels of every check and place (all), or
// of every check at location.
func levelsInForce(ctx context.Context, q querier, all bool, location string) (map[checkPlace]inspect.ThresholdChange, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT ON (location, code) `+thresholdColumns+` FROM check_thresholds
		WHERE $1 OR location = $2 ORDER BY location, code, id DESC`, all, location)
	rs, err := collectAs(rows, err, thresholdRow.change)
	if err != nil {
		return nil, fmt.Errorf("read accepted score levels: %w", err)
	}
	out := make(map[checkPlace]inspect.ThresholdChange, len(rs))
	for _, c := range rs {
		out[checkPlace{c.Code, c.Location}] = c
	}
	return out, nil
}

// LevelsAt returns the score levels in force at a place, by check code, for the
// analysis job; a check without accepted levels there keeps the detector's.
func (s *PhotoService) LevelsAt(ctx context.Context, location string) (map[string]inspect.ScoreLevels, error) {
	inForce, err := levelsInForce(ctx, s.db.Pool, false, location)
	if err != nil {
		return nil, err
	}
	out := make(map[string]inspect.ScoreLevels, len(inForce))
	for k, c := range inForce {
		out[k.Code] = c.Levels
	}
	return out, nil
}

// Thresholds reports, for every check and place with reviewed flags or accepted
// levels, the levels in force and the levels the decisions propose at the target
// precision (0: the default), with their evidence. For the safety office.
func (s *FlagService) Thresholds(ctx context.Context, p inspect.Principal, target float64) (inspect.ThresholdReport, error) {
	if !p.CanReview() {
		return inspect.ThresholdReport{}, forbidden("the detector's score levels are for the safety office")
	}
	target, err := inspect.CheckTargetPrecision(target)
	if err != nil {
		return inspect.ThresholdReport{}, err
	}
	scores, err := reviewedScores(ctx, s.db.Pool, true, "", "")
	if err != nil {
		return inspect.ThresholdReport{}, err
	}
	inForce, err := levelsInForce(ctx, s.db.Pool, true, "")
	if err != nil {
		return inspect.ThresholdReport{}, err
	}
	rep := inspect.ThresholdReport{TargetPrecision: target, MinDecisions: inspect.MinThresholdDecisions, Checks: []inspect.CheckThreshold{}}
	places := map[checkPlace]bool{}
	for k := range scores {
		places[k] = true
	}
	for k := range inForce {
		places[k] = true
	}
	for k := range places {
		c, accepted := inForce[k]
		ct := inspect.CheckThreshold{Code: k.Code, Location: k.Location, Current: inspect.DefaultLevels(), Accepted: accepted,
			Proposal: inspect.ProposeLevels(scores[k], target)}
		if accepted {
			ct.Current = c.Levels
		}
		rep.Checks = append(rep.Checks, ct)
	}
	slices.SortFunc(rep.Checks, func(a, b inspect.CheckThreshold) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Location, b.Location))
	})
	return rep, nil
}

// AcceptThreshold recomputes the proposal for one check at one place from the
// decisions now and puts its levels in force for new photo analyses there,
// recording who, when, the levels it replaces and its evidence. A conflict when the
// decisions propose nothing (too few, or the target precision reached nowhere).
// Admins only.
func (s *FlagService) AcceptThreshold(ctx context.Context, p inspect.Principal, code, location string, target float64) (inspect.ThresholdChange, error) {
	if !inspect.CanAcceptThresholds(p) {
		return inspect.ThresholdChange{}, forbidden("only an admin accepts the detector's score levels")
	}
	if err := inspect.CheckThresholdTarget(code, location); err != nil {
		return inspect.ThresholdChange{}, err
	}
	target, err := inspect.CheckTargetPrecision(target)
	if err != nil {
		return inspect.ThresholdChange{}, err
	}
	var out inspect.ThresholdChange
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		// Two admins accepting at once each record the levels they replaced.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('check_thresholds'))`); err != nil {
			return fmt.Errorf("lock score levels: %w", err)
		}
		k := checkPlace{code, location}
		scores, err := reviewedScores(ctx, tx, false, code, location)
		if err != nil {
			return err
		}
		prop := inspect.ProposeLevels(scores[k], target)
		if !prop.Proposed() {
			return inspect.Errorf(inspect.ECONFLICT, "no levels to accept for %s at %s: %s", code, location, prop.Reason)
		}
		inForce, err := levelsInForce(ctx, tx, false, location)
		if err != nil {
			return err
		}
		prev := inspect.DefaultLevels()
		if c, ok := inForce[k]; ok {
			prev = c.Levels
		}
		lv := prop.Levels()
		rows, err := tx.Query(ctx, `INSERT INTO check_thresholds (code, location, flag_score, review_score,
				previous_flag_score, previous_review_score, target_precision, decisions,
				flag_decisions, flag_confirmed, review_decisions, review_confirmed, accepted_by, accepted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+thresholdColumns,
			code, location, lv.Flag, lv.Review, prev.Flag, prev.Review, target, prop.Decisions,
			prop.Flag.Decisions, prop.Flag.Confirmed, prop.Review.Decisions, prop.Review.Confirmed, p.User.ID, s.now())
		r, err := collectOne[thresholdRow](rows, err, "score levels")
		out = r.change()
		return err
	})
	return out, err
}

// ThresholdHistory lists every acceptance of score levels, newest first. For the
// safety office.
func (s *FlagService) ThresholdHistory(ctx context.Context, p inspect.Principal) ([]inspect.ThresholdChange, error) {
	if !p.CanReview() {
		return nil, forbidden("the history of the detector's score levels is for the safety office")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+thresholdColumns+` FROM check_thresholds ORDER BY id DESC`)
	return collectAs(rows, err, thresholdRow.change)
}
