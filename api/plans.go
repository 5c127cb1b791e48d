package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// PlanService is inspection plans and their draws (storage.PlanService).
type PlanService interface {
	CreatePlan(ctx context.Context, p inspect.Principal, pl inspect.Plan) (inspect.Plan, error)
	Plans(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.Plan, error)
	RunPlan(ctx context.Context, p inspect.Principal, id int64) (inspect.PlanRun, error)
	Draws(ctx context.Context, p inspect.Principal, id, afterID int64, limit int) ([]inspect.Draw, error)
	PublicDraws(ctx context.Context, afterID int64, limit int) ([]inspect.PublicDraw, error)
}

// PlanInput is the body of POST /plans.
type PlanInput struct {
	UnitID    int64              `json:"unit_id" required:"true"`
	Name      string             `json:"name" required:"true"`
	Kind      inspect.PlanKind   `json:"kind" required:"true"`
	SiteTypes []inspect.SiteType `json:"site_types"`
	Months    int                `json:"months" required:"true"`
	DrawCount int                `json:"draw_count"`
}

func (h *v1) createPlan(ctx context.Context, p inspect.Principal, in PlanInput) (inspect.Plan, error) {
	return h.plans().CreatePlan(ctx, p, inspect.Plan{UnitID: in.UnitID, Name: in.Name, Kind: in.Kind, SiteTypes: in.SiteTypes, Months: in.Months, DrawCount: in.DrawCount})
}

// maxIntegrationPage is the longest page of the plan, draw, key and webhook
// lists.
const maxIntegrationPage = 200

func (h *v1) listPlans(ctx context.Context, p inspect.Principal, q Page) (List[inspect.Plan], error) {
	return listPage(q, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.Plan, error) {
		return h.plans().Plans(ctx, p, after, limit)
	}, func(pl inspect.Plan) int64 { return pl.ID })
}

func (h *v1) runPlan(ctx context.Context, p inspect.Principal, in ByID) (inspect.PlanRun, error) {
	return h.plans().RunPlan(ctx, p, in.ID)
}

// PlanDrawsQuery is GET /plans/{id}/draws: the plan and a page.
type PlanDrawsQuery struct {
	ID int64 `path:"id" json:"-"`
	Page
}

func (h *v1) planDraws(ctx context.Context, p inspect.Principal, q PlanDrawsQuery) (List[inspect.Draw], error) {
	return listPage(q.Page, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.Draw, error) {
		return h.plans().Draws(ctx, p, q.ID, after, limit)
	}, func(d inspect.Draw) int64 { return d.ID })
}

func (h *v1) publicDraws(ctx context.Context, _ inspect.Principal, q Page) (List[inspect.PublicDraw], error) {
	return listPage(q, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.PublicDraw, error) {
		return h.plans().PublicDraws(ctx, after, limit)
	}, func(d inspect.PublicDraw) int64 { return d.ID })
}

func (h *v1) plans() PlanService {
	if h.cfg.Plans == nil {
		return noPlans{}
	}
	return h.cfg.Plans
}

var errNoPlans = inspect.Errorf(inspect.EUNAVAILABLE, "inspection plans are not available on this server")

type noPlans struct{}

func (noPlans) CreatePlan(context.Context, inspect.Principal, inspect.Plan) (inspect.Plan, error) {
	return inspect.Plan{}, errNoPlans
}
func (noPlans) Plans(context.Context, inspect.Principal, int64, int) ([]inspect.Plan, error) {
	return nil, errNoPlans
}
func (noPlans) RunPlan(context.Context, inspect.Principal, int64) (inspect.PlanRun, error) {
	return inspect.PlanRun{}, errNoPlans
}
func (noPlans) Draws(context.Context, inspect.Principal, int64, int64, int) ([]inspect.Draw, error) {
	return nil, errNoPlans
}
func (noPlans) PublicDraws(context.Context, int64, int) ([]inspect.PublicDraw, error) {
	return nil, errNoPlans
}
