package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// Detector models judged on the office's decisions: the shadow report compares a
// candidate running in shadow with the active model; an admin promotes the
// candidate, or reverts the promotion. Each check's score levels are learned per
// place from the same decisions: proposed, accepted by an admin, kept as history.

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

// ThresholdQuery is the query of GET /models/thresholds.
type ThresholdQuery struct {
	// TargetPrecision is the share of flags the office should confirm at the
	// proposed flag level (default 0.8).
	TargetPrecision float64 `query:"target_precision" json:"-"`
}

// ThresholdAcceptInput is the check and body of POST /models/thresholds/{check}/accept.
type ThresholdAcceptInput struct {
	Check           string  `path:"check" json:"-"`
	Location        string  `json:"location" required:"true"`
	TargetPrecision float64 `json:"target_precision,omitempty"`
}

func (h *v1) thresholds(ctx context.Context, p inspect.Principal, in ThresholdQuery) (inspect.ThresholdReport, error) {
	return h.cfg.Flags.Thresholds(ctx, p, in.TargetPrecision)
}

func (h *v1) acceptThreshold(ctx context.Context, p inspect.Principal, in ThresholdAcceptInput) (inspect.ThresholdChange, error) {
	return h.cfg.Flags.AcceptThreshold(ctx, p, in.Check, in.Location, in.TargetPrecision)
}

func (h *v1) thresholdHistory(ctx context.Context, p inspect.Principal, _ struct{}) ([]inspect.ThresholdChange, error) {
	return h.cfg.Flags.ThresholdHistory(ctx, p)
}
