package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// The review queue: AI flags on evidence photos, decided by the safety office.
// Confirming creates (or joins) the hazard for the photo's site and rule; every
// decision is kept as a labelled example for the next model.

func (h *v1) reviewRoutes(p string) []Route {
	return []Route{
		{Method: "GET", Path: p + "/flags", Roles: managers, Summary: "The review queue: AI flags in the caller's area, oldest first", Query: []string{"review", "code", "after_id", "limit"}, Response: "FlagList", handler: h.listFlags},
		{Method: "GET", Path: p + "/flags/stats", Roles: managers, Summary: "Per AI check: flags pending, confirmed and rejected, and precision as reviewed", Response: "FlagStatsList", handler: h.flagStats},
		{Method: "GET", Path: p + "/flags/:id", Roles: managers, Summary: "One AI flag", Response: "Flag", handler: h.getFlag},
		{Method: "POST", Path: p + "/flags/:id/confirm", Roles: managers, Summary: "Confirm a flag: it becomes a hazard for the site and rule, or joins the open one", Request: "Note", Response: "Flag", handler: h.confirmFlag},
		{Method: "POST", Path: p + "/flags/:id/reject", Roles: managers, Summary: "Reject a flag with the reason", Request: "Reason", Response: "Flag", handler: h.rejectFlag},
		{Method: "GET", Path: p + "/photos/:uuid/flags", Roles: staff, Summary: "The AI flags of one photo", Response: "FlagList", handler: h.photoFlags},
		{Method: "POST", Path: p + "/photos/:uuid/flags", Roles: staff, Summary: "Add by hand a hazard the model cannot see (cardboard boxes, a charging cable) to one's photo", Request: "ManualFlag", Response: "Flag", handler: h.addManualFlag},
		{Method: "GET", Path: p + "/photos/:uuid/annotated", Roles: staff, Summary: "The photo with the detector's boxes and labels drawn (404 until analysed)", Response: "binary", handler: h.annotatedPhoto},
	}
}

func (h *v1) listFlags(c *fiber.Ctx) error {
	f := inspect.FlagFilter{Review: c.Query("review"), Code: c.Query("code")}
	after, err := queryID(c, "after_id")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	f.AfterID, f.Limit = after, limit
	flags, err := h.store.Flags(RequestContext(c), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(flags)
}

func (h *v1) flagStats(c *fiber.Ctx) error {
	stats, err := h.store.FlagStats(RequestContext(c), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(stats)
}

func (h *v1) getFlag(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	f, err := h.store.Flag(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (h *v1) confirmFlag(c *fiber.Ctx) error { return h.reviewFlag(c, true) }
func (h *v1) rejectFlag(c *fiber.Ctx) error  { return h.reviewFlag(c, false) }

func (h *v1) reviewFlag(c *fiber.Ctx, confirm bool) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var body struct {
		Note   string `json:"note"`
		Reason string `json:"reason"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	text := body.Reason
	if confirm {
		text = body.Note
	}
	f, err := h.store.ReviewFlag(RequestContext(c), principal(c), id, confirm, text)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (h *v1) photoFlags(c *fiber.Ctx) error {
	id, err := inspect.ParsePhotoID(c.Params("uuid"))
	if err != nil {
		return err
	}
	flags, err := h.store.PhotoFlags(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(flags)
}

func (h *v1) addManualFlag(c *fiber.Ctx) error {
	id, err := inspect.ParsePhotoID(c.Params("uuid"))
	if err != nil {
		return err
	}
	var body struct {
		Code string `json:"code"`
		Note string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	f, err := inspect.NewManualFlag(body.Code, body.Note)
	if err != nil {
		return err
	}
	out, err := h.store.AddManualFlag(RequestContext(c), principal(c), id, f)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (h *v1) annotatedPhoto(c *fiber.Ctx) error {
	id, err := inspect.ParsePhotoID(c.Params("uuid"))
	if err != nil {
		return err
	}
	// Streamed after the handler returns: read under a context of its own (see photoContent).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(RequestContext(c)), 5*time.Minute)
	rc, contentType, size, err := h.store.OpenAnnotated(ctx, principal(c), id)
	if err != nil {
		cancel()
		return err
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400, immutable")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.SendStream(cancelOnClose{ReadCloser: rc, cancel: cancel}, int(size))
}
