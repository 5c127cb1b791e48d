package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// AgencyService is the agencies at the table (多方协作): the gas company, the power
// company, the police station; the hazards shared with them and their actions.
type AgencyService interface {
	CreateAgency(ctx context.Context, p inspect.Principal, a inspect.Agency) (inspect.Agency, error)
	Agencies(ctx context.Context, p inspect.Principal) ([]inspect.Agency, error)
	AgencyAction(ctx context.Context, p inspect.Principal, hazardID int64, action, note string) (inspect.HazardDetail, error)
	AgencyKPI(ctx context.Context, p inspect.Principal, id int64, period inspect.Period) (inspect.AgencyKPI, error)
}

// AgencyInput is the body of POST /agencies.
type AgencyInput struct {
	Name string `json:"name" required:"true"`
	// Field is a field of checklists/rules/fields.yaml: gas, electrical, police,
	// market.
	Field string `json:"field" required:"true"`
	// UnitID is the org unit whose area the agency serves.
	UnitID int64 `json:"unit_id" required:"true"`
}

// AgencyActionInput is POST /hazards/{id}/agency-actions: one of the actions of
// the agency's field (fields.yaml) and a note.
type AgencyActionInput struct {
	ID     int64  `path:"id" json:"-"`
	Action string `json:"action" required:"true"`
	Note   string `json:"note"`
}

// CommentInput is POST /hazards/{id}/comments.
type CommentInput struct {
	ID   int64  `path:"id" json:"-"`
	Note string `json:"note" required:"true"`
}

// AgencyKPIQuery is GET /agencies/{id}/kpi: the agency and the period.
type AgencyKPIQuery struct {
	ID   int64  `path:"id" json:"-"`
	From string `query:"from" json:"-"`
	To   string `query:"to" json:"-"`
}

func (h *v1) createAgency(ctx context.Context, p inspect.Principal, in AgencyInput) (inspect.Agency, error) {
	return h.cfg.Agencies.CreateAgency(ctx, p, inspect.Agency{Name: in.Name, Field: in.Field, UnitID: in.UnitID})
}

func (h *v1) listAgencies(ctx context.Context, p inspect.Principal, _ struct{}) (List[inspect.Agency], error) {
	items, err := h.cfg.Agencies.Agencies(ctx, p)
	return List[inspect.Agency]{Items: items}, err
}

func (h *v1) agencyAction(ctx context.Context, p inspect.Principal, in AgencyActionInput) (inspect.HazardDetail, error) {
	return h.cfg.Agencies.AgencyAction(ctx, p, in.ID, in.Action, in.Note)
}

func (h *v1) commentHazard(ctx context.Context, p inspect.Principal, in CommentInput) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.CommentHazard(ctx, p, in.ID, in.Note)
}

func (h *v1) agencyKPI(ctx context.Context, p inspect.Principal, q AgencyKPIQuery) (inspect.AgencyKPI, error) {
	period, err := inspect.ParsePeriod(q.From, q.To)
	if err != nil {
		return inspect.AgencyKPI{}, err
	}
	return h.cfg.Agencies.AgencyKPI(ctx, p, q.ID, period)
}
