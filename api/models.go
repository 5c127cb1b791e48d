package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// Detector models judged on the office's decisions: the shadow report compares a
// candidate running in shadow with the active model; an admin promotes the
// candidate, or reverts the promotion.

// PromotionInput is the body of POST /models/promotions.
type PromotionInput struct {
	ModelSHA256 string `json:"model_sha256" required:"true"`
	Reason      string `json:"reason"`
}

func (h *v1) shadowReport(ctx context.Context, p inspect.Principal, _ struct{}) (inspect.ShadowReport, error) {
	return h.cfg.Flags.ShadowReport(ctx, p)
}

func (h *v1) promoteModel(ctx context.Context, p inspect.Principal, in PromotionInput) (inspect.ModelPromotion, error) {
	return h.cfg.Flags.PromoteModel(ctx, p, in.ModelSHA256, in.Reason)
}

func (h *v1) revertPromotion(ctx context.Context, p inspect.Principal, in ByID) (inspect.ModelPromotion, error) {
	return h.cfg.Flags.RevertPromotion(ctx, p, in.ID)
}
