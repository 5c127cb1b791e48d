package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/inspect"
)

// Config is what the HTTP server needs from the binary's configuration.
type Config struct {
	Logger         *slog.Logger
	BodyLimit      int64         // largest JSON body; uploads are limited per route
	MaxUploadBytes int64         // largest streamed upload (photos)
	RequestTimeout time.Duration // deadline given to each request's context
	// HeaderTimeout, BodyReadTimeout and UploadReadTimeout bound how long a client
	// may take to send headers, a JSON body and an upload (defaults in limits.go).
	HeaderTimeout, BodyReadTimeout, UploadReadTimeout time.Duration
	TrustedProxies                                    []string // proxies whose X-Forwarded-For is believed
	Checks                                            []Check  // readiness checks, reported by /readyz
	// Metrics records each request's latency by route pattern, and upload bytes;
	// nil records nothing. It is served on a listener of its own, not here.
	Metrics *metrics.Metrics
}

// Server is the Fiber application with SafeGrid's middleware and probes.
type Server struct {
	app     *fiber.App
	cfg     Config
	log     *slog.Logger
	uploads []uploadRoute
}

// New builds the server: request ids, access log, panic recovery, the error table,
// body limits and the /healthz and /readyz probes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	cfg.HeaderTimeout = cmp.Or(cfg.HeaderTimeout, DefaultHeaderTimeout)
	cfg.BodyReadTimeout = cmp.Or(cfg.BodyReadTimeout, DefaultBodyReadTimeout)
	cfg.UploadReadTimeout = cmp.Or(cfg.UploadReadTimeout, DefaultUploadReadTimeout)
	s := &Server{cfg: cfg, log: cfg.Logger}
	// The app-wide limit must admit the largest upload; fasthttp streams bodies over
	// its buffer instead of holding them whole. JSON routes are held to BodyLimit by
	// limitBody.
	s.app = fiber.New(fiber.Config{
		AppName:                 "safegrid",
		BodyLimit:               int(cfg.MaxUploadBytes + 1<<20),
		StreamRequestBody:       true,
		ReadTimeout:             cfg.HeaderTimeout,
		WriteTimeout:            2 * time.Minute,
		IdleTimeout:             2 * time.Minute,
		DisableStartupMessage:   true,
		ErrorHandler:            s.handleError,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
	})
	s.setReadTimeouts()
	s.app.Use(requestid.New())
	if cfg.Metrics != nil {
		s.app.Use(s.observe) // outside accessLog, which writes an error's status
	}
	s.app.Use(s.accessLog)
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	s.app.Use(s.withDeadline)
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	return s
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// App returns the Fiber application, for registering routes and for app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for running requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// JSONBodyLimit returns the middleware that holds JSON routes to the configured limit.
func (s *Server) JSONBodyLimit() fiber.Handler { return LimitBody(s.cfg.BodyLimit) }

// deadlineKey is the Locals key of each request's context.
type deadlineKey struct{}

// withDeadline gives every request a context with its own deadline, because a
// client disconnect does not cancel a fasthttp request.
func (s *Server) withDeadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.requestTimeout(c))
	defer cancel()
	c.Locals(deadlineKey{}, ctx)
	return c.Next()
}

// RequestContext returns the request's context with its deadline.
func RequestContext(c *fiber.Ctx) context.Context {
	if ctx, ok := c.Locals(deadlineKey{}).(context.Context); ok {
		return ctx
	}
	return context.Background()
}

func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the status is logged right.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.Int("status", c.Response().StatusCode()),
		slog.Duration("duration", time.Since(start)),
		slog.String("ip", c.IP()),
	)
	return nil
}

// observe records the request's latency under the route pattern that answered it
// (/api/v1/hazards/:id), so a series per id never appears.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	// The method is a view of fasthttp's buffer, reused by the next request: a
	// label kept by the registry must be a copy.
	s.cfg.Metrics.ObserveRequest(strings.Clone(c.Method()), c.Route().Path, c.Response().StatusCode(), time.Since(start))
	return err
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic in handler", "request_id", requestID(c), "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

