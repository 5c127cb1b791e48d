package storage

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// AcknowledgeHazard records a merchant's signed acknowledgement of a hazard's
// paperwork (the inspection record or the rectification notice) as an event of
// the hazard, so the signature is part of its hash chain.
func (s *HazardService) AcknowledgeHazard(ctx context.Context, p inspect.Principal, id int64, a inspect.Acknowledgement) (inspect.HazardDetail, error) {
	if err := a.Validate(); err != nil {
		return inspect.HazardDetail{}, err
	}
	now := s.now()
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		h, err := visibleHazard(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if !p.CanRate(h.Hazard) {
			return forbidden("only a merchant of the site signs for hazard %d", id)
		}
		_, err = appendEvent(ctx, tx, &h, p.User.ID, now, inspect.EventAcknowledged, a)
		return err
	})
	if err != nil {
		return inspect.HazardDetail{}, err
	}
	return s.Hazard(ctx, p, id)
}
