package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// Flag returns one flag the principal reviews.
func (s *FlagService) Flag(ctx context.Context, p inspect.Principal, id int64) (inspect.AIFlag, error) {
	f, _, err := visibleFlag(ctx, s.db.Pool, p, id, false)
	return f, err
}

// smallArea is the most units of an area whose pending queue is merged from one
// page per grid; a larger area's is read in id order, keeping its grids' flags.
// A page of n then reads at most n ids per unit of a small area, and about
// n ÷ (the area's share of the pending flags) ids of a large one: with G grids
// of similar queues the two meet at √G units (1,000 grids: about 32).
const smallArea = 32

// Flags lists the flags in the principal's scope, oldest (lowest id) first, one
// page after f.AfterID.
//
// The pending queue at any size is found by index-only scans of its ids
// (migration 0110): a small area merges at most one page from each of its grids
// (ai_flags_pending_grid_idx), a large one and an admin's read
// ai_flags_pending_id_idx in id order; then only the page's rows are read. No
// query sorts every pending flag.
func (s *FlagService) Flags(ctx context.Context, p inspect.Principal, f inspect.FlagFilter) ([]inspect.AIFlag, error) {
	if err := f.Normalize(); err != nil {
		return nil, err
	}
	if !p.CanReview() {
		return nil, forbidden("the review queue is for the safety office")
	}
	units, all := p.ScopeUnitIDs()
	args := []any{units, f.AfterID, f.Code, f.Limit}
	var page string
	switch {
	case f.Review == inspect.ReviewPending && !all && len(units) <= smallArea:
		page = `SELECT p.id FROM unnest($1::bigint[]) AS g (id)
			CROSS JOIN LATERAL (SELECT f.id FROM ai_flags f
				WHERE f.grid_id = g.id AND f.review = 'pending' AND f.id > $2 AND ($3 = '' OR f.code = $3)
				ORDER BY f.id LIMIT $4) p
			ORDER BY p.id LIMIT $4`
	case f.Review == inspect.ReviewPending:
		page = `SELECT f.id FROM ai_flags f
			WHERE f.review = 'pending' AND f.id > $2 AND ($5 OR f.grid_id = ANY($1)) AND ($3 = '' OR f.code = $3)
			ORDER BY f.id LIMIT $4`
		args = append(args, all)
	default: // decided flags: the record, read now and then
		page = `SELECT f.id FROM ai_flags f
			WHERE ($6 = 'all' OR f.review = $6) AND f.id > $2 AND ($5 OR f.grid_id = ANY($1)) AND ($3 = '' OR f.code = $3)
			ORDER BY f.id LIMIT $4`
		args = append(args, all, f.Review)
	}
	rows, err := s.db.Pool.Query(ctx, `WITH page AS (`+page+`)
		SELECT `+queueFlagColumns+` FROM page JOIN ai_flags f ON f.id = page.id ORDER BY f.id`, args...)
	return collectAs(rows, err, flagRow.flag)
}

