package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

const hazardColumns = `h.id, h.site_id, h.grid_id, h.rule_code, h.rule_version, COALESCE(h.inspection_id, 0) AS inspection_id,
	h.state, h.severity, h.level, h.unit_id, h.inspector_id, h.note, h.observations, h.escalations, h.returns,
	h.deadline, h.rating, h.self_reported, h.created_at, h.closed_at, h.deadline_by_policy, h.handed_at,
	COALESCE(h.sign_party, '') AS sign_party, h.sign_by, h.reinspect_by`

// hazardRow is a hazard with the head of its event chain.
type hazardRow struct {
	inspect.Hazard
	HeadSeq  int64
	HeadHash string
}

// openStates are the states of an open hazard, for state = ANY($n).
func openStates() []string {
	var out []string
	for _, s := range inspect.OpenStates() {
		out = append(out, string(s))
	}
	return out
}

func hazardByID(ctx context.Context, q querier, id int64, lock bool) (hazardRow, error) {
	return queryOne[hazardRow](ctx, q, lock, fmt.Sprintf("hazard %d", id),
		`SELECT `+hazardColumns+`, h.head_seq, h.head_hash FROM hazards h WHERE h.id = $1`, id)
}

// visibleHazard reads (and locks, when lock) the hazard; not_found unless the
// principal may see it.
func visibleHazard(ctx context.Context, q querier, p inspect.Principal, id int64, lock bool) (hazardRow, error) {
	h, err := hazardByID(ctx, q, id, lock)
	if err != nil {
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			err = notVisible("hazard", id)
		}
		return h, err
	}
	if !p.CanSeeHazard(h.Hazard) {
		return h, notVisible("hazard", id)
	}
	return h, nil
}

// hazardFor reads and locks hazard id in tx for a change by p: not_found unless p
// may see it, forbidden (saying why) unless may says p may make the change.
func hazardFor(ctx context.Context, tx pgx.Tx, p inspect.Principal, id int64, may func(inspect.Hazard) bool, why string) (hazardRow, error) {
	h, err := visibleHazard(ctx, tx, p, id, true)
	if err != nil {
		return h, err
	}
	if !may(h.Hazard) {
		return h, forbidden("%s", why)
	}
	return h, nil
}

// may is p's permission to take action a on a hazard (Principal.CanPerform).
func may(p inspect.Principal, a inspect.Action) func(inspect.Hazard) bool {
	return func(h inspect.Hazard) bool { return p.CanPerform(h, a) }
}

// changeHazard makes change to hazard id in one transaction, with the hazard
// locked and p allowed (hazardFor), and returns the hazard's detail after it.
func (s *HazardService) changeHazard(ctx context.Context, p inspect.Principal, id int64, may func(inspect.Hazard) bool, why string,
	change func(tx pgx.Tx, h *hazardRow, now time.Time) error) (inspect.HazardDetail, error) {
	now := s.now()
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardFor(ctx, tx, p, id, may, why)
		if err != nil {
			return err
		}
		return change(tx, &h, now)
	})
	if err != nil {
		return inspect.HazardDetail{}, err
	}
	return s.Hazard(ctx, p, id)
}

// appendEvent adds the next event to the chain of h, which the caller has locked
// (SELECT ... FOR UPDATE) in tx, and moves the chain head on the hazard row.
func appendEvent(ctx context.Context, tx pgx.Tx, h *hazardRow, actor int64, at time.Time, kind string, payload any) (inspect.Event, error) {
	var prev *inspect.Event
	if h.HeadSeq > 0 {
		prev = &inspect.Event{HazardID: h.ID, Seq: h.HeadSeq, Hash: h.HeadHash}
	}
	e, err := inspect.NewEvent(prev, h.ID, actor, at, kind, payload)
	if err != nil {
		return e, err
	}
	return e, storeEvent(ctx, tx, h, e)
}

// storeEvent writes event e, the next of h's chain, and moves the chain head on
// the hazard row.
func storeEvent(ctx context.Context, tx pgx.Tx, h *hazardRow, e inspect.Event) error {
	if _, err := tx.Exec(ctx, `INSERT INTO hazard_events (hazard_id, seq, actor, at, kind, payload, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.HazardID, e.Seq, e.Actor, e.At, e.Kind, []byte(e.Payload), e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append event %d of hazard %d: %w", e.Seq, h.ID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE hazards SET head_seq = $2, head_hash = $3 WHERE id = $1`, h.ID, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("move chain head of hazard %d: %w", h.ID, err)
	}
	h.HeadSeq, h.HeadHash = e.Seq, e.Hash
	return nil
}

