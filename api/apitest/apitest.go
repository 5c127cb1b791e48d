// Package apitest is the one small JSON test client of SafeGrid's API, used by
// the tests of every package that talks to a running server: it starts a server
// on a local port for the length of a test, sends requests with a bearer token
// and decodes answers, failing the test with the request named on any transport
// or decoding error.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
)

// Serve runs srv on a local port until the test ends and returns a client of it.
func Serve(t testing.TB, srv *api.Server) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck
	})
	return New(t, "http://"+ln.Addr().String())
}

// Client sends JSON requests to one server.
type Client struct {
	t    testing.TB
	Base string // http://host:port
}

// New returns a client of the server at base.
func New(t testing.TB, base string) *Client { return &Client{t: t, Base: base} }

// Response is an answer, read whole.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// ErrorBody decodes an error answer, failing the test when it is not one.
func (r Response) ErrorBody(t testing.TB) api.ErrorBody {
	t.Helper()
	var e api.ErrorBody
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("status %d, body %q is not an error body: %v", r.Status, r.Body, err)
	}
	return e
}

// Do sends a request with token (none when ""): body is sent as it is when it
// is []byte (as image/jpeg unless a Content-Type header is given), JSON-encoded
// otherwise. header is name, value pairs.
func (c *Client) Do(token, method, path string, body any, header ...string) Response {
	c.t.Helper()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		r, contentType = bytes.NewReader(b), "image/jpeg"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.Base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// T returns the test the client fails.
func (c *Client) T() testing.TB { return c.t }

// Call sends a request and decodes a 2xx JSON answer into out.
func (c *Client) Call(token, method, path string, body, out any) Response {
	c.t.Helper()
	r := c.Do(token, method, path, body)
	if r.Status < 300 && out != nil && len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, r.Body, err)
		}
	}
	if r.Status >= 300 && testing.Verbose() && !strings.Contains(path, "login") {
		c.t.Logf("%s %s → %d %s", method, path, r.Status, r.Body)
	}
	return r
}

// Login logs in with login and password and returns the session token.
func (c *Client) Login(login, password string) string {
	c.t.Helper()
	var res api.LoginResult
	r := c.Call("", "POST", "/api/v1/auth/login", map[string]string{"login": login, "password": password}, &res)
	if r.Status != http.StatusOK || res.Token == "" {
		c.t.Fatalf("log in %s: %d %s", login, r.Status, r.Body)
	}
	return res.Token
}