// ReviewFlag records a reviewer's decision. Confirming turns the flag into a hazard
// for the photo's site and rule — or another observation of the open one — in the
// same transaction; rejecting keeps the reason.
func (s *FlagService) ReviewFlag(ctx context.Context, p inspect.Principal, id int64, confirm bool, reason string) (inspect.AIFlag, error) {
	now := s.now()
	var out inspect.AIFlag
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		f, site, err := visibleFlag(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := inspect.CheckReview(f, confirm, reason); err != nil {
			return err
		}
		review, rejectReason, hazardID := inspect.ReviewRejected, reason, int64(0)
		if confirm {
			review, rejectReason = inspect.ReviewConfirmed, ""
			finding, rule, err := s.flagFinding(ctx, tx, f, site, reason)
			if err != nil {
				return err
			}
			hazardID, err = sameSighting(ctx, tx, f, finding)
			if err != nil {
				return err
			}
			if hazardID == 0 {
				h, err := s.recordFinding(ctx, tx, finding, rule, false, p.User.ID, now)
				if err != nil {
					return err
				}
				hazardID = h.ID
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE ai_flags SET review = $2, reviewed_by = $3, reviewed_at = $4,
			reject_reason = $5, hazard_id = NULLIF($6, 0) WHERE id = $1`,
			id, review, p.User.ID, now, rejectReason, hazardID); err != nil {
			return fmt.Errorf("record review of flag %d: %w", id, err)
		}
		f, _, err = visibleFlag(ctx, tx, p, id, false)
		out = f
		return err
	})
	return out, err
}

// sameSighting returns the open hazard a confirmed flag's photo already shows:
// the photo of an item that recorded it, or a photo taken for it. Confirming the
// flag then links it to that hazard; it is not another sighting. 0 when the flag
// finds something new.
func sameSighting(ctx context.Context, tx pgx.Tx, f inspect.AIFlag, finding inspect.Finding) (int64, error) {
	h, found, err := openHazardFor(ctx, tx, finding.SiteID, finding.RuleCode)
	if err != nil || !found {
		return 0, err
	}
	rec, err := photoByID(ctx, tx, f.PhotoID.String())
	if err != nil {
		return 0, err
	}
	if rec.HazardID == h.ID {
		return h.ID, nil
	}
	if rec.ItemCode == "" {
		return 0, nil
	}
	var itemHazard *int64
	if err := tx.QueryRow(ctx, `SELECT hazard_id FROM inspection_items WHERE inspection_id = $1 AND code = $2`,
		rec.InspectionID, rec.ItemCode).Scan(&itemHazard); err != nil {
		return 0, mapPgError(err, "inspection item")
	}
	if itemHazard != nil && *itemHazard == h.ID {
		return h.ID, nil
	}
	return 0, nil
}

// flagFinding builds the finding a confirmed flag records: from the inspection item
// the photo answers, or from the hazard a proof photo belongs to.
func (s *base) flagFinding(ctx context.Context, tx pgx.Tx, f inspect.AIFlag, site inspect.Site, note string) (inspect.Finding, json.RawMessage, error) {
	rec, err := photoByID(ctx, tx, f.PhotoID.String())
	if err != nil {
		return inspect.Finding{}, nil, err
	}
	// The note is the reviewer's own words: the flag (linked to the hazard) keeps
	// what the model saw, which the app words in the reader's language.
	finding := inspect.Finding{SiteID: site.ID, GridID: site.GridID, RuleCode: f.RuleCode, InspectorID: rec.UploadedBy, Note: note}
	var rule json.RawMessage
	if rec.ItemCode != "" {
		it, err := itemByCode(ctx, tx, rec.InspectionID, rec.ItemCode, false)
		if err != nil {
			return inspect.Finding{}, nil, err
		}
		insp, err := inspectionByID(ctx, tx, rec.InspectionID, false)
		if err != nil {
			return inspect.Finding{}, nil, err
		}
		finding.InspectionID, finding.InspectorID, finding.RuleVersion = insp.ID, insp.InspectorID, insp.RuleVersion
		finding.RuleSeverity, finding.RuleRectifyDays = inspect.Severity(it.RuleSeverity), it.RectifyDays
		rule = it.Rule
	} else {
		err := tx.QueryRow(ctx, `SELECT rule, rule_version, severity FROM hazards WHERE id = $1`, rec.HazardID).
			Scan(&rule, &finding.RuleVersion, &finding.RuleSeverity)
		if err != nil {
			return inspect.Finding{}, nil, mapPgError(err, "hazard")
		}
	}
	return finding, rule, nil
}

// FlagStats counts, per AI check, the flags in the principal's scope by review
// state: precision as reviewed = confirmed / (confirmed + rejected).
func (s *FlagService) FlagStats(ctx context.Context, p inspect.Principal) ([]inspect.FlagStats, error) {
	if !p.CanReview() {
		return nil, forbidden("flag statistics are for the safety office")
	}
	units, all := p.ScopeUnitIDs()
	rows, err := s.db.Pool.Query(ctx, `SELECT f.code,
			count(*) FILTER (WHERE f.review = 'pending'),
			count(*) FILTER (WHERE f.review = 'confirmed'),
			count(*) FILTER (WHERE f.review = 'rejected')
		FROM ai_flags f JOIN sites s ON s.id = f.site_id
		WHERE ($1 OR s.grid_id = ANY($2)) AND NOT f.manual
		GROUP BY f.code ORDER BY f.code`, all, units)
	if err != nil {
		return nil, fmt.Errorf("count flags: %w", err)
	}
	defer rows.Close()
	out := []inspect.FlagStats{}
	for rows.Next() {
		var st inspect.FlagStats
		if err := rows.Scan(&st.Code, &st.Pending, &st.Confirmed, &st.Rejected); err != nil {
			return nil, fmt.Errorf("count flags: %w", err)
		}
		st.Precision = inspect.Rate{Num: int64(st.Confirmed), Den: int64(st.Confirmed + st.Rejected)}
		out = append(out, st)
	}
	return out, rows.Err()
}
