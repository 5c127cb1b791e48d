package api

import (
	"context"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// AgencyService is the agencies at the table (多方协作): the gas company, the power
// company, the police station; the hazards shared with them and their actions.
type AgencyService interface {
	CreateAgency(ctx context.Context, p inspect.Principal, a inspect.Agency) (inspect.Agency, error)
	Agencies(ctx context.Context, p inspect.Principal) ([]inspect.Agency, error)
	AgencyAction(ctx context.Context, p inspect.Principal, hazardID int64, action, note string) (inspect.HazardDetail, error)
	AgencyKPI(ctx context.Context, p inspect.Principal, id int64, period inspect.Period) (inspect.AgencyKPI, error)
	Field(name string) (checklists.Field, bool)
}

// AgencyView is an agency as GET /agencies shows it: with its field's title and
// the actions its staff record (fields.yaml), in zh and en.
type AgencyView struct {
	inspect.Agency
	FieldTitle checklists.Text          `json:"field_title"`
	Actions    []checklists.FieldAction `json:"actions"`
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

func (h *v1) listAgencies(ctx context.Context, p inspect.Principal, _ struct{}) (List[AgencyView], error) {
	agencies, err := h.cfg.Agencies.Agencies(ctx, p)
	if err != nil {
		return List[AgencyView]{}, err
	}
	out := make([]AgencyView, len(agencies))
	for i, a := range agencies {
		f, _ := h.cfg.Agencies.Field(a.Field)
		out[i] = AgencyView{Agency: a, FieldTitle: f.Title, Actions: f.Actions}
		if out[i].Actions == nil {
			out[i].Actions = []checklists.FieldAction{}
		}
	}
	return List[AgencyView]{Items: out}, nil
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
