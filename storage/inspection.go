package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

const inspectionColumns = `i.id, i.site_id, i.inspector_id, i.assigned_by, i.due, i.status, i.rule_version,
	i.checklist, i.return_reason, ` + requestNoteColumn + `, i.self_check, i.returns, i.created_at, i.started_at, i.submitted_at`

// requestNoteColumn reads the note of the merchant's visit request an inspection
// answers, "" for the rest.
const requestNoteColumn = `COALESCE((SELECT v.note FROM visit_requests v WHERE v.inspection_id = i.id), '') AS request_note`

// inspectionSummaryColumns leaves the (large) checklist out of lists.
const inspectionSummaryColumns = `i.id, i.site_id, i.inspector_id, i.assigned_by, i.due, i.status, i.rule_version,
	NULL::jsonb AS checklist, i.return_reason, ` + requestNoteColumn + `, i.self_check, i.returns, i.created_at, i.started_at, i.submitted_at`

func inspectionByID(ctx context.Context, q querier, id int64, lock bool) (inspect.Inspection, error) {
	return queryOne[inspect.Inspection](ctx, q, lock, fmt.Sprintf("inspection %d", id),
		`SELECT `+inspectionColumns+` FROM inspections i WHERE i.id = $1`, id)
}

// visibleInspection reads (and locks, when lock) the inspection and its site, and
// returns not_found unless the principal may see it.
func visibleInspection(ctx context.Context, q querier, p inspect.Principal, id int64, lock bool) (inspect.Inspection, inspect.Site, error) {
	insp, err := inspectionByID(ctx, q, id, lock)
	if err != nil {
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			err = notVisible("inspection", id)
		}
		return insp, inspect.Site{}, err
	}
	site, err := siteByID(ctx, q, insp.SiteID, false)
	if err != nil {
		return insp, site, err
	}
	if !p.CanSeeInspection(insp, site) {
		return insp, site, notVisible("inspection", id)
	}
	return insp, site, nil
}

// inspectionFor reads and locks inspection id and its site in tx for a change by
// p: not_found unless p may see it, forbidden (saying why) unless may says p may
// make the change.
func inspectionFor(ctx context.Context, tx pgx.Tx, p inspect.Principal, id int64, may func(inspect.Inspection, inspect.Site) bool, why string) (inspect.Inspection, inspect.Site, error) {
	insp, site, err := visibleInspection(ctx, tx, p, id, true)
	if err == nil && !may(insp, site) {
		err = forbidden("%s", why)
	}
	return insp, site, err
}

// assignee allows the inspector the inspection is assigned to.
func assignee(p inspect.Principal) func(inspect.Inspection, inspect.Site) bool {
	return func(insp inspect.Inspection, _ inspect.Site) bool { return p.CanActOnInspection(insp) }
}

// changeInspection makes change to inspection id in one transaction, with the
// inspection locked and p allowed (inspectionFor), and returns the inspection as
// change left it.
func (s *InspectionService) changeInspection(ctx context.Context, p inspect.Principal, id int64, may func(inspect.Inspection, inspect.Site) bool, why string,
	change func(tx pgx.Tx, insp inspect.Inspection, site inspect.Site) (inspect.Inspection, error)) (inspect.Inspection, error) {
	var out inspect.Inspection
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		insp, site, err := inspectionFor(ctx, tx, p, id, may, why)
		if err != nil {
			return err
		}
		out, err = change(tx, insp, site)
		return err
	})
	return out, err
}

// AssignInspection creates an inspection of a site for an inspector, due at due.
func (s *InspectionService) AssignInspection(ctx context.Context, p inspect.Principal, siteID, inspectorID int64, due time.Time) (inspect.Inspection, error) {
	var insp inspect.Inspection
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		site, err := siteByID(ctx, tx, siteID, false)
		if err != nil || !p.CanSeeSite(site) {
			if err == nil || inspect.ErrorCode(err) == inspect.ENOTFOUND {
				return notVisible("site", siteID)
			}
			return err
		}
		if !p.CanAssign(site) {
			return forbidden("only admins and safety officers of its area assign inspections of site %d", siteID)
		}
		inspector, err := userByID(ctx, tx, inspectorID)
		if err != nil {
			return inspect.FieldErrorf("inspector_id", "user %d does not exist", inspectorID)
		}
		insp, err = inspect.NewInspection(site, inspector, p.User.ID, due, s.now())
		if err != nil {
			return err
		}
		return insertInspection(ctx, tx, &insp)
	})
	if err != nil {
		return inspect.Inspection{}, err
	}
	return insp, nil
}

