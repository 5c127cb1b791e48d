package api

import (
	"context"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// maxInspectionPage is the most inspections a page holds, and the default.
const maxInspectionPage = 500

// InspectionQuery filters GET /inspections.
type InspectionQuery struct {
	Status inspect.InspectionStatus `query:"status" json:"-"`
	SiteID int64                    `query:"site_id" json:"-"`
	Page
}

// AssignmentInput is the body of POST /inspections.
type AssignmentInput struct {
	SiteID      int64     `json:"site_id" required:"true"`
	InspectorID int64     `json:"inspector_id" required:"true"`
	Due         time.Time `json:"due" required:"true"`
}

func (in *AssignmentInput) validate() error {
	if in.SiteID <= 0 {
		return inspect.FieldErrorf("site_id", "is required")
	}
	return nil
}

// AnswerInput is the body of PUT /inspections/{id}/items/{code}.
type AnswerInput struct {
	ID       int64            `path:"id" json:"-"`
	Code     string           `path:"code" json:"-"`
	Answer   inspect.Answer   `json:"answer" required:"true"`
	Note     string           `json:"note"`
	Outcome  inspect.Outcome  `json:"outcome"`
	Severity inspect.Severity `json:"severity"`
	Deadline time.Time        `json:"deadline"`
}

// ReasonInput is the body of POST /inspections/{id}/return.
type ReasonInput struct {
	ID     int64  `path:"id" json:"-"`
	Reason string `json:"reason" required:"true"`
}

// ReassignInput is the body of the reassign routes.
type ReassignInput struct {
	ID          int64  `path:"id" json:"-"`
	InspectorID int64  `json:"inspector_id" required:"true"`
	Note        string `json:"note,omitempty"`
}

// RescheduleInput moves an inspection's due time.
type RescheduleInput struct {
	ID  int64     `path:"id" json:"-"`
	Due time.Time `json:"due" required:"true"`
}

func (h *v1) rescheduleInspection(ctx context.Context, p inspect.Principal, in RescheduleInput) (inspect.Inspection, error) {
	return h.cfg.Inspections.RescheduleInspection(ctx, p, in.ID, in.Due)
}

func (h *v1) listInspections(ctx context.Context, p inspect.Principal, q InspectionQuery) (List[inspect.Inspection], error) {
	return listPage(q.Page, q.size(maxInspectionPage, maxInspectionPage), func(after int64, limit int) ([]inspect.Inspection, error) {
		return h.cfg.Inspections.Inspections(ctx, p, inspect.InspectionFilter{Status: q.Status, SiteID: q.SiteID, AfterID: after, Limit: limit})
	}, func(i inspect.Inspection) int64 { return i.ID })
}

func (h *v1) assignInspection(ctx context.Context, p inspect.Principal, in AssignmentInput) (inspect.Inspection, error) {
	return h.cfg.Inspections.AssignInspection(ctx, p, in.SiteID, in.InspectorID, in.Due)
}

func (h *v1) getInspection(ctx context.Context, p inspect.Principal, in ByID) (inspect.InspectionDetail, error) {
	return h.cfg.Inspections.Inspection(ctx, p, in.ID)
}

func (h *v1) startInspection(ctx context.Context, p inspect.Principal, in ByID) (inspect.InspectionDetail, error) {
	return h.cfg.Inspections.StartInspection(ctx, p, in.ID)
}

func (h *v1) answerItem(ctx context.Context, p inspect.Principal, in AnswerInput) (inspect.ItemDetail, error) {
	it := inspect.Item{InspectionID: in.ID, Code: in.Code, Answer: in.Answer, Note: in.Note, Outcome: in.Outcome, Severity: in.Severity, Deadline: in.Deadline}
	return h.cfg.Inspections.AnswerItem(ctx, p, in.ID, it)
}

func (h *v1) submitInspection(ctx context.Context, p inspect.Principal, in ByID) (inspect.Inspection, error) {
	return h.cfg.Inspections.SubmitInspection(ctx, p, in.ID)
}

func (h *v1) returnInspection(ctx context.Context, p inspect.Principal, in ReasonInput) (inspect.Inspection, error) {
	return h.cfg.Inspections.ReturnInspection(ctx, p, in.ID, in.Reason)
}

func (h *v1) reassignInspection(ctx context.Context, p inspect.Principal, in ReassignInput) (inspect.Inspection, error) {
	return h.cfg.Inspections.ReassignInspection(ctx, p, in.ID, in.InspectorID)
}
