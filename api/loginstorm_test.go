package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// team makes n inspectors of s's grid whose password is testPassword, hashed
// with params (cheap ones keep a test of the limits fast; a stored hash carries
// its own parameters, so any verify).
func (w *world) team(s *scope, prefix string, n int, params inspect.PasswordParams) []inspect.User {
	w.t.Helper()
	hash, err := inspect.HashPassword(testPassword, params)
	if err != nil {
		w.t.Fatal(err)
	}
	users := make([]inspect.User, n)
	for i := range users {
		u := inspect.User{Username: fmt.Sprintf("%s%03d", prefix, i), DisplayName: "Team member", Phone: fmt.Sprintf("1391%03d%04d", len(prefix), i),
			Role: inspect.RoleInspector, UnitID: s.grid.ID, GridIDs: []int64{s.grid.ID}}
		if users[i], err = w.svc.Directory.CreateUserUnchecked(w.ctx, u, hash); err != nil {
			w.t.Fatal(err)
		}
	}
	return users
}

// cheapHash are argon2id parameters that verify in well under a millisecond.
var cheapHash = inspect.PasswordParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// loginFrom posts a login as if from the client address from (behind a trusted
// proxy that sets X-Forwarded-For), returning the answer's status and Retry-After.
func loginFrom(t testing.TB, base, from, login, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// A shift start: 200 inspectors behind one NAT address log in at once, a few of
// them mistyping first, under the default limits. Every login succeeds. The
// replica checks 64 passwords at once, as many cores or several replicas behind
// one load balancer would: the limits themselves, not the login workers' line,
// must let a team's simultaneous logins through.
func TestShiftStartFromOneAddressIsNotLimited(t *testing.T) {
	t.Parallel()
	w := setup(t)
	base := replicaWith(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20}, func(v1 *api.V1Config) {
		v1.LoginLimits = api.DefaultLoginLimits()
		v1.LoginWorkers = api.LoginWorkers{Workers: 64}
	})
	team := w.team(w.own, "shift", 200, cheapHash)
	statuses := make([]int, len(team))
	var wg sync.WaitGroup
	for i, u := range team {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%40 == 0 { // a typo first: a failure, forgotten by the success
				loginStatus(t, base, u.Username, "wrong "+testPassword)
			}
			statuses[i] = loginStatus(t, base, u.Username, testPassword)
		}()
	}
	wg.Wait()
	refused := 0
	for i, st := range statuses {
		if st != 200 {
			refused++
			t.Errorf("%s: status %d, want 200", team[i].Username, st)
		}
	}
	if refused > 0 {
		t.Errorf("%d of %d logins from one address refused", refused, len(team))
	}
}

// Failures from one address lock that address; the same team's members behind
// another address still log in, and the locked address's own successful logins
// before the lock did not count.
func TestFailuresLockTheAddressNotOthers(t *testing.T) {
	t.Parallel()
	w := setup(t)
	limits := api.LoginLimits{AccountFailures: 5, AccountWindow: 15 * time.Minute, AddressFailures: 6, AddressWindow: time.Minute}
	base := replicaWith(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20, TrustedProxies: []string{"127.0.0.1"}},
		func(v1 *api.V1Config) { v1.LoginLimits = limits })
	const attacker, office = "203.0.113.7", "198.51.100.20"
	team := w.team(w.own, "addr", 8, cheapHash)
	for _, u := range team {
		if st, _ := loginFrom(t, base, attacker, u.Username, testPassword); st != 200 {
			t.Fatalf("%s from %s before any failure: status %d", u.Username, attacker, st)
		}
	}
	for i := range 6 { // different unknown accounts, so no account limit applies
		if st, _ := loginFrom(t, base, attacker, "guess"+strconv.Itoa(i), "x"); st != 401 {
			t.Fatalf("failure %d from %s: status %d, want 401", i, attacker, st)
		}
	}
	if st, retry := loginFrom(t, base, attacker, team[0].Username, testPassword); st != 429 || retry == "" {
		t.Errorf("right password from %s after 6 failures: status %d Retry-After %q, want 429 with Retry-After", attacker, st, retry)
	}
	for _, u := range team {
		if st, _ := loginFrom(t, base, office, u.Username, testPassword); st != 200 {
			t.Errorf("%s from %s while %s is locked: status %d, want 200", u.Username, office, attacker, st)
		}
	}
}

