package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// SessionCookie is the name of the HttpOnly cookie that carries the session token.
const SessionCookie = "safegrid_session"

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Login    string `json:"login"` // username or phone
	Password string `json:"password"`
}

// LoginResult is the answer to a successful login.
type LoginResult struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	User      inspect.User `json:"user"`
}

// dummyHash is verified against when the login is unknown, so that a wrong
// username costs as much time as a wrong password.
var dummyHash = func() string {
	h, err := inspect.HashPassword("not a password of anyone", inspect.DefaultPasswordParams())
	if err != nil {
		panic(err)
	}
	return h
}()

func (h *v1) login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Login = strings.TrimSpace(req.Login)
	if req.Login == "" {
		return inspect.FieldErrorf("login", "is required: your username or phone number")
	}
	if req.Password == "" {
		return inspect.FieldErrorf("password", "is required")
	}
	now := h.now()
	ip := c.IP()
	account := strings.ToLower(inspect.NormalizePhone(req.Login))
	if err := h.limiter.allow(c, ip, account, now); err != nil {
		return err
	}
	ctx := RequestContext(c)
	user, hash, err := h.cfg.Directory.Credentials(ctx, req.Login)
	known := err == nil
	if err != nil && inspect.ErrorCode(err) != inspect.ENOTFOUND {
		return err
	}
	if !known {
		hash = dummyHash
	}
	ok, verr := inspect.VerifyPassword(req.Password, hash)
	if verr != nil {
		h.log.Error("stored password hash is unreadable", "user_id", user.ID, "err", verr)
	}
	if !known || !ok {
		h.limiter.fail(account, now)
		return inspect.Errorf(inspect.EUNAUTHORIZED, "wrong username, phone or password")
	}
	h.limiter.succeed(account)
	token, tokenHash, err := newToken()
	if err != nil {
		return err
	}
	expires := now.Add(h.cfg.SessionTTL).UTC().Truncate(time.Second)
	if err := h.cfg.Directory.CreateSession(ctx, inspect.Session{UserID: user.ID, TokenHash: tokenHash, ExpiresAt: expires}); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode,
	})
	return c.JSON(LoginResult{Token: token, ExpiresAt: expires, User: user})
}

func (h *v1) logout(c *fiber.Ctx) error {
	token := sessionToken(c)
	if err := h.cfg.Directory.RevokeSession(RequestContext(c), hashToken(token)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return c.SendStatus(fiber.StatusNoContent)
}

// newToken returns a random session token (32 bytes, base64url) and its SHA-256,
// which is all the database keeps.
func newToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// sessionToken returns the token of the request: a Bearer Authorization header, or
// the session cookie.
func sessionToken(c *fiber.Ctx) string {
	if auth := c.Get(fiber.HeaderAuthorization); auth != "" {
		if t, ok := strings.CutPrefix(auth, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return c.Cookies(SessionCookie)
}

// authenticate resolves the session token to the caller's principal.
func (h *v1) authenticate(c *fiber.Ctx) error {
	token := sessionToken(c)
	if token == "" {
		return inspect.Errorf(inspect.EUNAUTHORIZED, "log in first: send the session token as \"Authorization: Bearer <token>\" or the %s cookie", SessionCookie)
	}
	p, err := h.cfg.Directory.SessionPrincipal(RequestContext(c), hashToken(token), h.now())
	if err != nil {
		return err
	}
	c.Locals(principalKey{}, p)
	return c.Next()
}

// LoginLimits bound login attempts. They are kept in memory, per process: with
// several replicas each counts on its own, so the effective limit is multiplied by
// the number of replicas (acceptable for now; a shared store can come later).
type LoginLimits struct {
	// AccountFailures failed logins for one account within AccountWindow block
	// that account's logins until the oldest failure leaves the window.
	AccountFailures int
	AccountWindow   time.Duration
	// AddressAttempts logins (failed or not) from one client address within
	// AddressWindow block that address.
	AddressAttempts int
	AddressWindow   time.Duration
}

// DefaultLoginLimits: 5 failures per account per 15 minutes, 20 attempts per
// client address per minute.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{AccountFailures: 5, AccountWindow: 15 * time.Minute, AddressAttempts: 20, AddressWindow: time.Minute}
}

// loginLimiter counts login attempts per client address and failures per account
// in sliding windows.
type loginLimiter struct {
	limits    LoginLimits
	mu        sync.Mutex
	failures  map[string][]time.Time // by account
	attempts  map[string][]time.Time // by client address
	lastSweep time.Time
}

// maxTracked bounds the limiter's memory; beyond it, idle entries are swept.
const maxTracked = 100_000

func newLoginLimiter(l LoginLimits) *loginLimiter {
	return &loginLimiter{limits: l, failures: map[string][]time.Time{}, attempts: map[string][]time.Time{}}
}

func recent(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	return ts[i:]
}

// allow records an attempt from ip for account and returns a too_many error (with
// Retry-After set on the response) when either limit is reached.
func (l *loginLimiter) allow(c *fiber.Ctx, ip, account string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures)+len(l.attempts) > maxTracked || now.Sub(l.lastSweep) > time.Hour {
		l.sweep(now)
	}
	fails := recent(l.failures[account], now, l.limits.AccountWindow)
	l.failures[account] = fails
	if len(fails) >= l.limits.AccountFailures {
		wait := fails[len(fails)-l.limits.AccountFailures].Add(l.limits.AccountWindow).Sub(now)
		return tooMany(c, wait, fmt.Sprintf("too many failed logins for this account: %d in %s", len(fails), formatWait(l.limits.AccountWindow)))
	}
	tries := recent(l.attempts[ip], now, l.limits.AddressWindow)
	if len(tries) >= l.limits.AddressAttempts {
		l.attempts[ip] = tries
		wait := tries[len(tries)-l.limits.AddressAttempts].Add(l.limits.AddressWindow).Sub(now)
		return tooMany(c, wait, fmt.Sprintf("too many login attempts from your address: %d in %s", len(tries), formatWait(l.limits.AddressWindow)))
	}
	l.attempts[ip] = append(tries, now)
	return nil
}

func (l *loginLimiter) fail(account string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[account] = append(l.failures[account], now)
}

func (l *loginLimiter) succeed(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, account)
}

func (l *loginLimiter) sweep(now time.Time) {
	for k, v := range l.failures {
		if len(recent(v, now, l.limits.AccountWindow)) == 0 {
			delete(l.failures, k)
		}
	}
	for k, v := range l.attempts {
		if len(recent(v, now, l.limits.AddressWindow)) == 0 {
			delete(l.attempts, k)
		}
	}
	l.lastSweep = now
}

func tooMany(c *fiber.Ctx, wait time.Duration, why string) error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return inspect.Errorf(inspect.ETOOMANY, "%s; try again in %s", why, formatWait(time.Duration(secs)*time.Second))
}

func formatWait(d time.Duration) string {
	switch {
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minute", int(d/time.Minute))
	case d <= time.Second:
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
}
