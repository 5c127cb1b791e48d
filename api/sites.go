package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// decodeJSON decodes the request body strictly into v: unknown fields, wrong types
// and trailing data are invalid-input errors naming the field.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return inspect.Errorf(inspect.EINVALID, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return inspect.FieldErrorf(typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
		case errors.As(err, &syntaxErr):
			return inspect.Errorf(inspect.EINVALID, "the request body is not valid JSON (at byte %d)", syntaxErr.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return inspect.Errorf(inspect.EINVALID, "the request body is cut short")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return inspect.FieldErrorf(strings.Trim(name, `"`), "unknown field")
		}
		var appErr *inspect.Error
		if errors.As(err, &appErr) {
			return appErr
		}
		return inspect.Errorf(inspect.EINVALID, "the request body is not a valid JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return inspect.Errorf(inspect.EINVALID, "unexpected data after the JSON object")
	}
	return nil
}

// pathID reads a positive integer path parameter.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, inspect.FieldErrorf(name, "must be a positive whole number")
	}
	return id, nil
}

// queryID reads an optional positive integer query parameter (0 when absent).
func queryID(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, inspect.FieldErrorf(name, "must be a positive whole number")
	}
	return id, nil
}

func queryInt(c *fiber.Ctx, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, inspect.FieldErrorf(name, "must be a whole number")
	}
	return n, nil
}

// List is the JSON shape of every list answer.
type List[T any] struct {
	Items []T `json:"items"`
}

func (h *v1) listSites(c *fiber.Ctx) error {
	var f inspect.SiteFilter
	var err error
	if f.GridID, err = queryID(c, "grid_id"); err != nil {
		return err
	}
	if f.AfterID, err = queryID(c, "after_id"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	f.Type = inspect.SiteType(c.Query("type"))
	sites, err := h.store.Sites(RequestContext(c), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.Site]{Items: sites})
}

// SiteInput is the body of POST /sites and PUT /sites/{id}.
type SiteInput struct {
	Name        string           `json:"name"`
	Type        inspect.SiteType `json:"type"`
	Address     string           `json:"address"`
	Lat         float64          `json:"lat"`
	Lng         float64          `json:"lng"`
	GridID      int64            `json:"grid_id"`
	Profile     json.RawMessage  `json:"profile"`
	MerchantIDs []int64          `json:"merchant_ids"`
}

func (in SiteInput) site() inspect.Site {
	return inspect.Site{Name: in.Name, Type: in.Type, Address: in.Address, Lat: in.Lat, Lng: in.Lng,
		GridID: in.GridID, Profile: in.Profile, MerchantIDs: in.MerchantIDs}
}

func (h *v1) createSite(c *fiber.Ctx) error {
	var in SiteInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	site, err := h.store.CreateSite(RequestContext(c), principal(c), in.site())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(site)
}

func (h *v1) getSite(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	site, err := h.store.Site(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(site)
}

func (h *v1) updateSite(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in SiteInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	s := in.site()
	s.ID = id
	site, err := h.store.UpdateSite(RequestContext(c), principal(c), s)
	if err != nil {
		return err
	}
	return c.JSON(site)
}

func (h *v1) listUnits(c *fiber.Ctx) error {
	units, err := h.store.Units(RequestContext(c), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.Unit]{Items: units})
}

func (h *v1) createUnit(c *fiber.Ctx) error {
	var in struct {
		ParentID int64         `json:"parent_id"`
		Level    inspect.Level `json:"level"`
		Name     string        `json:"name"`
		Code     string        `json:"code"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.store.CreateUnit(RequestContext(c), principal(c), inspect.Unit{ParentID: in.ParentID, Level: in.Level, Name: in.Name, Code: in.Code})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (h *v1) listUsers(c *fiber.Ctx) error {
	users, err := h.store.Users(RequestContext(c), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.User]{Items: users})
}

// NewUserInput is the body of POST /users.
type NewUserInput struct {
	Username    string       `json:"username"`
	Phone       string       `json:"phone"`
	DisplayName string       `json:"display_name"`
	Role        inspect.Role `json:"role"`
	UnitID      int64        `json:"unit_id"`
	GridIDs     []int64      `json:"grid_ids"`
	Password    string       `json:"password"`
}

func (h *v1) createUser(c *fiber.Ctx) error {
	var in NewUserInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u := inspect.User{Username: in.Username, Phone: in.Phone, DisplayName: in.DisplayName, Role: in.Role, UnitID: in.UnitID, GridIDs: in.GridIDs}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := inspect.ValidatePassword(in.Password); err != nil {
		return err
	}
	hash, err := inspect.HashPassword(in.Password, inspect.DefaultPasswordParams())
	if err != nil {
		return err
	}
	created, err := h.store.CreateUser(RequestContext(c), principal(c), u, hash)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(created)
}
