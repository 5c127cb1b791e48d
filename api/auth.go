package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// SessionCookie is the name of the HttpOnly cookie that carries the session token.
const SessionCookie = "safegrid_session"

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Login    string `json:"login" required:"true"` // username or phone
	Password string `json:"password" required:"true"`
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
	// The worker is held from the limiter's check to the recorded outcome, so at
	// most as many attempts as there are workers run unseen by the limits.
	release, err := h.loginWorker(c)
	if err != nil {
		return err
	}
	ok, user, err := h.checkPassword(c, req)
	release()
	if err != nil {
		return err
	}
	if !ok {
		return inspect.Errorf(inspect.EUNAUTHORIZED, "wrong username, phone or password")
	}
	ctx := RequestContext(c)
	token, tokenHash, err := newToken()
	if err != nil {
		return err
	}
	expires := h.now().Add(h.cfg.SessionTTL).UTC().Truncate(time.Second)
	if err := h.cfg.Directory.CreateSession(ctx, inspect.Session{UserID: user.ID, TokenHash: tokenHash, ExpiresAt: expires}); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode,
	})
	return c.JSON(LoginResult{Token: token, ExpiresAt: expires, User: user})
}

// checkPassword checks req's password under the login limits and records how the
// attempt ended; ok is false for a wrong password or an unknown login.
func (h *v1) checkPassword(c *fiber.Ctx, req LoginRequest) (bool, inspect.User, error) {
	ctx := RequestContext(c)
	user, hash, err := h.cfg.Directory.Credentials(ctx, req.Login)
	known := err == nil
	if err != nil && inspect.ErrorCode(err) != inspect.ENOTFOUND {
		return false, user, err
	}
	if !known {
		hash = dummyHash
	}
	ticket, err := h.beginLogin(c, inspect.LoginAttempt{Account: inspect.LoginAccount(user.ID, req.Login), Address: c.IP(), At: h.now()})
	if err != nil {
		return false, user, err
	}
	ok, verr := inspect.VerifyPassword(req.Password, hash)
	if verr != nil {
		h.log.Error("stored password hash is unreadable", "user_id", user.ID, "err", verr)
	}
	ok = known && ok
	if err := h.cfg.LoginLimiter.EndLogin(ctx, ticket, ok); err != nil {
		return false, user, err
	}
	return ok, user, nil
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
