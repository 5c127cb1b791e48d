package api

import (
	"context"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// The review queue: AI flags on evidence photos, decided by the safety office.
// Confirming creates (or joins) the hazard for the photo's site and rule; every
// decision is kept as a labelled example for the next model.

// FlagQuery filters the review queue.
type FlagQuery struct {
	Review string `query:"review" json:"-"`
	Code   string `query:"code" json:"-"`
	Page
}

// ReviewInput is the body of POST /flags/{id}/confirm (a note) and
// /flags/{id}/reject (the reason).
type ReviewInput struct {
	ID     int64  `path:"id" json:"-"`
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ManualFlagInput is the body of POST /photos/{uuid}/flags.
type ManualFlagInput struct {
	UUID uuid.UUID `path:"uuid" json:"-"`
	Code string    `json:"code" required:"true"`
	Note string    `json:"note"`
}

func (h *v1) listFlags(ctx context.Context, p inspect.Principal, q FlagQuery) (List[inspect.AIFlag], error) {
	return listPage(q.Page, q.orDefault(inspect.DefaultFlagPage), func(after int64, limit int) ([]inspect.AIFlag, error) {
		return h.cfg.Flags.Flags(ctx, p, inspect.FlagFilter{Review: q.Review, Code: q.Code, AfterID: after, Limit: limit})
	}, func(f inspect.AIFlag) int64 { return f.ID })
}

func (h *v1) flagStats(ctx context.Context, p inspect.Principal, _ struct{}) ([]inspect.FlagStats, error) {
	return h.cfg.Flags.FlagStats(ctx, p)
}

func (h *v1) getFlag(ctx context.Context, p inspect.Principal, in ByID) (inspect.AIFlag, error) {
	return h.cfg.Flags.Flag(ctx, p, in.ID)
}

func (h *v1) confirmFlag(ctx context.Context, p inspect.Principal, in ReviewInput) (inspect.AIFlag, error) {
	return h.cfg.Flags.ReviewFlag(ctx, p, in.ID, true, in.Note)
}

func (h *v1) rejectFlag(ctx context.Context, p inspect.Principal, in ReviewInput) (inspect.AIFlag, error) {
	return h.cfg.Flags.ReviewFlag(ctx, p, in.ID, false, in.Reason)
}

func (h *v1) photoFlags(ctx context.Context, p inspect.Principal, in ByPhoto) ([]inspect.AIFlag, error) {
	return h.cfg.Flags.PhotoFlags(ctx, p, in.UUID)
}

func (h *v1) addManualFlag(ctx context.Context, p inspect.Principal, in ManualFlagInput) (inspect.AIFlag, error) {
	f, err := inspect.NewManualFlag(in.Code, in.Note)
	if err != nil {
		return inspect.AIFlag{}, err
	}
	return h.cfg.Flags.AddManualFlag(ctx, p, in.UUID, f)
}
