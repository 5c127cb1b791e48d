package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// What the web app's screens need beyond the workflow's resources: the people
// around a hazard, named for everyone who may read it (who acted, whom to call,
// never user numbers); an inspection's photos by item; a cheap unread count for
// the notification bell; and the merchant's signed acknowledgement of a hazard's
// paperwork.

func (h *v1) screenRoutes(p string) []Route {
	return []Route{
		route("GET", p+"/inspections/:id/photos", anyRole, "The photos of an inspection by checklist item, oldest first (a merchant: of their self-inspections)", h.inspectionPhotos),
		raw[struct{}, UnreadCount]("GET", p+"/notifications/unread", everyone, "How many of the caller's in-app notifications are unread, and the newest one's id; 304 to a matching If-None-Match, so the bell can poll cheaply", h.unreadNotifications),
		route("GET", p+"/hazards/:id/people", everyone, "The people of a hazard the caller may read (an agency: one shared with it): its inspector (with a contact phone), the actors of its events and its determination panel", h.hazardPeople),
		route("POST", p+"/hazards/:id/acknowledgement", merchants, "The merchant signs the inspection record or the rectification notice: the drawn signature is stored as an event of the hazard", h.acknowledgeHazard),
	}
}

// Person is a user as shown beside a hazard: a name and role, and for the
// responsible inspector the phone to call.
type Person struct {
	ID          int64        `json:"id"`
	DisplayName string       `json:"display_name"`
	Role        inspect.Role `json:"role"`
	// Phone is the responsible inspector's contact; empty for everyone else.
	Phone string `json:"phone,omitempty"`
	// Responsible marks the hazard's inspector.
	Responsible bool `json:"responsible,omitempty"`
}

func (h *v1) hazardPeople(ctx context.Context, p inspect.Principal, in ByID) (List[Person], error) {
	d, err := h.cfg.Hazards.Hazard(ctx, p, in.ID) // the caller must be able to read it
	if err != nil {
		return List[Person]{}, err
	}
	ids := []int64{d.InspectorID}
	for _, e := range d.Events {
		ids = append(ids, e.Actor)
	}
	if d.Determination != nil {
		ids = append(ids, d.Determination.Participants...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]Person, 0, len(ids))
	for _, uid := range ids {
		if uid <= 0 {
			continue // the system
		}
		u, err := h.cfg.Directory.PrincipalOf(ctx, uid)
		if err != nil {
			if inspect.ErrorCode(err) == inspect.ENOTFOUND {
				continue
			}
			return List[Person]{}, err
		}
		person := Person{ID: uid, DisplayName: u.User.DisplayName, Role: u.User.Role, Responsible: uid == d.InspectorID}
		if person.DisplayName == "" {
			person.DisplayName = u.User.Username
		}
		if person.Responsible {
			person.Phone = u.User.Phone
		}
		out = append(out, person)
	}
	return List[Person]{Items: out}, nil
}

func (h *v1) inspectionPhotos(ctx context.Context, p inspect.Principal, in ByID) (List[inspect.ItemPhoto], error) {
	return listOf(h.cfg.Inspections.InspectionPhotos(ctx, p, in.ID))
}

// UnreadCount is what the notification bell shows.
type UnreadCount struct {
	Unread   int   `json:"unread"`
	NewestID int64 `json:"newest_id"`
}

// unreadBellWindow is how many of the newest notifications the bell counts.
const unreadBellWindow = 100

func (h *v1) unreadNotifications(c *fiber.Ctx) error {
	// The answer is two numbers from one indexed query, and the ETag is made of
	// them, so a poll that ends in 304 costs that query and the session's check.
	var out UnreadCount
	var err error
	out.Unread, out.NewestID, err = h.cfg.Notifications.UnreadNotifications(RequestContext(c), principal(c), unreadBellWindow)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`"bell-%d-%d"`, out.Unread, out.NewestID)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.JSON(out)
}

// AcknowledgementInput is POST /hazards/{id}/acknowledgement.
type AcknowledgementInput struct {
	ID int64 `path:"id" json:"-"`
	inspect.Acknowledgement
}

func (h *v1) acknowledgeHazard(ctx context.Context, p inspect.Principal, in AcknowledgementInput) (inspect.HazardDetail, error) {
	return h.cfg.Hazards.AcknowledgeHazard(ctx, p, in.ID, in.Acknowledgement)
}
