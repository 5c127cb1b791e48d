package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// AcknowledgeHazard records a merchant's signed acknowledgement of a hazard's
// paperwork (the inspection record or the rectification notice) as an event of
// the hazard, so the signature is part of its hash chain.
// The acknowledgement of the notice while the hazard waits for the merchant's
// signature is that signature (签收): a signed event follows it.
func (s *HazardService) AcknowledgeHazard(ctx context.Context, p inspect.Principal, id int64, a inspect.Acknowledgement) (inspect.HazardDetail, error) {
	if err := a.Validate(); err != nil {
		return inspect.HazardDetail{}, err
	}
	why := fmt.Sprintf("only a merchant of the site signs for hazard %d", id)
	return s.changeHazard(ctx, p, id, p.CanRate, why, func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		if _, err := appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventAcknowledged, a); err != nil {
			return err
		}
		if a.Document != "notice" || h.SignBy == nil || h.SignParty != inspect.SignMerchant {
			return nil
		}
		return s.sign(ctx, tx, h, p, inspect.SignMerchant, "notice", now)
	})
}
