package api

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Check is one readiness check. Run returns nil when the part is usable, ErrDisabled
// when it is switched off on purpose, and any other error when it is down.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// disabledError marks a part that is off by configuration: reported, not a failure.
type disabledError string

func (e disabledError) Error() string { return "disabled: " + string(e) }

// DisabledError returns an error that reports a part as disabled, with the reason.
func DisabledError(reason string) error { return disabledError(reason) }

// CheckState is one check's line in the /readyz answer.
type CheckState struct {
	Status string `json:"status"` // ok, disabled, failing (down) or quorum_lost (up, cannot write)
	Detail string `json:"detail,omitempty"`
}

// Readiness is the /readyz answer.
type Readiness struct {
	Status  string                `json:"status"` // ok or failing
	Failing []string              `json:"failing,omitempty"`
	Checks  map[string]CheckState `json:"checks"`
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz runs every check in parallel with a short deadline and answers 503 naming
// the failing parts when any is down.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(RequestContext(c), 3*time.Second)
	defer cancel()
	r := Readiness{Status: "ok", Checks: map[string]CheckState{}}
	states := make([]CheckState, len(s.cfg.Checks))
	var wg sync.WaitGroup
	for i, chk := range s.cfg.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states[i] = runCheck(ctx, chk)
		}()
	}
	wg.Wait()
	for i, chk := range s.cfg.Checks {
		r.Checks[chk.Name] = states[i]
		if states[i].Status != "ok" && states[i].Status != "disabled" {
			r.Status = "failing"
			r.Failing = append(r.Failing, chk.Name)
		}
	}
	if r.Status != "ok" {
		return c.Status(fiber.StatusServiceUnavailable).JSON(r)
	}
	return c.JSON(r)
}

func runCheck(ctx context.Context, chk Check) CheckState {
	err := chk.Run(ctx)
	switch e := err.(type) {
	case nil:
		return CheckState{Status: "ok"}
	case disabledError:
		return CheckState{Status: "disabled", Detail: string(e)}
	case interface{ CheckStatus() string }:
		// A part that answers but is degraded (MinIO without write quorum).
		return CheckState{Status: e.CheckStatus(), Detail: err.Error()}
	default:
		return CheckState{Status: "failing", Detail: err.Error()}
	}
}
