package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// Deadlines that act: the in-app notifications the scheduler and the workflow
// send, the KPIs, the time-limit policy of a district and the collective
// determination of possibly major hazards.

func (h *v1) deadlineRoutes(p string) []Route {
	return []Route{
		{Method: "GET", Path: p + "/notifications", Roles: anyRole, Summary: "The caller's in-app notifications, newest first; page with before=<id of the last one>", Query: []string{"limit", "before"}, Response: "NotificationList", handler: h.listNotifications},
		{Method: "POST", Path: p + "/notifications/:id/read", Roles: anyRole, Summary: "Mark one of the caller's notifications read", handler: h.markNotificationRead},
		{Method: "GET", Path: p + "/kpi", Roles: managers, Summary: "KPIs of a unit's subtree for hazards recorded from from (inclusive) to to (exclusive), days in UTC+8: volume, completion, on-time, satisfaction, returned", Query: []string{"unit", "from", "to"}, Response: "KPIReport", handler: h.kpi},
		{Method: "GET", Path: p + "/policy", Roles: staff, Summary: "The time-limit policy in force in a district, with the district's override of the default", Query: []string{"district_id"}, Response: "DistrictPolicy", handler: h.getPolicy},
		{Method: "PUT", Path: p + "/policy", Roles: admins, Summary: "Replace a district's override of the default time-limit policy ({} returns it to the default); applies to deadlines set from now on", Query: []string{"district_id"}, Request: "PolicyOverride", Response: "DistrictPolicy", handler: h.putPolicy},
		{Method: "GET", Path: p + "/hazards/:id/determination", Roles: staff, Summary: "The latest major-hazard determination of a hazard", Response: "Determination", handler: h.getDetermination},
		{Method: "POST", Path: p + "/hazards/:id/determination", Roles: managers, Summary: "Open the collective determination of a possibly major hazard with at least 3 reviewers (safety officers or admins)", Request: "OpenDetermination", Response: "Determination", handler: h.openDetermination},
		{Method: "POST", Path: p + "/hazards/:id/determination/votes", Roles: managers, Summary: "Vote major or general in the open determination (reviewers on the panel, once each)", Request: "Vote", Response: "Determination", handler: h.castVote},
		{Method: "POST", Path: p + "/hazards/:id/determination/conclude", Roles: managers, Summary: "Conclude the determination with measures and a deadline: the votes make the hazard major (to the district, listed supervision) or general", Request: "Conclusion", Response: "Determination", handler: h.concludeDetermination},
	}
}

func (h *v1) listNotifications(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	before, err := queryID(c, "before")
	if err != nil {
		return err
	}
	list, err := h.store.Notifications(RequestContext(c), principal(c), limit, before)
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.Notification]{Items: list})
}

