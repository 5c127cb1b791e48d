package api

import (
	"context"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// Role sets used by the route table; inspect decides them (inspect/authz.go).
var (
	anyRole   = inspect.AllRoles()
	staff     = inspect.StaffRoles()
	managers  = inspect.ManagerRoles()
	admins    = inspect.AdminRoles()
	merchants = inspect.MerchantRoles()
	agencies  = inspect.AgencyRoles()
	// everyone is anyRole and the agencies' staff: the routes an agency reaches
	// besides its own, each of which shows it only what is shared with it.
	everyone            = append(slices.Clone(anyRole), agencies...)
	staffAndAgencies    = append(slices.Clone(staff), agencies...)
	managersAndAgencies = append(slices.Clone(managers), agencies...)
)

// Route is one documented API route: the route table drives registration, the
// role check and the OpenAPI document alike.
type Route struct {
	Method  string
	Path    string         // Fiber syntax: /api/v1/sites/:id
	Roles   []inspect.Role // nil: no login needed
	Summary string
	// Query lists the query parameters the route reads.
	Query  []string
	Upload bool // the body is a raw photo, streamed
	// Status is the status of a successful answer (200 unless set).
	Status int

	in, out      reflect.Type // the Go types of the body and the answer, for the schemas
	optionalBody bool
	handler      fiber.Handler
	serve        func(r Route) fiber.Handler
}

// Handler is the shape of every JSON route: the caller's principal and the bound
// input In in, the answer Out out.
type Handler[In, Out any] func(ctx context.Context, p inspect.Principal, in In) (Out, error)

// route makes the route table's line for fn: its In is bound from the request
// (see binder) and its Out written as JSON.
func route[In, Out any](method, path string, roles []inspect.Role, summary string, fn Handler[In, Out]) Route {
	b := newBinder(reflect.TypeFor[In]())
	r := Route{Method: method, Path: path, Roles: roles, Summary: summary, Query: b.query,
		in: b.body, out: reflect.TypeFor[Out]()}
	r.serve = func(r Route) fiber.Handler {
		return func(c *fiber.Ctx) error {
			var in In
			if err := b.bind(c, reflect.ValueOf(&in).Elem(), r.optionalBody); err != nil {
				return err
			}
			if v, ok := any(&in).(interface{ validate() error }); ok {
				if err := v.validate(); err != nil {
					return err
				}
			}
			out, err := fn(RequestContext(c), principal(c), in)
			if err != nil {
				return err
			}
			return writeAnswer(c, r.Status, out)
		}
	}
	return r
}

// raw makes a route whose handler reads and writes the request itself (cookies,
// streamed uploads); In and Out only document it.
func raw[In, Out any](method, path string, roles []inspect.Role, summary string, h fiber.Handler) Route {
	b := newBinder(reflect.TypeFor[In]())
	return Route{Method: method, Path: path, Roles: roles, Summary: summary, Query: b.query,
		in: b.body, out: reflect.TypeFor[Out](), handler: h}
}

// created marks a route that answers 201.
func (r Route) created() Route { r.Status = fiber.StatusCreated; return r }

// bodyOptional marks a route whose JSON body may be left out.
func (r Route) bodyOptional() Route { r.optionalBody = true; return r }

// upload marks a route whose body is a streamed photo.
func (r Route) upload() Route { r.Upload = true; return r }

// fiberHandler returns the route's handler.
func (r Route) fiberHandler() fiber.Handler {
	if r.serve != nil {
		return r.serve(r)
	}
	return r.handler
}

// NoContent is the answer of routes that answer 204 without a body.
type NoContent struct{}

// Stream is an answer read from the object store: streamed after the handler
// returns, under a context of its own that ends when the stream is closed.
type Stream struct {
	Body        io.ReadCloser
	ContentType string
	Size        int64
}

func writeAnswer[Out any](c *fiber.Ctx, status int, out Out) error {
	switch v := any(out).(type) {
	case NoContent:
		return c.SendStatus(fiber.StatusNoContent)
	case Download:
		return sendDownload(c, v)
	case Stream:
		c.Set(fiber.HeaderContentType, v.ContentType)
		c.Set(fiber.HeaderCacheControl, "private, max-age=86400, immutable")
		c.Set("X-Content-Type-Options", "nosniff")
		return c.SendStream(v.Body, int(v.Size))
	}
	if status != 0 {
		c.Status(status)
	}
	return c.JSON(out)
}

// openStream opens an object through open under a context of its own: the body is
// streamed after the handler returns, when the request's context is already
// cancelled, so the read is ended by Fiber closing the stream instead.
func openStream(ctx context.Context, open func(ctx context.Context) (io.ReadCloser, string, int64, error)) (Stream, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	rc, contentType, size, err := open(ctx)
	if err != nil {
		cancel()
		return Stream{}, err
	}
	return Stream{Body: cancelOnClose{ReadCloser: rc, cancel: cancel}, ContentType: contentType, Size: size}, nil
}

// cancelOnClose cancels a context when the reader is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (r cancelOnClose) Close() error {
	defer r.cancel()
	return r.ReadCloser.Close()
}

