package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// sendChunked writes a chunked POST with total bytes of body (a JSON string that
// never ends) and returns the answer's status and how many body bytes had been
// written when the answer arrived.
// socketBufferMax is the most a TCP connection's two socket buffers can hold
// here: the sender's largest send buffer and the receiver's largest receive
// buffer (net.ipv4.tcp_wmem and tcp_rmem, their third field); 8 MiB when unknown.
func socketBufferMax(t *testing.T) int64 {
	t.Helper()
	var total int64
	for _, f := range []string{"/proc/sys/net/ipv4/tcp_wmem", "/proc/sys/net/ipv4/tcp_rmem"} {
		b, err := os.ReadFile(f)
		fields := strings.Fields(string(b))
		if err != nil || len(fields) != 3 {
			return 8 << 20
		}
		n, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return 8 << 20
		}
		total += n
	}
	return total
}

func sendChunked(t *testing.T, base, path string, total int64) (int, int64) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", path)
	var sent atomic.Int64
	go func() {
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		first := append([]byte(`{"login":"`), chunk[10:]...)
		for n := int64(0); n < total; n += int64(len(chunk)) {
			c := chunk
			if n == 0 {
				c = first
			}
			if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(c), c); err != nil {
				return // the server closed the connection: expected after 413
			}
			sent.Add(int64(len(c)))
		}
		io.WriteString(conn, "0\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, sent.Load()
}