func (h *v1) markNotificationRead(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store.MarkNotificationRead(RequestContext(c), principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *v1) kpi(c *fiber.Ctx) error {
	unit, err := queryID(c, "unit")
	if err != nil {
		return err
	}
	if unit == 0 {
		return inspect.FieldErrorf("unit", "is required: the id of the unit whose subtree is counted")
	}
	period, err := inspect.ParsePeriod(c.Query("from"), c.Query("to"))
	if err != nil {
		return err
	}
	rep, err := h.store.KPIReport(RequestContext(c), principal(c), unit, period)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

func districtParam(c *fiber.Ctx) (int64, error) {
	id, err := queryID(c, "district_id")
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, inspect.FieldErrorf("district_id", "is required")
	}
	return id, nil
}

func (h *v1) getPolicy(c *fiber.Ctx) error {
	id, err := districtParam(c)
	if err != nil {
		return err
	}
	p, err := h.store.PolicyOf(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *v1) putPolicy(c *fiber.Ctx) error {
	id, err := districtParam(c)
	if err != nil {
		return err
	}
	o, err := inspect.ParsePolicyOverride(c.Body())
	if err != nil {
		return err
	}
	p, err := h.store.SetPolicyOf(RequestContext(c), principal(c), id, o)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// OpenDeterminationInput opens a determination.
type OpenDeterminationInput struct {
	Participants []int64 `json:"participants"`
	Note         string  `json:"note,omitempty"`
}

// VoteInput is one reviewer's vote.
type VoteInput struct {
	Vote   inspect.Vote `json:"vote"`
	Reason string       `json:"reason,omitempty"`
}

// ConclusionInput concludes a determination.
type ConclusionInput struct {
	Measures string    `json:"measures"`
	Deadline time.Time `json:"deadline"`
}

func (h *v1) getDetermination(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.store.Determination(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) openDetermination(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in OpenDeterminationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.store.OpenDetermination(RequestContext(c), principal(c), id, in.Participants, strings.Clone(in.Note))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) castVote(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in VoteInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.store.CastVote(RequestContext(c), principal(c), id, in.Vote, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) concludeDetermination(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ConclusionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Deadline.IsZero() {
		return inspect.FieldErrorf("deadline", "is required")
	}
	d, err := h.store.ConcludeDetermination(RequestContext(c), principal(c), id, in.Measures, in.Deadline)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// deadlineSchemas are the OpenAPI schemas of the routes above.
func deadlineSchemas() map[string]any {
	rate := obj(map[string]any{"num": integer, "den": integer, "value": map[string]any{"type": "number", "nullable": true}})
	durations := map[string]any{"type": "array", "items": str}
	rectify := map[string]any{"type": "object", "description": "level → severity → duration such as \"3d\", \"8h\", \"90m\"", "additionalProperties": map[string]any{"type": "object", "additionalProperties": str}}
	policy := obj(map[string]any{"sign_within": str, "remind_before": durations, "rectify": rectify})
	return map[string]any{
		"Notification": obj(map[string]any{"id": integer, "user_id": integer, "channel": str, "kind": map[string]any{"type": "string", "enum": []string{
			"hazard_notified", "deadline_reminder", "reinspection_due", "escalated", "determination_requested", "determination_concluded"}},
			"text_zh": str, "text_en": str, "dedup_key": str, "created_at": dt, "sent_at": dt, "read_at": dt, "attempts": integer}),
		"NotificationList": list("Notification"),
		"KPIReport": obj(map[string]any{"unit_id": integer, "unit_name": str, "from": dt, "to": dt,
			"counts":       obj(map[string]any{"received": integer, "closed": integer, "closed_on_time": integer, "findings": integer, "returned": integer, "ratings": integer, "rating_sum": integer, "ratings_at_least_4": integer}),
			"volume":       integer,
			"completion":   rate,
			"on_time":      rate,
			"satisfaction": obj(map[string]any{"average": map[string]any{"type": "number", "nullable": true}, "share_4_plus": rate}),
			"returned":     rate}),
		"PolicyOverride":    policy,
		"TimeLimitPolicy":   policy,
		"DistrictPolicy":    obj(map[string]any{"district_id": integer, "policy": ref("TimeLimitPolicy"), "override": ref("PolicyOverride")}),
		"OpenDetermination": obj(map[string]any{"participants": ints, "note": str}, "participants"),
		"Vote":              obj(map[string]any{"vote": map[string]any{"type": "string", "enum": []string{"major", "general"}}, "reason": str}, "vote"),
		"Conclusion":        obj(map[string]any{"measures": str, "deadline": dt}, "measures", "deadline"),
		"Determination": obj(map[string]any{"id": integer, "hazard_id": integer, "opened_by": integer, "opened_at": dt, "participants": ints,
			"ballots":    map[string]any{"type": "array", "items": obj(map[string]any{"reviewer_id": integer, "vote": str, "reason": str, "at": dt})},
			"conclusion": str, "measures": str, "deadline": dt, "concluded_at": dt}),
		"Supervision": obj(map[string]any{"hazard_id": integer, "supervising_unit_id": integer, "responsible_user_id": integer, "deadline": dt, "created_at": dt, "updated_at": dt}),
	}
}
