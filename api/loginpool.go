package api

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// Login workers: a password check (argon2id, 19 MiB and about 40 ms of one core)
// is the most expensive thing a request does. A shift start — hundreds of
// inspectors logging in within a minute — would otherwise run one check per
// request at once, take every core and the memory of all of them, and starve
// every other request. Checks instead run on a fixed number of workers; the
// other logins wait in line, and a login that would wait too long is answered
// 503 with Retry-After at once rather than after a timeout.

// DefaultLoginQueue is how many logins may wait for a worker per replica, and
// DefaultLoginWait how long one may wait: 500 logins at 40 ms on 2 workers take
// 10 s on a quiet machine, and three times that while Postgres and the API share
// the cores; a late answer beats a refused shift start.
const (
	DefaultLoginQueue = 500
	DefaultLoginWait  = 30 * time.Second
)

// DefaultLoginWorkers is the number of CPU cores: the checks then use the
// machine without queueing behind each other in the Go scheduler.
func DefaultLoginWorkers() int { return runtime.NumCPU() }

// LoginWorkers is the size of the login worker pool and its waiting line.
type LoginWorkers struct {
	Workers int           // password checks at once (default DefaultLoginWorkers)
	Queue   int           // logins waiting for a worker (default DefaultLoginQueue)
	Wait    time.Duration // longest wait for a worker (default DefaultLoginWait)
}

func (w LoginWorkers) withDefaults() LoginWorkers {
	if w.Workers <= 0 {
		w.Workers = DefaultLoginWorkers()
	}
	if w.Queue <= 0 {
		w.Queue = DefaultLoginQueue
	}
	if w.Wait <= 0 {
		w.Wait = DefaultLoginWait
	}
	return w
}

// loginPool runs password checks on a bounded number of workers.
type loginPool struct {
	size    LoginWorkers
	slots   chan struct{}
	waiting atomic.Int64
	// checkNanos is a moving average of how long a worker is held, for the
	// Retry-After of a refusal.
	checkNanos atomic.Int64
}

func newLoginPool(size LoginWorkers) *loginPool {
	size = size.withDefaults()
	p := &loginPool{size: size, slots: make(chan struct{}, size.Workers)}
	p.checkNanos.Store(int64(50 * time.Millisecond))
	return p
}

// errLoginsBusy is the refusal of a login that found the line too long or
// waited its longest.
var errLoginsBusy = errors.New("login workers busy")

// acquire waits for a worker, within the pool's longest wait and ctx; it
// returns the function that hands the worker back, or errLoginsBusy.
func (p *loginPool) acquire(ctx context.Context) (func(), error) {
	select {
	case p.slots <- struct{}{}:
		return p.releaser(), nil
	default:
	}
	if p.waiting.Add(1) > int64(p.size.Queue) {
		p.waiting.Add(-1)
		return nil, errLoginsBusy
	}
	defer p.waiting.Add(-1)
	timer := time.NewTimer(p.size.Wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return p.releaser(), nil
	case <-timer.C:
		return nil, errLoginsBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *loginPool) releaser() func() {
	start := time.Now()
	return func() {
		d := int64(time.Since(start))
		old := p.checkNanos.Load()
		p.checkNanos.Store(old + (d-old)/8)
		<-p.slots
	}
}

// retryAfter estimates when the line ahead of a new login will have cleared.
func (p *loginPool) retryAfter() time.Duration {
	ahead := float64(p.waiting.Load()+1) / float64(p.size.Workers)
	return time.Duration(math.Ceil(ahead * float64(p.checkNanos.Load())))
}

// loginWorker takes a login worker for the request, answering 503 with
// Retry-After when none is free soon enough.
func (h *v1) loginWorker(c *fiber.Ctx) (func(), error) {
	release, err := h.logins.acquire(RequestContext(c))
	if errors.Is(err, errLoginsBusy) {
		secs := max(int(math.Ceil(h.logins.retryAfter().Seconds())), 1)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return nil, inspect.Errorf(inspect.EUNAVAILABLE, "too many people are logging in at this moment; try again in %s",
			inspect.FormatWait(time.Duration(secs)*time.Second))
	}
	return release, err
}