// saveHazard writes the fields an action may change.
func saveHazard(ctx context.Context, tx pgx.Tx, h inspect.Hazard) error {
	_, err := tx.Exec(ctx, `UPDATE hazards SET state = $2, severity = $3, level = $4, unit_id = $5, inspector_id = $6,
		note = $7, observations = $8, escalations = $9, returns = $10, deadline = $11, rating = $12, closed_at = $13,
		deadline_by_policy = $14, handed_at = $15, sign_party = NULLIF($16, ''), sign_by = $17, reinspect_by = $18
		WHERE id = $1`, h.ID, h.State, h.Severity, h.Level, h.UnitID, h.InspectorID, h.Note, h.Observations,
		h.Escalations, h.Returns, h.Deadline, h.Rating, h.ClosedAt, h.DeadlineByPolicy, h.HandedAt, string(h.SignParty), h.SignBy, h.ReinspectBy)
	if err != nil {
		return fmt.Errorf("save hazard %d: %w", h.ID, err)
	}
	return nil
}

// HazardAction takes action a on hazard id for the principal: who may is the
// domain's policy table (Principal.CanPerform), when is its state machine. Photo
// ids must be photos already uploaded to this hazard; submit_proof needs at least
// one. The determination actions are refused (inspect.CheckHazardAction): OpenDetermination and
// ConcludeDetermination take them, with their panel.
func (s *HazardService) HazardAction(ctx context.Context, p inspect.Principal, id int64, a inspect.Action, in inspect.HazardActionInput) (inspect.HazardDetail, error) {
	if err := inspect.CheckHazardAction(a); err != nil {
		return inspect.HazardDetail{}, err
	}
	return s.changeHazard(ctx, p, id, may(p, a), fmt.Sprintf("you may not %s hazard %d", a, id), func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		if a == inspect.ActionSubmitProof && len(in.PhotoIDs) == 0 {
			return inspect.FieldErrorf("photo_ids", "proof of the fix needs at least one photo uploaded to hazard %d", id)
		}
		if err := checkHazardPhotos(ctx, tx, id, in.PhotoIDs); err != nil {
			return err
		}
		return s.act(ctx, tx, h, a, in, p.User.ID, now, time.Time{})
	})
}

func checkHazardPhotos(ctx context.Context, tx pgx.Tx, hazardID int64, ids []string) error {
	if len(ids) > 50 {
		return inspect.FieldErrorf("photo_ids", "at most 50 photos")
	}
	for i, id := range ids {
		if _, err := inspect.ParsePhotoID(id); err != nil {
			return inspect.FieldErrorf("photo_ids", "entry %d is not a photo UUID", i)
		}
	}
	// One query for all of them, then the first missing one in the order given.
	rows, err := tx.Query(ctx, `SELECT id::text FROM photos WHERE id = ANY($1::uuid[]) AND hazard_id = $2`, ids, hazardID)
	if err != nil {
		return fmt.Errorf("read the photos of hazard %d: %w", hazardID, err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read the photos of hazard %d: %w", hazardID, err)
	}
	for _, id := range ids {
		if !slices.Contains(found, strings.ToLower(id)) {
			return inspect.FieldErrorf("photo_ids", "photo %s has not been uploaded to hazard %d", id, hazardID)
		}
	}
	return nil
}

// RateHazard records the merchant's 1–5 rating of a closed hazard's handling.
func (s *HazardService) RateHazard(ctx context.Context, p inspect.Principal, id int64, rating int) (inspect.HazardDetail, error) {
	why := fmt.Sprintf("only a merchant of the site rates hazard %d", id)
	return s.changeHazard(ctx, p, id, p.CanRate, why, func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		next, err := h.Rate(rating)
		if err != nil {
			return err
		}
		h.Hazard = next
		if err := saveHazard(ctx, tx, h.Hazard); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventRated, map[string]any{"rating": rating})
		return err
	})
}

