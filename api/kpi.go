package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// KPIQuery is GET /kpi: the unit whose subtree is counted and the period.
type KPIQuery struct {
	Unit int64  `query:"unit" json:"-"`
	From string `query:"from" json:"-"`
	To   string `query:"to" json:"-"`
}

func (q *KPIQuery) validate() error {
	if q.Unit == 0 {
		return inspect.FieldErrorf("unit", "is required: the id of the unit whose subtree is counted")
	}
	return nil
}

func (h *v1) kpi(ctx context.Context, p inspect.Principal, q KPIQuery) (inspect.KPIReport, error) {
	period, err := inspect.ParsePeriod(q.From, q.To)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	return h.cfg.Policy.KPIReport(ctx, p, q.Unit, period)
}

func (h *v1) inspectorKPIs(ctx context.Context, p inspect.Principal, q KPIQuery) (List[inspect.InspectorKPI], error) {
	period, err := inspect.ParsePeriod(q.From, q.To)
	if err != nil {
		return List[inspect.InspectorKPI]{}, err
	}
	rows, err := h.cfg.Policy.InspectorKPIs(ctx, p, q.Unit, period)
	return List[inspect.InspectorKPI]{Items: rows}, err
}