func TestChunkedJSONBodyIsLimited(t *testing.T) {
	t.Parallel()
	w := setup(t) // JSON body limit 1 MiB
	for _, size := range []int64{5 << 20, 64 << 20} {
		status, sent := sendChunked(t, w.base, "/api/v1/auth/login", size)
		if status != 413 {
			t.Errorf("chunked %d MiB login body: status %d, want 413", size>>20, status)
		}
		// The server stops reading after the limit; what was sent beyond it sits in
		// the loopback's socket buffers (sender's and receiver's, up to their
		// maxima), not in the server. Only a body larger than those can show that
		// the server stopped: a smaller one may be sent whole into the buffers.
		if buffers := socketBufferMax(t); size > buffers && sent >= size {
			t.Errorf("chunked %d MiB login body: the server read all of it before answering (socket buffers hold %d MiB)", size>>20, buffers>>20)
		}
	}
	// A small chunked body is read and used.
	req, _ := http.NewRequest("POST", w.base+"/api/v1/auth/login", io.MultiReader(strings.NewReader(`{"login":"`+w.own.inspector.Username+`",`), strings.NewReader(`"password":"`+testPassword+`"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.ContentLength != 0 || resp.StatusCode != 200 {
		t.Errorf("small chunked login (length %d): status %d, want 200", req.ContentLength, resp.StatusCode)
	}
}

func TestNULInTextIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	officer, inspector := w.login(s.officer), w.login(s.inspector)
	h, _ := w.hazard(s)
	d := w.startedInspection(s)
	item := d.Items[0].Code
	cases := []struct {
		name, token, method, path string
		body                      any
		field                     string
	}{
		{"login name", "", "POST", "/api/v1/auth/login", map[string]string{"login": "merchant\x00", "password": "x"}, "login"},
		{"item note", inspector, "PUT", fmt.Sprintf("/api/v1/inspections/%d/items/%s", d.ID, url.PathEscape(item)), api.AnswerInput{Answer: inspect.AnswerPass, Note: "ok\x00"}, "note"},
		{"hazard note", officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/actions/notify", h.ID), inspect.HazardActionInput{Note: "a\x00b"}, "note"},
		{"site name", officer, "POST", "/api/v1/sites", map[string]any{"name": "Shop\x00", "type": "shop", "address": "1 Road", "grid_id": s.grid.ID}, "name"},
		{"hazard filter", officer, "GET", "/api/v1/hazards?rule_code=a%00b", nil, "rule_code"},
		{"site filter", officer, "GET", "/api/v1/sites?type=%00", nil, "type"},
		{"inspection filter", officer, "GET", "/api/v1/inspections?status=%00", nil, "status"},
	}
	for _, c := range cases {
		r := w.do(c.token, c.method, c.path, c.body)
		if e := r.ErrorBody(t); r.Status != 400 || e.Field != c.field || !strings.Contains(e.Message, "NUL") {
			t.Errorf("%s: status %d %s, want 400 naming %q", c.name, r.Status, r.Body, c.field)
		}
	}
	// An escaped backslash before u0000 is not a NUL.
	if r := w.do(inspector, "PUT", fmt.Sprintf("/api/v1/inspections/%d/items/%s", d.ID, url.PathEscape(item)), []byte(`{"answer":"pass","note":"C:\\u0000"}`), "Content-Type", "application/json"); r.Status != 200 {
		t.Errorf("note with an escaped backslash: status %d %s", r.Status, r.Body)
	}
}

func TestAPIAnswersAreNotCached(t *testing.T) {
	t.Parallel()
	w := setup(t)
	tok := w.login(w.own.inspector)
	for _, c := range []struct{ token, path string }{{tok, "/api/v1/me"}, {"", "/api/v1/me"}, {tok, "/api/v1/no-such-route"}} {
		if r := w.do(c.token, "GET", c.path, nil); r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s (status %d): Cache-Control %q, want no-store", c.path, r.Status, r.Header.Get("Cache-Control"))
		}
	}
}

// limitedWorld is a world whose login limits are 5 failures per account and 8 per
// address, and a second replica (base2) on the same database.
func limitedWorld(t *testing.T) (*world, string) {
	limits := api.LoginLimits{AccountFailures: 5, AccountWindow: 15 * time.Minute, AddressFailures: 8, AddressWindow: time.Minute}
	w := setup(t, limits)
	return w, replica(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20}, limits)
}

// replica starts another server on w's database and bucket and returns its base URL.
func replica(t *testing.T, w *world, cfg api.Config, limits api.LoginLimits) string {
	return replicaWith(t, w, cfg, func(v1 *api.V1Config) { v1.LoginLimits = limits })
}

// replicaWith is replica with the V1Config (storage's services and login limiter)
// changed by adjust.
func replicaWith(t testing.TB, w *world, cfg api.Config, adjust func(*api.V1Config)) string {
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := api.New(cfg)
	v1 := v1Config(w.svc)
	v1.LoginLimiter = storage.NewLoginAttempts(w.db)
	adjust(&v1)
	srv.MountV1(v1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// dribble opens a connection, writes head at once and then rest one piece every
// gap, and returns the answer's status (0 when the server closed the connection
// without one) and how long it took to come.
func dribble(t *testing.T, base string, head string, rest []string, gap time.Duration) (int, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(time.Minute))
	io.WriteString(conn, head)
	go func() {
		for _, piece := range rest {
			time.Sleep(gap)
			if _, err := io.WriteString(conn, piece); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, time.Since(start)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

func split(s string, n int) []string {
	var parts []string
	size := (len(s) + n - 1) / n
	for len(s) > size {
		parts, s = append(parts, s[:size]), s[size:]
	}
	return append(parts, s)
}

func TestSlowClientsTimeOutPerRoute(t *testing.T) {
	t.Parallel()
	w := setup(t)
	base := replica(t, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20,
		HeaderTimeout: time.Second, BodyReadTimeout: time.Second, UploadReadTimeout: 8 * time.Second}, api.DefaultLoginLimits())
	const gap = 400 * time.Millisecond

	// Headers sent one byte at a time (slowloris) are cut off after HeaderTimeout.
	header := "Host: x\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n"
	status, took := dribble(t, base, "POST /api/v1/auth/login HTTP/1.1\r\n", split(header, len(header)), gap)
	if took > 4*time.Second {
		t.Errorf("slow headers: answered %d after %s, want the connection cut after about 1 s", status, took)
	}
	// A JSON body dribbled over 8 s is cut off after BodyReadTimeout.
	body := `{"login":"a","password":"bbbb"}`
	status, took = dribble(t, base, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n", split(body, 20), gap)
	if took > 4*time.Second || (status != 0 && status != 408) {
		t.Errorf("slow JSON body: status %d after %s, want 408 or a cut connection after about 1 s", status, took)
	}
	// An upload sent over 4 s (past BodyReadTimeout, within UploadReadTimeout) is taken.
	d := w.startedInspection(w.own)
	tok := w.login(w.own.inspector)
	photo := string(jpegPhoto(t))
	path := fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", uuid.New(), d.ID, url.QueryEscape(d.Items[0].Code))
	head := "PUT " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + strconv.Itoa(len(photo)) + "\r\n\r\n"
	status, took = dribble(t, base, head, split(photo, 10), gap)
	if status != 201 {
		t.Errorf("upload over %s: status %d, want 201", took, status)
	}
}

func loginStatus(t testing.TB, base, login, password string) int {
	t.Helper()
	body := fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	w, _ := limitedWorld(t)
	statuses := make([]int, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = loginStatus(t, w.base, w.own.merchant.Username, "wrong "+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	checked := 0
	for _, st := range statuses {
		switch st {
		case 401:
			checked++
		case 429:
		default:
			t.Errorf("status %d, want 401 or 429", st)
		}
	}
	if checked > 5 {
		t.Errorf("8 simultaneous wrong passwords: %d checked (401), want at most the limit 5; statuses %v", checked, statuses)
	}
}

func TestLoginLimitCountsTheAccountNotTheSpelling(t *testing.T) {
	t.Parallel()
	w, _ := limitedWorld(t)
	m := w.own.merchant
	for i := range 5 {
		if st := loginStatus(t, w.base, m.Username, "wrong"); st != 401 {
			t.Fatalf("failure %d: status %d", i, st)
		}
	}
	for _, spelling := range []string{m.Username, strings.ToUpper(m.Username), m.Phone, m.Phone[:3] + " " + m.Phone[3:]} {
		if st := loginStatus(t, w.base, spelling, testPassword); st != 429 {
			t.Errorf("locked account as %q: status %d, want 429", spelling, st)
		}
	}
}

func TestLoginLimitIsSharedByReplicas(t *testing.T) {
	t.Parallel()
	w, second := limitedWorld(t)
	m := w.own.merchant
	bases := []string{w.base, second}
	for i := range 5 {
		if st := loginStatus(t, bases[i%2], m.Username, "wrong"); st != 401 {
			t.Fatalf("failure %d on replica %d: status %d", i, i%2, st)
		}
	}
	for i, b := range bases {
		if st := loginStatus(t, b, m.Phone, testPassword); st != 429 {
			t.Errorf("replica %d after 5 failures across both: status %d, want 429", i, st)
		}
	}
}

func TestSuccessfulLoginsFromOneAddressAreNotLimited(t *testing.T) {
	t.Parallel()
	w, _ := limitedWorld(t) // 8 failures per address
	team := []inspect.User{w.own.inspector, w.own.officer, w.own.merchant, w.other.inspector, w.other.officer, w.other.merchant}
	for i := range 30 {
		u := team[i%len(team)]
		if st := loginStatus(t, w.base, u.Username, testPassword); st != 200 {
			t.Fatalf("successful login %d from one address: status %d", i, st)
		}
	}
	// Failures from the address are limited, whatever the account.
	blocked := false
	for i := range 10 {
		if loginStatus(t, w.base, "nobody"+strconv.Itoa(i), "x") == 429 {
			blocked = true
		}
	}
	if !blocked {
		t.Error("10 failures from one address were never limited (limit 8)")
	}
}

func TestPasswordSprayingIsLimited(t *testing.T) {
	t.Parallel()
	w := setup(t, api.LoginLimits{AccountFailures: 5, AccountWindow: 15 * time.Minute, AddressFailures: 100, AddressWindow: time.Minute, SprayAccounts: 4, SprayWindow: time.Hour})
	blockedAt := -1
	for i := range 6 {
		if loginStatus(t, w.base, "user"+strconv.Itoa(i), "Summer2026!") == 429 && blockedAt < 0 {
			blockedAt = i
		}
	}
	if blockedAt != 4 {
		t.Errorf("one password against many accounts: first refused at account %d, want 4 (after 4 accounts failed)", blockedAt)
	}
}