// ReassignHazard gives an open hazard (its re-inspection) to another inspector of
// the site's grid.
func (s *HazardService) ReassignHazard(ctx context.Context, p inspect.Principal, id, inspectorID int64, note string) (inspect.HazardDetail, error) {
	why := fmt.Sprintf("only the safety office responsible for hazard %d reassigns it", id)
	return s.changeHazard(ctx, p, id, p.CanManageHazard, why, func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		if !inspect.IsOpen(h.State) {
			return inspect.Errorf(inspect.ECONFLICT, "hazard %d is %s; only an open hazard can be reassigned", id, h.State)
		}
		u, err := userByID(ctx, tx, inspectorID)
		if err != nil {
			return inspect.FieldErrorf("inspector_id", "user %d does not exist", inspectorID)
		}
		if u.Role != inspect.RoleInspector || !slices.Contains(u.GridIDs, h.GridID) {
			return inspect.FieldErrorf("inspector_id", "user %d is not an inspector of grid %d", inspectorID, h.GridID)
		}
		from := h.InspectorID
		h.InspectorID = inspectorID
		if err := saveHazard(ctx, tx, h.Hazard); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventReassigned, map[string]any{
			"from_inspector_id": from, "to_inspector_id": inspectorID, "note": note,
		})
		return err
	})
}

