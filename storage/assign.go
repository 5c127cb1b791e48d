package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// Inspections made for someone else's reason: a hotline report, a merchant's
// request for a visit, a plan. Each goes to the inspector of the site's grid.

// insertInspection stores a new inspection (inspect.NewInspection's) and sets its
// id.
func insertInspection(ctx context.Context, tx pgx.Tx, insp *inspect.Inspection) error {
	err := tx.QueryRow(ctx, `INSERT INTO inspections (site_id, inspector_id, assigned_by, due, status, self_check, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		insp.SiteID, insp.InspectorID, insp.AssignedBy, insp.Due, insp.Status, insp.SelfCheck, insp.CreatedAt).Scan(&insp.ID)
	if err != nil {
		return fmt.Errorf("insert the inspection of site %d: %w", insp.SiteID, err)
	}
	return nil
}

// gridInspector returns the first inspector of grid, 0 when it has none.
func gridInspector(ctx context.Context, q querier, grid int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT ug.user_id FROM user_grids ug JOIN users u ON u.id = ug.user_id
		WHERE ug.grid_id = $1 AND u.role = 'inspector' ORDER BY ug.user_id LIMIT 1`, grid).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// assignToGrid makes an inspection of site for its grid's inspector, by user by,
// due at due, in tx: what a hotline report, a merchant's request and a plan do.
func (s *base) assignToGrid(ctx context.Context, tx pgx.Tx, site inspect.Site, by int64, due time.Time) (inspect.Inspection, error) {
	inspectorID, err := gridInspector(ctx, tx, site.GridID)
	if err != nil {
		return inspect.Inspection{}, fmt.Errorf("inspector of grid %d: %w", site.GridID, err)
	}
	if inspectorID == 0 {
		return inspect.Inspection{}, inspect.Errorf(inspect.ECONFLICT, "grid %d of site %d has no inspector to send; the district's safety office must assign one", site.GridID, site.ID)
	}
	inspector, err := userByID(ctx, tx, inspectorID)
	if err != nil {
		return inspect.Inspection{}, err
	}
	insp, err := inspect.NewInspection(site, inspector, by, due, s.now())
	if err != nil {
		return insp, err
	}
	return insp, insertInspection(ctx, tx, &insp)
}

// RequestVisit records a merchant's request for a visit to their site and, in the
// same transaction, the inspection that answers it: the grid inspector's, due
// within inspect.VisitResponseTime, with the note on it.
func (s *InspectionService) RequestVisit(ctx context.Context, p inspect.Principal, siteID int64, kind inspect.VisitKind, note string) (inspect.VisitRequest, error) {
	if err := inspect.CheckVisitRequest(kind, note); err != nil {
		return inspect.VisitRequest{}, err
	}
	now := s.now()
	var v inspect.VisitRequest
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		site, err := siteByID(ctx, tx, siteID, false)
		if err != nil || !p.CanRequestVisit(site) {
			if err == nil || inspect.ErrorCode(err) == inspect.ENOTFOUND {
				return notVisible("site", siteID)
			}
			return err
		}
		insp, err := s.assignToGrid(ctx, tx, site, p.User.ID, now.Add(inspect.VisitResponseTime))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO visit_requests (site_id, merchant_id, kind, note, inspection_id, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, site_id, merchant_id, kind, note, inspection_id, requested_at`,
			site.ID, p.User.ID, kind, strings.TrimSpace(note), insp.ID, now)
		v, err = collectOne[inspect.VisitRequest](rows, err, "visit request")
		return err
	})
	return v, err
}

// VisitRequests lists one page of the merchant's own visit requests, by id.
func (s *InspectionService) VisitRequests(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.VisitRequest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, site_id, merchant_id, kind, note, inspection_id, requested_at
		FROM visit_requests WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`, p.User.ID, afterID, limit)
	return collectAll[inspect.VisitRequest](rows, err)
}
