package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	w := setup(t, api.LoginLimits{AccountFailures: 3, AccountWindow: 15 * time.Minute, AddressFailures: 20, AddressWindow: time.Minute})
	u := w.own.inspector
	login := func(name, pw string) response {
		return w.do("", "POST", "/api/v1/auth/login", map[string]string{"login": name, "password": pw})
	}

	// By username and by phone; the token works as a Bearer header and as the cookie.
	for _, name := range []string{u.Username, u.Phone, "  " + u.Phone[:3] + " " + u.Phone[3:] + " "} {
		r := login(name, testPassword)
		if r.Status != 200 {
			t.Fatalf("login as %q: status %d %s", name, r.Status, r.Body)
		}
	}
	r := login(u.Username, testPassword)
	var res api.LoginResult
	jsonUnmarshal(r.Body, &res)
	cookie := ""
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == api.SessionCookie {
			cookie = c.Value
			if !c.HttpOnly {
				t.Error("session cookie is not HttpOnly")
			}
		}
	}
	if cookie != res.Token || res.User.ID != u.ID || !res.ExpiresAt.After(time.Now().Add(time.Hour)) {
		t.Fatalf("login result %+v, cookie %q", res, cookie)
	}
	if r := w.do("", "GET", "/api/v1/me", nil, "Cookie", api.SessionCookie+"="+cookie); r.Status != 200 {
		t.Errorf("me by cookie: status %d", r.Status)
	}
	var stored []byte
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT token_hash FROM sessions LIMIT 1`).Scan(&stored); err != nil || len(stored) != 32 || strings.Contains(string(stored), res.Token) {
		t.Errorf("sessions keep %x (%v), want only a 32-byte hash", stored, err)
	}

	// Logout revokes the token; a revoked or made-up token is 401.
	if r := w.do(res.Token, "POST", "/api/v1/auth/logout", nil); r.Status != 204 {
		t.Errorf("logout: status %d", r.Status)
	}
	for _, tok := range []string{res.Token, "made-up"} {
		if r := w.do(tok, "GET", "/api/v1/me", nil); r.Status != 401 || r.ErrorBody(t).Error != inspect.EUNAUTHORIZED {
			t.Errorf("me with token %q: status %d, want 401", tok, r.Status)
		}
	}
	// An expired session is 401.
	fresh := w.freshLogin(u)
	if _, err := w.db.Pool.Exec(w.ctx, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if r := w.do(fresh, "GET", "/api/v1/me", nil); r.Status != 401 {
		t.Errorf("expired session: status %d, want 401", r.Status)
	}

	// Wrong password and unknown user get the same 401; the third failure for the
	// account blocks it with 429, Retry-After and when to retry, even with the
	// right password.
	for i, name := range []string{u.Username, u.Username, "nobody"} {
		if r := login(name, "wrong password"); r.Status != 401 || r.ErrorBody(t).Message != "wrong username, phone or password" {
			t.Errorf("failure %d: status %d %s", i, r.Status, r.Body)
		}
	}
	login(u.Username, "wrong again")
	r = login(u.Username, testPassword)
	retry, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	if e := r.ErrorBody(t); r.Status != 429 || e.Error != inspect.ETOOMANY || retry < 800 || retry > 900 || !strings.Contains(e.Message, "try again in 15 minutes") {
		t.Errorf("blocked account: status %d, Retry-After %q, %+v", r.Status, r.Header.Get("Retry-After"), e)
	}
	// Other accounts are not blocked by it.
	if r := login(w.own.officer.Username, testPassword); r.Status != 200 {
		t.Errorf("another account: status %d", r.Status)
	}
	// The client address limit: 20 attempts a minute, whatever the account.
	blocked := 0
	for i := range 25 {
		r := login("nobody"+strconv.Itoa(i), "x")
		if r.Status == 429 {
			blocked++
			if !strings.Contains(r.ErrorBody(t).Message, "from your address") || r.Header.Get("Retry-After") == "" {
				t.Errorf("address limit answer %s", r.Body)
			}
		}
	}
	if blocked == 0 {
		t.Error("25 attempts from one address within a minute were never limited")
	}
}
