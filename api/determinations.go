package api

import (
	"context"
	"strings"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// The collective determination of a possibly major hazard by a panel of three.

// OpenDeterminationInput opens a determination.
type OpenDeterminationInput struct {
	ID           int64   `path:"id" json:"-"`
	Participants []int64 `json:"participants" required:"true"`
	Note         string  `json:"note,omitempty"`
}

// VoteInput is one reviewer's vote.
type VoteInput struct {
	ID     int64        `path:"id" json:"-"`
	Vote   inspect.Vote `json:"vote" required:"true"`
	Reason string       `json:"reason,omitempty"`
}

// ConclusionInput concludes a determination.
type ConclusionInput struct {
	ID       int64     `path:"id" json:"-"`
	Measures string    `json:"measures" required:"true"`
	Deadline time.Time `json:"deadline" required:"true"`
}

func (in *ConclusionInput) validate() error {
	if in.Deadline.IsZero() {
		return inspect.FieldErrorf("deadline", "is required")
	}
	return nil
}

func (h *v1) getDetermination(ctx context.Context, p inspect.Principal, in ByID) (inspect.Determination, error) {
	return h.cfg.Determinations.Determination(ctx, p, in.ID)
}

func (h *v1) openDetermination(ctx context.Context, p inspect.Principal, in OpenDeterminationInput) (inspect.Determination, error) {
	return h.cfg.Determinations.OpenDetermination(ctx, p, in.ID, in.Participants, strings.Clone(in.Note))
}

func (h *v1) castVote(ctx context.Context, p inspect.Principal, in VoteInput) (inspect.Determination, error) {
	return h.cfg.Determinations.CastVote(ctx, p, in.ID, in.Vote, in.Reason)
}

func (h *v1) concludeDetermination(ctx context.Context, p inspect.Principal, in ConclusionInput) (inspect.Determination, error) {
	return h.cfg.Determinations.ConcludeDetermination(ctx, p, in.ID, in.Measures, in.Deadline)
}
