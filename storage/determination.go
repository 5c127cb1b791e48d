package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// determinationRow is a determinations row; NULL times read as nil.
type determinationRow struct {
	ID           int64
	HazardID     int64
	OpenedBy     int64
	OpenedAt     time.Time
	Participants []int64
	Ballots      []inspect.Ballot
	Conclusion   string
	Measures     string
	Deadline     *time.Time
	ConcludedAt  *time.Time
}

func (r determinationRow) determination() inspect.Determination {
	d := inspect.Determination{ID: r.ID, HazardID: r.HazardID, OpenedBy: r.OpenedBy, OpenedAt: r.OpenedAt,
		Participants: r.Participants, Ballots: r.Ballots, Conclusion: inspect.Severity(r.Conclusion), Measures: r.Measures}
	if d.Ballots == nil {
		d.Ballots = []inspect.Ballot{}
	}
	if r.Deadline != nil {
		d.Deadline = *r.Deadline
	}
	if r.ConcludedAt != nil {
		d.ConcludedAt = *r.ConcludedAt
	}
	return d
}

const determinationColumns = `id, hazard_id, opened_by, opened_at, participants, ballots, conclusion, measures, deadline, concluded_at`

// latestDetermination returns the newest determination of hazard id, or nil.
func latestDetermination(ctx context.Context, q querier, id int64) (*inspect.Determination, error) {
	rows, err := q.Query(ctx, `SELECT `+determinationColumns+` FROM determinations WHERE hazard_id = $1 ORDER BY id DESC LIMIT 1`, id)
	list, err := collectAll[determinationRow](rows, err)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	d := list[0].determination()
	return &d, nil
}

// openDetermination returns the open determination of hazard id, locked.
func openDetermination(ctx context.Context, tx pgx.Tx, id int64) (inspect.Determination, error) {
	rows, err := tx.Query(ctx, `SELECT `+determinationColumns+` FROM determinations
		WHERE hazard_id = $1 AND conclusion = '' FOR UPDATE`, id)
	r, err := collectOne[determinationRow](rows, err, "determination")
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return inspect.Determination{}, inspect.Errorf(inspect.ECONFLICT, "hazard %d has no open determination", id)
	}
	return r.determination(), err
}

// Determination returns the latest determination of hazard id; not_found when
// the hazard has none (or the principal may not see the hazard).
func (s *DeterminationService) Determination(ctx context.Context, p inspect.Principal, hazardID int64) (inspect.Determination, error) {
	if _, err := visibleHazard(ctx, s.db.Pool, p, hazardID, false); err != nil {
		return inspect.Determination{}, err
	}
	d, err := latestDetermination(ctx, s.db.Pool, hazardID)
	if err != nil {
		return inspect.Determination{}, err
	}
	if d == nil {
		return inspect.Determination{}, inspect.Errorf(inspect.ENOTFOUND, "hazard %d has no determination", hazardID)
	}
	return *d, nil
}

// OpenDetermination opens the collective determination of a hazard with a panel
// of at least inspect.MinDeterminationReviewers safety officers or admins: the
// hazard takes open_determination (becoming possibly major, under_determination),
// the record is stored and the panel is invited, in one transaction. Only the
// safety office responsible for the hazard opens one.
func (s *DeterminationService) OpenDetermination(ctx context.Context, p inspect.Principal, hazardID int64, participants []int64, note string) (inspect.Determination, error) {
	why := fmt.Sprintf("only the safety office responsible for hazard %d opens its determination", hazardID)
	read := func(tx pgx.Tx, req *inspect.DeterminationRequest) (err error) {
		req.Participants, req.Input = participants, inspect.HazardActionInput{Note: note}
		if req.Panel, err = panel(ctx, tx, participants); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('determinations', 'id'))`).Scan(&req.NewID); err != nil {
			return fmt.Errorf("reserve determination id: %w", err)
		}
		return nil
	}
	store := func(tx pgx.Tx, d inspect.Determination) error {
		_, err := tx.Exec(ctx, `INSERT INTO determinations (id, hazard_id, opened_by, opened_at, participants)
			OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5)`, d.ID, d.HazardID, d.OpenedBy, d.OpenedAt, d.Participants)
		if err != nil {
			return mapPgError(fmt.Errorf("store determination of hazard %d: %w", hazardID, err), "determination")
		}
		return nil
	}
	d, err := s.determine(ctx, p, hazardID, inspect.ActionOpenDetermination, why, read, inspect.TakeOpenDetermination, store)
	if err != nil {
		return inspect.Determination{}, err
	}
	d.Ballots = []inspect.Ballot{}
	return d, nil
}

// CastVote records the principal's vote in the open determination of a hazard.
// Only a reviewer on the panel votes, once.
func (s *DeterminationService) CastVote(ctx context.Context, p inspect.Principal, hazardID int64, v inspect.Vote, reason string) (inspect.Determination, error) {
	now := s.now()
	var out inspect.Determination
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := visibleHazard(ctx, tx, p, hazardID, true); err != nil {
			return err
		}
		d, err := openDetermination(ctx, tx, hazardID)
		if err != nil {
			return err
		}
		if d, err = d.Cast(p.User.ID, v, reason, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE determinations SET ballots = $2 WHERE id = $1`, d.ID, d.Ballots); err != nil {
			return fmt.Errorf("record vote in determination %d: %w", d.ID, err)
		}
		out = d
		return nil
	})
	return out, err
}

