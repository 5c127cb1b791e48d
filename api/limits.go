package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/safegrid/safegrid/inspect"
)

// Read timeouts, chosen for phones on slow links (see README "Limits"):
//   - headers must arrive within DefaultHeaderTimeout (browsers open spare
//     connections ahead of need, so this is not made short);
//   - a JSON body within DefaultBodyReadTimeout after its headers;
//   - an upload within DefaultUploadReadTimeout: 20 MiB in 10 minutes is about
//     35 KB/s (280 kbit/s), below a weak 3G uplink.
const (
	DefaultHeaderTimeout     = 60 * time.Second
	DefaultBodyReadTimeout   = 30 * time.Second
	DefaultUploadReadTimeout = 10 * time.Minute
)

// LoginLimits bound failed logins; see inspect.LoginLimits.
type LoginLimits = inspect.LoginLimits

// DefaultLoginLimits are inspect.DefaultLoginLimits.
func DefaultLoginLimits() LoginLimits { return inspect.DefaultLoginLimits() }

// LoginLimiter keeps the counts behind the login limits where every replica sees
// them. BeginLogin refuses with an *inspect.LoginRefusal when a limit is reached;
// otherwise the attempt counts as failed until EndLogin says how it ended.
// *storage.LoginAttempts implements it.
type LoginLimiter interface {
	BeginLogin(ctx context.Context, a inspect.LoginAttempt, l inspect.LoginLimits) (inspect.LoginTicket, error)
	EndLogin(ctx context.Context, t inspect.LoginTicket, ok bool) error
}

// noLoginLimiter refuses every login: a server wired without a limiter must not
// check passwords without limits.
type noLoginLimiter struct{}

func (noLoginLimiter) BeginLogin(context.Context, inspect.LoginAttempt, inspect.LoginLimits) (inspect.LoginTicket, error) {
	return inspect.LoginTicket{}, inspect.Errorf(inspect.EUNAVAILABLE, "logins are not available: the server has no login limiter")
}

func (noLoginLimiter) EndLogin(context.Context, inspect.LoginTicket, bool) error { return nil }

// beginLogin asks the limiter whether a may go ahead, answering 429 with
// Retry-After when a limit is reached.
func (h *v1) beginLogin(c *fiber.Ctx, a inspect.LoginAttempt) (inspect.LoginTicket, error) {
	t, err := h.cfg.LoginLimiter.BeginLogin(RequestContext(c), a, h.cfg.LoginLimits)
	var refused *inspect.LoginRefusal
	if errors.As(err, &refused) {
		return t, tooMany(c, refused.Wait, refused.Reason)
	}
	return t, err
}

func tooMany(c *fiber.Ctx, wait time.Duration, why string) error {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return inspect.Errorf(inspect.ETOOMANY, "%s; try again in %s", why, inspect.FormatWait(time.Duration(secs)*time.Second))
}

// noStore keeps API answers (personal data, session tokens) out of every cache.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// inputGuards are the handlers every API route runs first: the JSON body limit
// (not for uploads, which are streamed and limited by their handler) and the
// refusal of NUL characters, which Postgres cannot store in text.
func (s *Server) inputGuards(r Route) []fiber.Handler {
	if r.Upload {
		s.uploads = append(s.uploads, uploadRoute{method: r.Method, prefix: r.Path[:strings.IndexByte(r.Path+":", ':')]})
		return []fiber.Handler{refuseNUL}
	}
	return []fiber.Handler{s.JSONBodyLimit(), refuseNUL}
}

// uploadRoute matches the requests of a streamed upload route, before routing.
type uploadRoute struct{ method, prefix string }

func (s *Server) isUpload(method, path []byte) bool {
	for _, u := range s.uploads {
		if string(method) == u.method && bytes.HasPrefix(path, []byte(u.prefix)) {
			return true
		}
	}
	return false
}

// setReadTimeouts gives each request a read deadline for its body by route, once
// its headers are in: uploads get UploadReadTimeout, everything else
// BodyReadTimeout. The server's own ReadTimeout bounds the headers.
func (s *Server) setReadTimeouts() {
	s.app.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if s.isUpload(h.Method(), h.RequestURI()) {
			return fasthttp.RequestConfig{ReadTimeout: s.cfg.UploadReadTimeout}
		}
		return fasthttp.RequestConfig{ReadTimeout: s.cfg.BodyReadTimeout}
	}
}

// requestTimeout is the deadline of a request's context: uploads get their read
// time on top.
func (s *Server) requestTimeout(c *fiber.Ctx) time.Duration {
	if s.isUpload(c.Request().Header.Method(), c.Request().URI().PathOriginal()) {
		return s.cfg.RequestTimeout + s.cfg.UploadReadTimeout
	}
	return s.cfg.RequestTimeout
}

// LimitBody refuses request bodies over n bytes with 413 before a handler reads
// them. A body of unknown length (chunked) is read from the connection up to n+1
// bytes and no further, so an oversized one costs n bytes of memory, not its size.
func LimitBody(n int64) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if int64(c.Request().Header.ContentLength()) > n {
			c.Context().SetConnectionClose()
			return inspect.Errorf(inspect.ETOOLARGE, "request body is larger than %d bytes", n)
		}
		stream := c.Context().RequestBodyStream()
		if stream == nil {
			return c.Next()
		}
		body, err := io.ReadAll(io.LimitReader(stream, n+1))
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.Context().SetConnectionClose()
			return fiber.NewError(fiber.StatusRequestTimeout, "the request body did not arrive in time")
		case err != nil:
			c.Context().SetConnectionClose()
			return inspect.Errorf(inspect.EINVALID, "the request body could not be read")
		case int64(len(body)) > n:
			c.Context().SetConnectionClose()
			return inspect.Errorf(inspect.ETOOLARGE, "request body is larger than %d bytes", n)
		}
		c.Request().SetBody(body)
		return c.Next()
	}
}

// refuseNUL answers 400 naming the field when a route parameter, a query
// parameter or a string in the JSON body holds a NUL character.
func refuseNUL(c *fiber.Ctx) error {
	for _, name := range c.Route().Params {
		if strings.IndexByte(c.Params(name), 0) >= 0 {
			return nulError(name)
		}
	}
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if bad == "" && (bytes.IndexByte(v, 0) >= 0 || bytes.IndexByte(k, 0) >= 0) {
			bad = strings.ReplaceAll(string(k), "\x00", `\u0000`)
		}
	})
	if bad != "" {
		return nulError(bad)
	}
	body := c.Body()
	if bytes.IndexByte(body, 0) < 0 && !bytes.Contains(bytes.ToLower(body), []byte(`\u0000`)) {
		return c.Next()
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return c.Next() // not JSON: the handler says so
	}
	if field, ok := nulField(v, ""); ok {
		return nulError(cmp.Or(field, "body"))
	}
	return c.Next()
}

func nulError(field string) error {
	return inspect.FieldErrorf(field, "must not contain the NUL character (\\u0000)")
}

// nulField finds the first string in a decoded JSON value that holds a NUL,
// returning its path ("note", "items[2].note"; "" for the body itself).
func nulField(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, strings.IndexByte(v, 0) >= 0
	case []any:
		for i, e := range v {
			if f, ok := nulField(e, path+"["+strconv.Itoa(i)+"]"); ok {
				return f, true
			}
		}
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if strings.IndexByte(k, 0) >= 0 {
				return strings.ReplaceAll(p, "\x00", `\u0000`), true
			}
			if f, ok := nulField(e, p); ok {
				return f, true
			}
		}
	}
	return "", false
}
