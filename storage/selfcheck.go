package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// SelfInspect begins a merchant's self-inspection of their site (自查自纠): the
// inspection, assigned to the merchant and started at once with the site's
// checklist, in one transaction. The merchant then answers, photographs and
// submits it through the inspection routes like an inspector; a failed item
// becomes a self-reported hazard of the grid's inspector (AnswerItem).
func (s *InspectionService) SelfInspect(ctx context.Context, p inspect.Principal, siteID int64) (inspect.InspectionDetail, error) {
	var id int64
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		site, err := siteByID(ctx, tx, siteID, false)
		if err != nil || !p.CanSelfInspect(site) {
			if err == nil || inspect.ErrorCode(err) == inspect.ENOTFOUND {
				return notVisible("site", siteID)
			}
			return err
		}
		inspector, err := gridInspector(ctx, tx, site.GridID)
		if err != nil {
			return err
		}
		insp, err := inspect.NewSelfInspection(site, p.User, inspector, s.now())
		if err != nil {
			return err
		}
		if err := insertInspection(ctx, tx, &insp); err != nil {
			return err
		}
		id = insp.ID
		return s.start(ctx, tx, insp, site)
	})
	if err != nil {
		return inspect.InspectionDetail{}, err
	}
	return s.Inspection(ctx, p, id)
}
