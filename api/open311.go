package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// Open311Service is the city hotline's door: API keys and the reports filed with
// them (storage.Open311Service).
type Open311Service interface {
	CreateAPIKey(ctx context.Context, p inspect.Principal, name string, key []byte) (inspect.APIKey, error)
	APIKeys(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.APIKey, error)
	RevokeAPIKey(ctx context.Context, p inspect.Principal, id int64) (inspect.APIKey, error)
	KeyOf(ctx context.Context, key []byte) (inspect.APIKey, error)
	FileRequest(ctx context.Context, k inspect.APIKey, r inspect.ServiceRequest) (inspect.ServiceRequest, error)
	Request(ctx context.Context, k inspect.APIKey, id int64) (inspect.ServiceRequest, error)
	Requests(ctx context.Context, k inspect.APIKey, limit int) ([]inspect.ServiceRequest, error)
}

// Open311Path is where the GeoReport v2 façade is served.
const Open311Path = "/open311/v2"

// APIKeyInput is the body of POST /integrations/keys.
type APIKeyInput struct {
	Name string `json:"name" required:"true"`
}

// NewAPIKey is the answer to POST /integrations/keys: the key, shown this once.
type NewAPIKey struct {
	inspect.APIKey
	Key string `json:"key"`
}

func (h *v1) createAPIKey(ctx context.Context, p inspect.Principal, in APIKeyInput) (NewAPIKey, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return NewAPIKey{}, err
	}
	key := "sg311_" + base64.RawURLEncoding.EncodeToString(secret)
	k, err := h.open311().CreateAPIKey(ctx, p, strings.TrimSpace(in.Name), []byte(key))
	return NewAPIKey{APIKey: k, Key: key}, err
}

func (h *v1) listAPIKeys(ctx context.Context, p inspect.Principal, q Page) (List[inspect.APIKey], error) {
	return listPage(q, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.APIKey, error) {
		return h.open311().APIKeys(ctx, p, after, limit)
	}, func(k inspect.APIKey) int64 { return k.ID })
}

func (h *v1) revokeAPIKey(ctx context.Context, p inspect.Principal, in ByID) (inspect.APIKey, error) {
	return h.open311().RevokeAPIKey(ctx, p, in.ID)
}

// open311 returns the service, or one that says integrations are off.
func (h *v1) open311() Open311Service {
	if h.cfg.Open311 == nil {
		return noOpen311{}
	}
	return h.cfg.Open311
}

// open311Requests is how many requests a key may make per minute, per replica.
const open311Requests = 120

// keyWindow counts a key's requests in the current minute.
type keyWindow struct {
	mu     sync.Mutex
	minute int64
	counts map[int64]int
}

// allow counts one request of key id and reports whether it is within the limit.
func (w *keyWindow) allow(id int64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m := now.Unix() / 60; m != w.minute || w.counts == nil {
		w.minute, w.counts = m, map[int64]int{}
	}
	w.counts[id]++
	return w.counts[id] <= open311Requests
}

// open311Error answers in the GeoReport error shape: [{"code", "description"}].
func open311Error(c *fiber.Ctx, status int, description string) error {
	return c.Status(status).JSON([]fiber.Map{{"code": status, "description": description}})
}

// open311Fail maps a service error to the GeoReport error shape.
func open311Fail(c *fiber.Ctx, err error) error {
	var status int
	switch inspect.ErrorCode(err) {
	case inspect.EINVALID:
		status = fiber.StatusBadRequest
	case inspect.EUNAUTHORIZED:
		status = fiber.StatusUnauthorized
	case inspect.ENOTFOUND:
		status = fiber.StatusNotFound
	case inspect.ECONFLICT:
		status = fiber.StatusConflict
	case inspect.EUNAVAILABLE:
		status = fiber.StatusServiceUnavailable
	default:
		return err // logged and answered 500 by the error handler
	}
	msg := inspect.ErrorMessage(err)
	var e *inspect.Error
	if errors.As(err, &e) && e.Field != "" {
		msg = e.Field + ": " + e.Message
	}
	return open311Error(c, status, msg)
}