// Inspections lists the inspections the principal may see: an inspector their own,
// a safety officer those of sites in their area, an admin all. Merchants see the
// hazards, not the inspections.
func (s *InspectionService) Inspections(ctx context.Context, p inspect.Principal, f inspect.InspectionFilter) ([]inspect.Inspection, error) {
	if !inspect.CanListInspections(p) {
		return nil, forbidden("merchants see the hazards of their premises, not inspections")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	units, all := p.ScopeUnitIDs()
	inspector := int64(0)
	if inspect.OwnInspectionsOnly(p) {
		inspector, all = p.User.ID, true
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+inspectionSummaryColumns+` FROM inspections i JOIN sites s ON s.id = i.site_id
		WHERE ($1 OR s.grid_id = ANY($2)) AND ($3 = 0 OR i.inspector_id = $3)
		  AND ($4 = '' OR i.status = $4) AND ($5 = 0 OR i.site_id = $5) AND i.id > $6
		ORDER BY i.id LIMIT $7`, all, units, inspector, string(f.Status), f.SiteID, f.AfterID, f.Limit)
	return collectAll[inspect.Inspection](rows, err)
}

// itemRow is one inspection_items row with its photo count.
type itemRow struct {
	InspectionID int64
	Code         string
	Position     int
	NeedsPhoto   bool
	Location     string
	AIChecks     []string
	RuleSeverity string
	RectifyDays  int
	Rule         json.RawMessage
	Answer       string
	Note         string
	Outcome      string
	Severity     string
	Deadline     *time.Time
	HazardID     *int64
	PhotoCount   int
}

func (r itemRow) detail() inspect.ItemDetail {
	d := inspect.ItemDetail{
		Item: inspect.Item{
			InspectionID: r.InspectionID, Code: r.Code, Answer: inspect.Answer(r.Answer), Note: r.Note,
			NeedsPhoto: r.NeedsPhoto, PhotoCount: r.PhotoCount, Outcome: inspect.Outcome(r.Outcome),
			Severity: inspect.Severity(r.Severity),
		},
		Position: r.Position, Location: r.Location, AIChecks: r.AIChecks,
		RuleSeverity: inspect.Severity(r.RuleSeverity), RectifyDays: r.RectifyDays, Rule: r.Rule,
	}
	if r.Deadline != nil {
		d.Deadline = *r.Deadline
	}
	if r.HazardID != nil {
		d.HazardID = *r.HazardID
	}
	return d
}

const itemColumns = `it.inspection_id, it.code, it.position, it.needs_photo, it.location, it.ai_checks, it.rule_severity,
	it.rectify_days, it.rule, it.answer, it.note, it.outcome, it.severity, it.deadline, it.hazard_id,
	(SELECT count(*) FROM photos ph WHERE ph.inspection_id = it.inspection_id AND ph.item_code = it.code)::int AS photo_count`

func inspectionItems(ctx context.Context, q querier, inspectionID int64) ([]inspect.ItemDetail, error) {
	rows, err := q.Query(ctx, `SELECT `+itemColumns+` FROM inspection_items it WHERE it.inspection_id = $1 ORDER BY it.position`, inspectionID)
	return collectAs(rows, err, itemRow.detail)
}

func itemByCode(ctx context.Context, q querier, inspectionID int64, code string, lock bool) (itemRow, error) {
	return queryOne[itemRow](ctx, q, lock, fmt.Sprintf("item %q of inspection %d", code, inspectionID),
		`SELECT `+itemColumns+` FROM inspection_items it WHERE it.inspection_id = $1 AND it.code = $2`, inspectionID, code)
}

// Inspection returns the inspection with its site and items.
func (s *InspectionService) Inspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error) {
	insp, site, err := visibleInspection(ctx, s.db.Pool, p, id, false)
	if err != nil {
		return inspect.InspectionDetail{}, err
	}
	items, err := inspectionItems(ctx, s.db.Pool, id)
	if err != nil {
		return inspect.InspectionDetail{}, err
	}
	return inspect.InspectionDetail{Inspection: insp, Site: site, Items: items}, nil
}

// StartInspection generates the site's checklist from the current rules and stores
// it with the inspection, with one item row per checklist item. Only the assigned
// inspector starts it.
func (s *InspectionService) StartInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error) {
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		insp, site, err := inspectionFor(ctx, tx, p, id, assignee(p), fmt.Sprintf("only the inspector it is assigned to starts inspection %d", id))
		if err != nil {
			return err
		}
		return s.start(ctx, tx, insp, site)
	})
	if err != nil {
		return inspect.InspectionDetail{}, err
	}
	return s.Inspection(ctx, p, id)
}