// gatedLimiter is storage's login limiter with a gate: BeginLogin of the login
// named held says it arrived and waits until the gate opens.
type gatedLimiter struct {
	api.LoginLimiter
	held    string
	arrived chan struct{}
	open    chan struct{}
}

func (g *gatedLimiter) BeginLogin(ctx context.Context, a inspect.LoginAttempt, l inspect.LoginLimits) (inspect.LoginTicket, error) {
	if a.Account == g.held {
		close(g.arrived)
		<-g.open
	}
	return g.LoginLimiter.BeginLogin(ctx, a, l)
}

// With every login worker busy and the line full, a login is answered 503 at
// once with Retry-After and a message saying why; the ones in line go through.
func TestLoginsBeyondTheLineAreTurnedAway(t *testing.T) {
	t.Parallel()
	w := setup(t)
	team := w.team(w.own, "line", 3, cheapHash)
	gate := &gatedLimiter{held: inspect.LoginAccount(0, "nobody-held"), arrived: make(chan struct{}), open: make(chan struct{})}
	base := replicaWith(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20}, func(v1 *api.V1Config) {
		gate.LoginLimiter = v1.LoginLimiter
		v1.LoginLimiter = gate
		v1.LoginWorkers = api.LoginWorkers{Workers: 1, Queue: 1, Wait: time.Minute}
	})
	held := make(chan int)
	go func() { held <- loginStatus(t, base, "nobody-held", "x") }() // holds the only worker
	<-gate.arrived

	// One of two more logins waits in the line of one; the other is turned away.
	results := make(chan *http.Response, 2)
	for _, u := range team[:2] {
		go func() {
			resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
				strings.NewReader(fmt.Sprintf(`{"login":%q,"password":%q}`, u.Username, testPassword)))
			if err != nil {
				t.Error(err)
				results <- nil
				return
			}
			results <- resp
		}()
	}
	busy := <-results // the first to answer: the one turned away
	if busy == nil {
		t.FailNow()
	}
	var e struct{ Error, Message string }
	readJSON(t, busy, &e)
	if busy.StatusCode != 503 || busy.Header.Get("Retry-After") == "" || e.Error != inspect.EUNAVAILABLE || !strings.Contains(e.Message, "logging in") {
		t.Errorf("login beyond the line: %d Retry-After %q %+v, want 503 with Retry-After and why", busy.StatusCode, busy.Header.Get("Retry-After"), e)
	}
	close(gate.open)
	if st := <-held; st != 401 {
		t.Errorf("held login: status %d, want 401", st)
	}
	if queued := <-results; queued == nil || queued.StatusCode != 200 {
		t.Errorf("login waiting in line: %v, want 200", queued)
	} else {
		queued.Body.Close()
	}
	if st := loginStatus(t, base, team[2].Username, testPassword); st != 200 {
		t.Errorf("login after the storm: status %d, want 200", st)
	}
}

func readJSON(t testing.TB, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Errorf("decode answer: %v", err)
	}
}

// Password spraying in parallel from one address: the limits count only
// finished failures from an address, so how many guesses get checked is bounded
// by the spraying limit plus the attempts running at once, which the login
// workers bound.
func TestParallelSprayingIsBoundedByTheWorkers(t *testing.T) {
	t.Parallel()
	w := setup(t)
	const workers, spray = 2, 4
	base := replicaWith(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20}, func(v1 *api.V1Config) {
		v1.LoginLimits = api.LoginLimits{AccountFailures: 5, AccountWindow: 15 * time.Minute, AddressFailures: 100, AddressWindow: time.Minute,
			SprayAccounts: spray, SprayWindow: time.Hour}
		v1.LoginWorkers = api.LoginWorkers{Workers: workers}
	})
	team := w.team(w.own, "spray", 30, cheapHash)
	statuses := make([]int, len(team))
	var wg sync.WaitGroup
	for i, u := range team {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = loginStatus(t, base, u.Username, "Summer2026!")
		}()
	}
	wg.Wait()
	checked, refused := 0, 0
	for _, st := range statuses {
		switch st {
		case 401:
			checked++
		case 429:
			refused++
		default:
			t.Errorf("status %d, want 401 or 429", st)
		}
	}
	if checked > spray+workers || refused == 0 {
		t.Errorf("30 simultaneous guesses at different accounts: %d checked, %d refused; want at most %d checked (spraying limit %d + %d workers)",
			checked, refused, spray+workers, spray, workers)
	}
}