// ConcludeDetermination concludes the open determination of a hazard with the
// panel's measures and deadline: the votes decide major or general
// (inspect.Determination.Conclude), the hazard takes determine_major (to the
// district at once, under listed supervision) or determine_general (back to the
// merchant), with the panel's deadline, and the panel and the merchants are told.
// Only the safety office responsible for the hazard concludes.
func (s *DeterminationService) ConcludeDetermination(ctx context.Context, p inspect.Principal, hazardID int64, measures string, deadline time.Time) (inspect.Determination, error) {
	why := fmt.Sprintf("only the safety office responsible for hazard %d concludes its determination", hazardID)
	read := func(tx pgx.Tx, req *inspect.DeterminationRequest) (err error) {
		req.Measures, req.Deadline = measures, deadline.UTC().Truncate(time.Microsecond)
		req.Open, err = openDetermination(ctx, tx, hazardID)
		return err
	}
	store := func(tx pgx.Tx, d inspect.Determination) error {
		if _, err := tx.Exec(ctx, `UPDATE determinations SET conclusion = $2, measures = $3, deadline = $4, concluded_at = $5 WHERE id = $1`,
			d.ID, d.Conclusion, d.Measures, d.Deadline, d.ConcludedAt); err != nil {
			return fmt.Errorf("conclude determination %d: %w", d.ID, err)
		}
		return nil
	}
	return s.determine(ctx, p, hazardID, inspect.ActionDetermineMajor, why, read, inspect.TakeConcludeDetermination, store)
}

// determine opens or concludes a determination of hazard hazardID in one
// transaction: it reads (the hazard locked, p allowed to take action a, the
// action's request and what read adds), lets decide (inspect) decide once, then
// stores the determination and records the hazard's action with its effects.
func (s *DeterminationService) determine(ctx context.Context, p inspect.Principal, hazardID int64, a inspect.Action, why string,
	read func(pgx.Tx, *inspect.DeterminationRequest) error,
	decide func(inspect.DeterminationRequest) (inspect.DeterminationOutcome, error),
	store func(pgx.Tx, inspect.Determination) error) (inspect.Determination, error) {
	now := s.now()
	var out inspect.Determination
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardFor(ctx, tx, p, hazardID, may(p, a), why)
		if err != nil {
			return err
		}
		var req inspect.DeterminationRequest
		if req.ActionRequest, err = s.actionRequest(ctx, tx, &h, now); err != nil {
			return err
		}
		req.Actor = p.User.ID
		if err := read(tx, &req); err != nil {
			return err
		}
		decided, err := decide(req)
		if err != nil {
			return err
		}
		if err := store(tx, decided.Determination); err != nil {
			return err
		}
		out = decided.Determination
		return s.record(ctx, tx, &h, decided.Action)
	})
	return out, err
}

// panel reads the users named as a determination's participants, in their order:
// a zero User where there is no such user.
func panel(ctx context.Context, q querier, ids []int64) ([]inspect.User, error) {
	rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)`, ids)
	found, err := collectAll[inspect.User](rows, err)
	if err != nil {
		return nil, err
	}
	out := make([]inspect.User, len(ids))
	for i, id := range ids {
		if j := slices.IndexFunc(found, func(u inspect.User) bool { return u.ID == id }); j >= 0 {
			out[i] = found[j]
		}
	}
	return out, nil
}
