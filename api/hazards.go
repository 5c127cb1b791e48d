package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// HazardQuery filters the office's list: by state, severity, responsible unit
// (its subtree), site, inspector, rule, overdue and a search text (q); the
// caller's scope applies on top. Lists repeat a query parameter or separate
// values by commas: ?state=open,notified&severity=general.
type HazardQuery struct {
	HazardFilterQuery
	Page
}

// HazardFilterQuery is the filters of the hazard list, which its exports share.
type HazardFilterQuery struct {
	States      []inspect.HazardState `query:"state" json:"-"`
	Severities  []inspect.Severity    `query:"severity" json:"-"`
	UnitID      int64                 `query:"unit_id" json:"-"`
	SiteID      int64                 `query:"site_id" json:"-"`
	InspectorID int64                 `query:"inspector_id" json:"-"`
	RuleCode    string                `query:"rule_code" json:"-"`
	Overdue     bool                  `query:"overdue" json:"-"`
	// Search is the search box: text within the site's name or address, the
	// rule's code or title, or a hazard number (12 or #12).
	Search string `query:"q" json:"-"`
}

// filter is the query as the storage's filter, without a page.
func (q HazardFilterQuery) filter() inspect.HazardFilter {
	return inspect.HazardFilter{States: q.States, Severities: q.Severities, UnitID: q.UnitID,
		SiteID: q.SiteID, InspectorID: q.InspectorID, RuleCode: q.RuleCode, Overdue: q.Overdue, Search: q.Search}
}

// HazardActionInput is POST /hazards/{id}/actions/{action}: a note and photos.
type HazardActionInput struct {
	ID     int64          `path:"id" json:"-"`
	Action inspect.Action `path:"action" json:"-"`
	inspect.HazardActionInput
}

// RatingInput is the body of POST /hazards/{id}/rating.
type RatingInput struct {
	ID     int64 `path:"id" json:"-"`
	Rating int   `json:"rating" required:"true"`
}

func (h *v1) listHazards(ctx context.Context, p inspect.Principal, q HazardQuery) (List[inspect.HazardDetail], error) {
	return listPage(q.Page, q.orDefault(inspect.DefaultHazardPage), func(after int64, limit int) ([]inspect.HazardDetail, error) {
		f := q.filter()
		f.AfterID, f.Limit = after, limit
		return h.cfg.Hazards.Hazards(ctx, p, f)
	}, func(d inspect.HazardDetail) int64 { return d.ID })
}

func (h *v1) getHazard(ctx context.Context, p inspect.Principal, in ByID) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.Hazard(ctx, p, in.ID)
}

func (h *v1) hazardAction(ctx context.Context, p inspect.Principal, in HazardActionInput) (inspect.HazardDetail, error) {
	if route, ok := determinationRoute(in.Action); ok {
		return inspect.HazardDetail{}, inspect.FieldErrorf("action", "%s is taken through %s: a determination needs a panel of at least %d reviewers",
			in.Action, route, inspect.MinDeterminationReviewers)
	}
	return h.cfg.Hazards.HazardAction(ctx, p, in.ID, in.Action, in.HazardActionInput)
}

// determinationRoute returns the route that takes a, when a is one of the
// actions only a determination takes (inspect.DeterminationOnly).
func determinationRoute(a inspect.Action) (string, bool) {
	switch {
	case a == inspect.ActionOpenDetermination:
		return "POST /api/v1/hazards/{id}/determination", true
	case inspect.DeterminationOnly(a):
		return "POST /api/v1/hazards/{id}/determination/conclude", true
	}
	return "", false
}

// submitProof is the merchant's "I fixed it": photos already uploaded to the
// hazard (PUT /photos/{uuid}?hazard_id=) and a note; the hazard becomes
// rectification_submitted.
func (h *v1) submitProof(ctx context.Context, p inspect.Principal, in ProofInput) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.HazardAction(ctx, p, in.ID, inspect.ActionSubmitProof, in.HazardActionInput)
}

// ProofInput is POST /merchant/hazards/{id}/proof.
type ProofInput struct {
	ID int64 `path:"id" json:"-"`
	inspect.HazardActionInput
}

func (h *v1) rateHazard(ctx context.Context, p inspect.Principal, in RatingInput) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.RateHazard(ctx, p, in.ID, in.Rating)
}

func (h *v1) reassignHazard(ctx context.Context, p inspect.Principal, in ReassignInput) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.ReassignHazard(ctx, p, in.ID, in.InspectorID, in.Note)
}