// start starts inspection insp of site in tx: the checklist generated from the
// site's profile by the rules in force, stored with the inspection and as its
// items.
func (s *InspectionService) start(ctx context.Context, tx pgx.Tx, insp inspect.Inspection, site inspect.Site) error {
	id := insp.ID
	if insp.Status != inspect.InspectionAssigned {
		_, err := insp.Start("", nil, s.now()) // the state conflict, worded by the domain
		return err
	}
	profile, err := checklists.ParseProfile(site.Profile)
	if err != nil {
		return inspect.Errorf(inspect.ECONFLICT, "the profile of site %d is not valid (%s); ask the safety office to correct it", site.ID, inspect.ErrorMessage(err))
	}
	cl, err := s.rules.Generate(profile)
	if err != nil {
		return inspect.Errorf(inspect.ECONFLICT, "cannot generate the checklist of site %d: %s", site.ID, inspect.ErrorMessage(err))
	}
	raw, err := json.Marshal(cl)
	if err != nil {
		return fmt.Errorf("encode checklist: %w", err)
	}
	insp, err = insp.Start(cl.RuleVersion, raw, s.now())
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE inspections SET status = $2, rule_version = $3, checklist = $4, started_at = $5 WHERE id = $1`,
		id, insp.Status, insp.RuleVersion, insp.Checklist, insp.StartedAt); err != nil {
		return err
	}
	for i, it := range cl.Items {
		rule, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode checklist item %s: %w", it.Code, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inspection_items (inspection_id, code, position, needs_photo, location, ai_checks,
			rule_severity, rectify_days, rule) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id, it.Code, i, it.Evidence == checklists.EvidencePhoto, it.Location, nonNil(it.AIChecks),
			it.Severity, it.RectifyDays, rule); err != nil {
			return fmt.Errorf("insert item %s: %w", it.Code, err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AnswerItem records the inspector's answer to one item. A failed item either
// becomes a hazard with a severity and a deadline (or joins the open hazard of the
// same site and rule), or, fixed on the spot, a hazard closed at once. An item
// that led to a hazard keeps its answer: a retry with the same answer only updates
// the note; another answer is a conflict.
func (s *InspectionService) AnswerItem(ctx context.Context, p inspect.Principal, inspectionID int64, in inspect.Item) (inspect.ItemDetail, error) {
	now := s.now()
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		insp, site, err := inspectionFor(ctx, tx, p, inspectionID, assignee(p),
			fmt.Sprintf("only the inspector it is assigned to answers inspection %d", inspectionID))
		if err != nil {
			return err
		}
		if err := insp.CanAnswer(); err != nil {
			return err
		}
		selfInspector := int64(0) // the grid's inspector, for a self-inspection's hazard
		if insp.SelfCheck {
			if in, err = inspect.SelfCheckAnswer(in); err != nil {
				return err
			}
			if selfInspector, err = gridInspector(ctx, tx, site.GridID); err != nil {
				return err
			}
		}
		if err := inspect.ValidateAnswer(in, now); err != nil {
			return err
		}
		it, err := itemByCode(ctx, tx, inspectionID, in.Code, true)
		if err != nil {
			return inspect.Errorf(inspect.ENOTFOUND, "item %q is not on the checklist of inspection %d", in.Code, inspectionID)
		}
		hazardID := int64(0)
		if it.HazardID != nil {
			hazardID = *it.HazardID
			if inspect.Answer(it.Answer) != in.Answer || inspect.Outcome(it.Outcome) != in.Outcome {
				return inspect.Errorf(inspect.ECONFLICT, "item %s already led to hazard %d; its answer can no longer change (the safety office can withdraw the hazard)", in.Code, hazardID)
			}
			in.Severity, in.Deadline = inspect.Severity(it.Severity), time.Time{}
			if it.Deadline != nil {
				in.Deadline = *it.Deadline
			}
		} else if in.Answer == inspect.AnswerFail {
			f := inspect.Finding{
				SiteID: site.ID, GridID: site.GridID, RuleCode: it.Code, RuleVersion: insp.RuleVersion,
				InspectionID: insp.ID, InspectorID: p.User.ID, Note: in.Note, Severity: in.Severity,
				RuleSeverity: inspect.Severity(it.RuleSeverity), Deadline: in.Deadline, RuleRectifyDays: it.RectifyDays,
			}
			if insp.SelfCheck {
				if selfInspector == 0 {
					return inspect.Errorf(inspect.ECONFLICT, "grid %d has no inspector to take up hazard %s; the district's safety office must assign one", site.GridID, in.Code)
				}
				f = inspect.SelfFinding(f, selfInspector)
			}
			h, err := s.recordFinding(ctx, tx, f, it.Rule, in.Outcome == inspect.OutcomeFixedOnSpot, p.User.ID, now)
			if err != nil {
				return err
			}
			hazardID = h.ID
			if in.Outcome == inspect.OutcomeHazard {
				in.Severity, in.Deadline = h.Severity, h.Deadline
			}
		}
		var deadline *time.Time
		if !in.Deadline.IsZero() {
			deadline = &in.Deadline
		}
		_, err = tx.Exec(ctx, `UPDATE inspection_items SET answer = $3, note = $4, outcome = $5, severity = $6, deadline = $7,
			hazard_id = NULLIF($8, 0), answered_at = CASE WHEN $3 = 'unanswered' THEN NULL ELSE $9::timestamptz END WHERE inspection_id = $1 AND code = $2`,
			inspectionID, in.Code, in.Answer, in.Note, in.Outcome, in.Severity, deadline, hazardID, now)
		return err
	})
	if err != nil {
		return inspect.ItemDetail{}, err
	}
	it, err := itemByCode(ctx, s.db.Pool, inspectionID, in.Code, false)
	if err != nil {
		return inspect.ItemDetail{}, err
	}
	return it.detail(), nil
}

// SubmitInspection checks that every item is answered and every item that needs a
// photo has one, and marks the inspection submitted.
func (s *InspectionService) SubmitInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.Inspection, error) {
	why := fmt.Sprintf("only the inspector it is assigned to submits inspection %d", id)
	return s.changeInspection(ctx, p, id, assignee(p), why, func(tx pgx.Tx, insp inspect.Inspection, _ inspect.Site) (inspect.Inspection, error) {
		details, err := inspectionItems(ctx, tx, id)
		if err != nil {
			return insp, err
		}
		items := make([]inspect.Item, len(details))
		for i, d := range details {
			items[i] = d.Item
		}
		if insp, err = insp.Submit(items, s.now()); err != nil {
			return insp, err
		}
		_, err = tx.Exec(ctx, `UPDATE inspections SET status = $2, submitted_at = $3, return_reason = '' WHERE id = $1`,
			id, insp.Status, insp.SubmittedAt)
		return insp, err
	})
}

// ReturnInspection sends a submitted inspection back to its inspector for
// correction; it counts toward the inspector's return rate.
func (s *InspectionService) ReturnInspection(ctx context.Context, p inspect.Principal, id int64, reason string) (inspect.Inspection, error) {
	may := func(_ inspect.Inspection, site inspect.Site) bool { return p.CanReviewInspection(site) }
	why := fmt.Sprintf("only admins and safety officers of its area return inspection %d", id)
	return s.changeInspection(ctx, p, id, may, why, func(tx pgx.Tx, insp inspect.Inspection, _ inspect.Site) (inspect.Inspection, error) {
		insp, err := insp.Return(reason)
		if err != nil {
			return insp, err
		}
		_, err = tx.Exec(ctx, `UPDATE inspections SET status = $2, return_reason = $3, returns = $4 WHERE id = $1`,
			id, insp.Status, insp.ReturnReason, insp.Returns)
		return insp, err
	})
}

// ReassignInspection gives an inspection that has not started to another
// inspector.
func (s *InspectionService) ReassignInspection(ctx context.Context, p inspect.Principal, id, inspectorID int64) (inspect.Inspection, error) {
	may := func(_ inspect.Inspection, site inspect.Site) bool { return p.CanAssign(site) }
	why := fmt.Sprintf("only admins and safety officers of its area reassign inspection %d", id)
	return s.changeInspection(ctx, p, id, may, why, func(tx pgx.Tx, insp inspect.Inspection, site inspect.Site) (inspect.Inspection, error) {
		inspector, err := userByID(ctx, tx, inspectorID)
		if err != nil {
			return insp, inspect.FieldErrorf("inspector_id", "user %d does not exist", inspectorID)
		}
		if insp, err = insp.Reassign(site, inspector, p.User.ID); err != nil {
			return insp, err
		}
		_, err = tx.Exec(ctx, `UPDATE inspections SET inspector_id = $2, assigned_by = $3 WHERE id = $1`, id, insp.InspectorID, insp.AssignedBy)
		return insp, err
	})
}

// RescheduleInspection moves the due time of an inspection not yet submitted; the
// caller becomes the one who assigned it.
func (s *InspectionService) RescheduleInspection(ctx context.Context, p inspect.Principal, id int64, due time.Time) (inspect.Inspection, error) {
	may := func(_ inspect.Inspection, site inspect.Site) bool { return p.CanAssign(site) }
	why := fmt.Sprintf("only admins and safety officers of its area reschedule inspection %d", id)
	return s.changeInspection(ctx, p, id, may, why, func(tx pgx.Tx, insp inspect.Inspection, _ inspect.Site) (inspect.Inspection, error) {
		insp, err := insp.Reschedule(due, s.now(), p.User.ID)
		if err != nil {
			return insp, err
		}
		_, err = tx.Exec(ctx, `UPDATE inspections SET due = $2, assigned_by = $3 WHERE id = $1`, id, insp.Due, insp.AssignedBy)
		return insp, err
	})
}