// statusByCode is the one table from application error codes to HTTP statuses.
var statusByCode = map[string]int{
	inspect.EINVALID:      fiber.StatusBadRequest,
	inspect.EUNAUTHORIZED: fiber.StatusUnauthorized,
	inspect.EFORBIDDEN:    fiber.StatusForbidden,
	inspect.ENOTFOUND:     fiber.StatusNotFound,
	inspect.ECONFLICT:     fiber.StatusConflict,
	inspect.ETOOLARGE:     fiber.StatusRequestEntityTooLarge,
	inspect.EUNSUPPORTED:  fiber.StatusUnsupportedMediaType,
	inspect.ETOOMANY:      fiber.StatusTooManyRequests,
	inspect.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	inspect.EINTERNAL:     fiber.StatusInternalServerError,
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error     string `json:"error"`           // the application error code
	Message   string `json:"message"`         // safe to show to a user
	Field     string `json:"field,omitempty"` // the input field that was wrong
	RequestID string `json:"request_id,omitempty"`
}

// handleError writes err as JSON with the status from statusByCode. Only internal
// errors are logged with their detail; the user sees a generic message for those.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	body := ErrorBody{RequestID: requestID(c)}
	status := fiber.StatusInternalServerError
	var appErr *inspect.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &appErr):
		body.Error, body.Message, body.Field = appErr.Code, appErr.Message, appErr.Field
		status = statusByCode[appErr.Code]
		if status == 0 {
			status = fiber.StatusInternalServerError
		}
	case errors.As(err, &fe):
		status = fe.Code
		body.Error, body.Message = fiberCode(fe.Code), fe.Message
	case errors.Is(err, context.DeadlineExceeded):
		status = fiber.StatusServiceUnavailable
		body.Error, body.Message = inspect.EUNAVAILABLE, "the request took too long; try again"
	case unreachable(err):
		// The database (or another dependency) went away mid-request, as in a
		// restart: nothing was committed, and the client's retry will do.
		s.log.Warn("dependency unreachable", "request_id", body.RequestID, "method", c.Method(), "path", c.Path(), "err", err)
		status = fiber.StatusServiceUnavailable
		body.Error, body.Message = inspect.EUNAVAILABLE, "the service is briefly unavailable; try again in a few seconds"
		c.Set(fiber.HeaderRetryAfter, "5")
	default:
		body.Error, body.Message = inspect.EINTERNAL, "internal error"
	}
	if status >= 500 && body.Error == inspect.EINTERNAL {
		s.log.Error("request failed", "request_id", body.RequestID, "method", c.Method(), "path", c.Path(), "err", err)
		body.Message = "internal error"
	}
	return c.Status(status).JSON(body)
}

// unreachable reports whether err is a connection that could not be made or was
// lost (refused, reset, closed, cut short): a dependency restarting, not a bug.
// pgx marks its own such errors SafeToRetry; dial errors are net.Errors.
// A database that is shutting down or starting up says so with SQLSTATE class 08
// (connection exception) or 57P01–57P03.
func unreachable(err error) bool {
	var ne net.Error
	var retry interface{ SafeToRetry() bool }
	var sql interface{ SQLState() string }
	if errors.As(err, &sql) {
		switch code := sql.SQLState(); {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
			return true
		}
	}
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		(errors.As(err, &retry) && retry.SafeToRetry())
}

// fiberCode names the application code for a status Fiber produced itself (404 for
// an unknown route, 413 for an oversized body, ...).
func fiberCode(status int) string {
	for code, st := range statusByCode {
		if st == status {
			return code
		}
	}
	if status == fiber.StatusMethodNotAllowed {
		return inspect.EINVALID
	}
	return inspect.EINTERNAL
}
