package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

func (h *v1) listInspections(c *fiber.Ctx) error {
	var f inspect.InspectionFilter
	var err error
	if f.SiteID, err = queryID(c, "site_id"); err != nil {
		return err
	}
	if f.AfterID, err = queryID(c, "after_id"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	f.Status = inspect.InspectionStatus(c.Query("status"))
	list, err := h.store.Inspections(RequestContext(c), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.Inspection]{Items: list})
}

// AssignmentInput is the body of POST /inspections.
type AssignmentInput struct {
	SiteID      int64     `json:"site_id"`
	InspectorID int64     `json:"inspector_id"`
	Due         time.Time `json:"due"`
}

func (h *v1) assignInspection(c *fiber.Ctx) error {
	var in AssignmentInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.SiteID <= 0 {
		return inspect.FieldErrorf("site_id", "is required")
	}
	insp, err := h.store.AssignInspection(RequestContext(c), principal(c), in.SiteID, in.InspectorID, in.Due)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(insp)
}

func (h *v1) getInspection(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.store.Inspection(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) startInspection(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.store.StartInspection(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// AnswerInput is the body of PUT /inspections/{id}/items/{code}.
type AnswerInput struct {
	Answer   inspect.Answer   `json:"answer"`
	Note     string           `json:"note"`
	Outcome  inspect.Outcome  `json:"outcome"`
	Severity inspect.Severity `json:"severity"`
	Deadline time.Time        `json:"deadline"`
}

func (h *v1) answerItem(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	code := strings.Clone(c.Params("code")) // Fiber reuses the buffer after the handler
	var in AnswerInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	it := inspect.Item{InspectionID: id, Code: code, Answer: in.Answer, Note: in.Note, Outcome: in.Outcome, Severity: in.Severity, Deadline: in.Deadline}
	d, err := h.store.AnswerItem(RequestContext(c), principal(c), id, it)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) submitInspection(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	insp, err := h.store.SubmitInspection(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(insp)
}

func (h *v1) returnInspection(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	insp, err := h.store.ReturnInspection(RequestContext(c), principal(c), id, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(insp)
}

// ReassignInput is the body of the reassign routes.
type ReassignInput struct {
	InspectorID int64  `json:"inspector_id"`
	Note        string `json:"note,omitempty"`
}

func (h *v1) reassignInspection(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ReassignInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	insp, err := h.store.ReassignInspection(RequestContext(c), principal(c), id, in.InspectorID)
	if err != nil {
		return err
	}
	return c.JSON(insp)
}