// mountOpen311 serves the GeoReport v2 façade: discovery and services are open;
// requests need an api_key (query or form), limited per key.
func (s *Server) mountOpen311(h *v1) {
	limit := &keyWindow{}
	withKey := func(next func(c *fiber.Ctx, k inspect.APIKey) error) fiber.Handler {
		return func(c *fiber.Ctx) error {
			key := c.FormValue("api_key")
			if key == "" {
				return open311Error(c, fiber.StatusUnauthorized, "api_key is required")
			}
			k, err := h.open311().KeyOf(RequestContext(c), []byte(key))
			if err != nil {
				return open311Fail(c, err)
			}
			if !limit.allow(k.ID, h.now()) {
				c.Set(fiber.HeaderRetryAfter, "60")
				return open311Error(c, fiber.StatusTooManyRequests, fmt.Sprintf("more than %d requests a minute with this key", open311Requests))
			}
			return next(c, k)
		}
	}
	g := s.app.Group(Open311Path)
	g.Get("/discovery.json", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{
			"changeset":   "2026-11-30T00:00:00Z",
			"contact":     "the district's safety office",
			"key_service": "an admin creates keys with POST /api/v1/integrations/keys",
			"endpoints": []fiber.Map{{"specification": "http://wiki.open311.org/GeoReport_v2", "url": c.BaseURL() + Open311Path,
				"changeset": "2026-11-30T00:00:00Z", "type": "production", "formats": []string{"application/json"}}},
		})
	})
	g.Get("/services.json", func(c *fiber.Ctx) error {
		var out []fiber.Map
		for _, sv := range inspect.ReportServices() {
			out = append(out, fiber.Map{"service_code": sv.Code, "service_name": sv.Name, "description": sv.Description,
				"metadata": false, "type": "realtime", "keywords": "", "group": sv.Group})
		}
		return c.JSON(out)
	})
	g.Post("/requests.json", withKey(func(c *fiber.Ctx, k inspect.APIKey) error {
		lat, err := optionalFloat(c.FormValue("lat"), "lat")
		if err != nil {
			return open311Fail(c, err)
		}
		lng, err := optionalFloat(c.FormValue("long"), "long")
		if err != nil {
			return open311Fail(c, err)
		}
		var siteID int64
		if v := c.FormValue("attribute[site_id]"); v != "" {
			if siteID, err = strconv.ParseInt(v, 10, 64); err != nil || siteID <= 0 {
				return open311Error(c, fiber.StatusBadRequest, "attribute[site_id]: not a site number")
			}
		}
		r, err := inspect.NewServiceRequest(c.FormValue("service_code"), c.FormValue("description"), siteID, lat, lng)
		if err != nil {
			return open311Fail(c, err)
		}
		filed, err := h.open311().FileRequest(RequestContext(c), k, r)
		if err != nil {
			return open311Fail(c, err)
		}
		return c.JSON([]fiber.Map{{"service_request_id": strconv.FormatInt(filed.ID, 10), "service_notice": filed.StatusNotes(), "account_id": nil}})
	}))
	g.Get("/requests.json", withKey(func(c *fiber.Ctx, k inspect.APIKey) error {
		list, err := h.open311().Requests(RequestContext(c), k, 200)
		if err != nil {
			return open311Fail(c, err)
		}
		out := make([]fiber.Map, len(list))
		for i, r := range list {
			out[i] = open311Request(r)
		}
		return c.JSON(out)
	}))
	g.Get("/requests/:id.json", withKey(func(c *fiber.Ctx, k inspect.APIKey) error {
		id, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil {
			return open311Error(c, fiber.StatusNotFound, "no such request")
		}
		r, err := h.open311().Request(RequestContext(c), k, id)
		if err != nil {
			return open311Fail(c, err)
		}
		return c.JSON([]fiber.Map{open311Request(r)})
	}))
}

// open311Request is a request as GeoReport v2 writes it. No personal data: the
// reporter's details are not kept.
func open311Request(r inspect.ServiceRequest) fiber.Map {
	status := "closed"
	if r.Open() {
		status = "open"
	}
	sv, _ := inspect.ReportServiceByCode(r.ServiceCode)
	return fiber.Map{"service_request_id": strconv.FormatInt(r.ID, 10), "status": status, "status_notes": r.StatusNotes(),
		"service_name": sv.Name, "service_code": r.ServiceCode, "description": r.Description, "agency_responsible": "SafeGrid",
		"requested_datetime": r.RequestedAt.Format(time.RFC3339), "updated_datetime": r.UpdatedAt.Format(time.RFC3339),
		"address": r.Address, "lat": r.Lat, "long": r.Lng}
}

func optionalFloat(v, field string) (*float64, error) {
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, inspect.FieldErrorf(field, "not a number of degrees: %q", v)
	}
	return &f, nil
}

// noOpen311 answers when the server has no Open311 service wired.
type noOpen311 struct{}

var errNoOpen311 = inspect.Errorf(inspect.EUNAVAILABLE, "integrations are not available on this server")

func (noOpen311) CreateAPIKey(context.Context, inspect.Principal, string, []byte) (inspect.APIKey, error) {
	return inspect.APIKey{}, errNoOpen311
}
func (noOpen311) APIKeys(context.Context, inspect.Principal, int64, int) ([]inspect.APIKey, error) {
	return nil, errNoOpen311
}
func (noOpen311) RevokeAPIKey(context.Context, inspect.Principal, int64) (inspect.APIKey, error) {
	return inspect.APIKey{}, errNoOpen311
}
func (noOpen311) KeyOf(context.Context, []byte) (inspect.APIKey, error) {
	return inspect.APIKey{}, errNoOpen311
}
func (noOpen311) FileRequest(context.Context, inspect.APIKey, inspect.ServiceRequest) (inspect.ServiceRequest, error) {
	return inspect.ServiceRequest{}, errNoOpen311
}
func (noOpen311) Request(context.Context, inspect.APIKey, int64) (inspect.ServiceRequest, error) {
	return inspect.ServiceRequest{}, errNoOpen311
}
func (noOpen311) Requests(context.Context, inspect.APIKey, int) ([]inspect.ServiceRequest, error) {
	return nil, errNoOpen311
}
