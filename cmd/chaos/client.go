package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// call is one request the load made: when, what kind, and how it ended.
type call struct {
	At     time.Time
	Kind   string // login, upload, answer, proof, review, ...
	Status int    // 0: no answer (connection error, timeout)
}

// client is the API as the load sees it, through the load balancer, recording
// every call.
type client struct {
	base string
	http *http.Client

	inflight atomic.Int64 // requests sent and not yet answered

	mu       sync.Mutex
	calls    []call
	firstErr map[string]string // "kind status" → the first such answer's text
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{Timeout: 90 * time.Second}}
}

func (c *client) record(kind string, at time.Time, status int) {
	c.mu.Lock()
	c.calls = append(c.calls, call{At: at, Kind: kind, Status: status})
	c.mu.Unlock()
}

// do sends a JSON (or raw bytes with contentType) request and decodes a 2xx
// answer into out. It returns the status, 0 when there was no answer.
func (c *client) do(kind, token, method, path string, body any, out any) (int, error) {
	var r io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		r, contentType = bytes.NewReader(b.data), b.contentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	c.inflight.Add(1)
	defer c.inflight.Add(-1)
	resp, err := c.http.Do(req)
	if err != nil {
		c.record(kind, start, 0)
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	c.record(kind, start, resp.StatusCode)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		c.noteErr(kind, resp.StatusCode, data)
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data[:min(len(data), 300)]))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// rawBody is a non-JSON request body.
type rawBody struct {
	data        []byte
	contentType string
}

// login returns a session token, retrying through faults for up to a minute.
func (c *client) login(name, password string) (string, error) {
	var res struct {
		Token string `json:"token"`
	}
	var err error
	for range 60 {
		if _, err = c.do("login", "", "POST", "/api/v1/auth/login", map[string]string{"login": name, "password": password}, &res); err == nil {
			return res.Token, nil
		}
		time.Sleep(time.Second)
	}
	return "", fmt.Errorf("log in as %s: %w", name, err)
}

// snapshot returns the calls recorded so far.
// noteErr keeps the first answer of each kind of failure, for the summary.
func (c *client) noteErr(kind string, status int, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := fmt.Sprintf("%s %d", kind, status)
	if _, ok := c.firstErr[k]; !ok {
		if c.firstErr == nil {
			c.firstErr = map[string]string{}
		}
		c.firstErr[k] = string(bytes.TrimSpace(body[:min(len(body), 200)]))
	}
}

func (c *client) snapshot() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.calls...)
}