// Hazard returns the hazard with its rule, site, events and photos.
func (s *HazardService) Hazard(ctx context.Context, p inspect.Principal, id int64) (inspect.HazardDetail, error) {
	h, err := visibleHazard(ctx, s.db.Pool, p, id, false)
	if err != nil {
		return inspect.HazardDetail{}, err
	}
	d := inspect.HazardDetail{Hazard: h.Hazard}
	if err := s.db.Pool.QueryRow(ctx, `SELECT h.rule, s.name, s.address FROM hazards h JOIN sites s ON s.id = h.site_id WHERE h.id = $1`, id).
		Scan(&d.Rule, &d.SiteName, &d.SiteAddress); err != nil {
		return d, mapPgError(err, "hazard")
	}
	if d.Events, err = hazardEvents(ctx, s.db.Pool, id); err != nil {
		return d, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT p.id::text FROM photos p
		WHERE p.hazard_id = $1
		   OR (p.inspection_id, p.item_code) IN (SELECT inspection_id, code FROM inspection_items WHERE hazard_id = $1)
		   OR p.id IN (SELECT photo_id FROM ai_flags WHERE hazard_id = $1)
		ORDER BY p.uploaded_at, p.id`, id)
	if err != nil {
		return d, err
	}
	if d.PhotoIDs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return d, err
	}
	if d.Supervision, err = supervisionOf(ctx, s.db.Pool, id); err != nil {
		return d, err
	}
	if d.Determination, err = latestDetermination(ctx, s.db.Pool, id); err != nil {
		return d, err
	}
	if d.Determination != nil && !inspect.SeesDeliberation(p) {
		outcome := d.Determination.Public()
		d.Determination = &outcome
	}
	if inspect.SeesOwnSitesOnly(p) {
		return d.ForMerchant(), nil
	}
	if d.ProofChecks, err = proofChecksOf(ctx, s.db.Pool, id); err != nil {
		return d, err
	}
	return d, nil
}

func hazardEvents(ctx context.Context, q querier, id int64) ([]inspect.Event, error) {
	rows, err := q.Query(ctx, `SELECT hazard_id, seq, actor, at, kind, payload, prev_hash, hash FROM hazard_events
		WHERE hazard_id = $1 ORDER BY seq`, id)
	return collectAll[inspect.Event](rows, err)
}

// Hazards lists the hazards the principal may see that match the filter, by id:
// admins all; inspectors and safety officers those whose grid is in their scope;
// merchants those of their premises; an agency's staff those shared with it.
// filter.UnitID selects the responsible unit's subtree.
func (s *HazardService) Hazards(ctx context.Context, p inspect.Principal, f inspect.HazardFilter) ([]inspect.HazardDetail, error) {
	if err := f.Normalize(); err != nil {
		return nil, err
	}
	units, all := p.ScopeUnitIDs()
	merchant := inspect.SeesOwnSitesOnly(p)
	var subtree []int64
	if f.UnitID != 0 {
		var err error
		if subtree, err = subtreeIDs(ctx, s.db.Pool, f.UnitID); err != nil {
			return nil, err
		}
	}
	var q sqlWhere
	agencyGrids, agencyRules, agency := p.AgencyShare()
	switch {
	case agency:
		// The hazards shared with the agency: its field's rules in its area.
		q.add("h.grid_id = ANY(?) AND h.rule_code = ANY(?)", agencyGrids, agencyRules)
	case merchant:
		q.add("h.site_id = ANY(?)", p.SiteIDs())
	case !all:
		q.add("h.grid_id = ANY(?)", units)
	}
	if len(f.States) > 0 {
		q.add("h.state = ANY(?)", textSlice(f.States))
	}
	if len(f.Severities) > 0 {
		q.add("h.severity = ANY(?)", textSlice(f.Severities))
	}
	if f.SiteID != 0 {
		q.add("h.site_id = ?", f.SiteID)
	}
	if f.UnitID != 0 {
		q.add("h.unit_id = ANY(?)", subtree)
	}
	if f.InspectorID != 0 {
		q.add("h.inspector_id = ?", f.InspectorID)
	}
	if f.RuleCode != "" {
		q.add("h.rule_code = ?", f.RuleCode)
	}
	if f.Overdue {
		q.add("h.state = ANY(?) AND h.deadline < ?", openStates(), s.now())
	}
	if f.Search != "" {
		q.addSearch(f)
	}
	q.add("h.id > ?", f.AfterID)
	rows, err := s.db.Pool.Query(ctx, `SELECT `+hazardColumns+`, `+listRuleColumn+`, s.name AS site_name, s.address AS site_address
		FROM hazards h JOIN sites s ON s.id = h.site_id
		WHERE `+q.sql()+` ORDER BY h.id LIMIT `+q.arg(f.Limit), q.args...)
	return collectAs(rows, err, hazardListRow.detail)
}

// listRuleColumn is the part of a hazard's rule a list shows: the item's title,
// location, severity, evidence and rectification days. The whole rule (citations,
// explanation) is a kilobyte of jsonb that Postgres turns into text row by row —
// most of a list page's cost at 50 rows — and GET /hazards/{id} has it.
const listRuleColumn = `jsonb_strip_nulls(jsonb_build_object('code', h.rule->'code', 'title', h.rule->'title', 'location', h.rule->'location',
	'severity', h.rule->'severity', 'evidence', h.rule->'evidence', 'rectify_days', h.rule->'rectify_days')) AS rule`

// hazardListRow is a hazard as the lists read it: with its rule and site.
type hazardListRow struct {
	inspect.Hazard
	Rule        json.RawMessage
	SiteName    string
	SiteAddress string
}

func (r hazardListRow) detail() inspect.HazardDetail {
	return inspect.HazardDetail{Hazard: r.Hazard, Rule: r.Rule, SiteName: r.SiteName, SiteAddress: r.SiteAddress}
}

// OwnHazards lists one page of the hazards of the merchant's premises: open ones
// first, then closed ones, each newest first, paged by inspect.OwnHazardKey. The
// order is the query's, so the open hazards of a merchant with thousands of closed
// ones are on the first page. Other roles have no premises and get an empty list.
func (s *HazardService) OwnHazards(ctx context.Context, p inspect.Principal, pg inspect.OwnHazardPage) ([]inspect.HazardDetail, error) {
	if err := pg.Normalize(); err != nil {
		return nil, err
	}
	if !inspect.SeesOwnSitesOnly(p) {
		return []inspect.HazardDetail{}, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+hazardColumns+`, h.rule, s.name AS site_name, s.address AS site_address
		FROM hazards h JOIN sites s ON s.id = h.site_id
		WHERE h.site_id = ANY($1) AND s.id = ANY($1) -- both: the planner then reads sites by key, not whole
		  AND ($3 = 0 OR (h.state <> ALL($2), -h.id) > ($4, -$3::bigint))
		ORDER BY h.state <> ALL($2), h.id DESC LIMIT $5`,
		p.SiteIDs(), openStates(), pg.After.ID, pg.After.Closed, pg.Limit)
	return collectAs(rows, err, hazardListRow.detail)
}

// SystemHazardAction takes an action as the system (actor 0), for the deadline
// scheduler: deadline_passed, or escalate when a re-inspection went overdue.
func (s *HazardService) SystemHazardAction(ctx context.Context, id int64, a inspect.Action, note string) (inspect.Hazard, error) {
	now := s.now()
	var out inspect.Hazard
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := s.act(ctx, tx, &h, a, inspect.HazardActionInput{Note: note}, 0, now, time.Time{}); err != nil {
			return err
		}
		out = h.Hazard
		return nil
	})
	return out, err
}

// HasUnits reports whether any org unit exists (a seeded or configured database).
func (db *DB) HasUnits(ctx context.Context) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units)`).Scan(&ok)
	return ok, err
}