// Page is the paging of a list ordered by id: limit, and where to start, as
// the cursor the previous page answered as next or (as before cursors) after_id,
// the id of its last item. Lists page by key, never by offset.
type Page struct {
	AfterID int64  `query:"after_id" json:"-"`
	Limit   int    `query:"limit" json:"-"`
	Cursor  string `query:"cursor" json:"-"`
}

// idKey is the cursor key of a list ordered by id.
type idKey struct {
	ID int64 `json:"id"`
}

// after returns the id the page starts after: the cursor's when there is one,
// else after_id.
func (pg Page) after() (int64, error) {
	if pg.Cursor == "" {
		return pg.AfterID, nil
	}
	var k idKey
	if err := decodeCursor(pg.Cursor, &k); err != nil {
		return 0, err
	}
	if k.ID < 0 {
		return 0, inspect.FieldErrorf("cursor", "is not a cursor of this list")
	}
	return k.ID, nil
}

// size is the page size of a list whose storage answers def items when limit is
// left out or above max.
func (pg Page) size(def, max int) int {
	if pg.Limit <= 0 || pg.Limit > max {
		return def
	}
	return pg.Limit
}

// orDefault is the page size asked for, def when none was: one out of range is
// left for the service to refuse, naming the limit.
func (pg Page) orDefault(def int) int {
	if pg.Limit == 0 {
		return def
	}
	return pg.Limit
}

// listPage reads one page of a list ordered by id: it starts after the cursor (or
// after_id), read fetches at most limit items, and the answer carries the next
// page's cursor when this one is full.
func listPage[T any](pg Page, limit int, read func(after int64, limit int) ([]T, error), id func(T) int64) (List[T], error) {
	after, err := pg.after()
	if err != nil {
		return List[T]{}, err
	}
	items, err := read(after, limit)
	return pageOf(items, err, limit, id)
}

// pageOf wraps one page of a list ordered by id in List, with the cursor of the
// next page when this one is full.
func pageOf[T any](items []T, err error, limit int, id func(T) int64) (List[T], error) {
	if err != nil {
		return List[T]{}, err
	}
	return List[T]{Items: items, Next: nextCursor(items, limit, func(v T) idKey { return idKey{ID: id(v)} })}, nil
}

// ByID is the input of routes that read one path id.
type ByID struct {
	ID int64 `path:"id" json:"-"`
}

// ByPhoto is the input of routes that read one photo's UUID.
type ByPhoto struct {
	UUID uuid.UUID `path:"uuid" json:"-"`
}

// byID adapts a service method that takes an id to a route handler.
func byID[Out any](fn func(context.Context, inspect.Principal, int64) (Out, error)) Handler[ByID, Out] {
	return func(ctx context.Context, p inspect.Principal, in ByID) (Out, error) { return fn(ctx, p, in.ID) }
}

// byPhoto adapts a service method that takes a photo's UUID to a route handler.
func byPhoto[Out any](fn func(context.Context, inspect.Principal, uuid.UUID) (Out, error)) Handler[ByPhoto, Out] {
	return func(ctx context.Context, p inspect.Principal, in ByPhoto) (Out, error) { return fn(ctx, p, in.UUID) }
}

// listOf wraps a service's slice answer in List.
func listOf[T any](items []T, err error) (List[T], error) { return List[T]{Items: items}, err }

// List is the JSON shape of every list answer. Next, when set, is the cursor of
// the next page (?cursor=); a list that has ended leaves it out.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// principalKey is the Locals key of the caller's principal.
type principalKey struct{}

func principal(c *fiber.Ctx) inspect.Principal {
	p, _ := c.Locals(principalKey{}).(inspect.Principal)
	return p
}

func requireRole(roles []inspect.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if !slices.Contains(roles, p.User.Role) {
			names := make([]string, len(roles))
			for i, r := range roles {
				names[i] = string(r)
			}
			return inspect.Errorf(inspect.EFORBIDDEN, "this is for %s only", strings.Join(names, ", "))
		}
		return c.Next()
	}
}
