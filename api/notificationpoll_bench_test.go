package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/benchgoal"
)

// pollEvery is how often the web app's bell asks (notifications.js POLL_MS).
const pollEvery = 10 * time.Second

// BenchmarkNotificationPoll measures what the notification bell's poll costs the
// server: GET /api/v1/notifications/unread for an inspector with 50 in-app
// notifications (20 of them read), answered 304 to a matching If-None-Match (the
// poll when nothing changed) and 200 without one, against baselines from the same
// run: a `SELECT 1` round trip through the server's pool, GET /api/v1/me (an
// authenticated request that reads nothing beyond the session: the floor of every
// poll) and GET /api/v1/notifications?limit=30 (the list the bell's panel loads).
// One client on a real socket with keep-alive, one request at a time.
//
// Besides ns/op it reports the CPU each request costs — this process (server and
// client: the figure is pessimistic) plus the Postgres backends of the test's
// database, read from /proc — the bytes of each answer on the wire, and from the
// CPU the phones one core serves when each polls every 10 s.
//
//	devstack --ephemeral --app-db= -- go test -count=1 -run '^$' -bench NotificationPoll -benchtime 2s ./api/
func BenchmarkNotificationPoll(b *testing.B) {
	w := setup(b)
	u := w.own.inspector
	const total, read = 50, 20
	pollNotifications(b, w, u, total, read)
	token := w.login(u)
	conn := &wireCount{}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: conn.dial}}
	get := func(path, etag string) (status int, answerETag string) {
		req, _ := http.NewRequest("GET", w.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("ETag")
	}
	status, etag := get("/api/v1/notifications/unread", "")
	if status != 200 || etag == "" {
		b.Fatalf("GET /notifications/unread: status %d, ETag %q; want 200 with an ETag", status, etag)
	}
	request := func(path, etag string, want int) func(b *testing.B) {
		return func(b *testing.B) {
			if st, _ := get(path, etag); st != want {
				b.Fatalf("GET %s: status %d, want %d", path, st, want)
			}
		}
	}
	cases := []struct {
		name string
		one  func(b *testing.B)
	}{
		{"select1", func(b *testing.B) {
			var one int
			if err := w.db.Pool.QueryRow(w.ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		}},
		{"me", request("/api/v1/me", "", 200)},
		{"unread-304", request("/api/v1/notifications/unread", etag, 304)},
		{"unread-200", request("/api/v1/notifications/unread", "", 200)},
		{"list-30", request("/api/v1/notifications?limit=30", "", 200)},
	}
	got := map[string]pollCost{}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.one(b) // warm: the connection is open, the statements prepared
			wire, proc, pg := conn.read.Load(), processCPU(b), postgresCPU(w)
			b.ResetTimer()
			for range b.N {
				c.one(b)
			}
			b.StopTimer()
			cost := pollCost{
				wall:  b.Elapsed() / time.Duration(b.N),
				proc:  (processCPU(b) - proc) / time.Duration(b.N),
				pg:    -1,
				bytes: float64(conn.read.Load()-wire) / float64(b.N),
			}
			if d := postgresCPUSince(w, pg); d >= 0 {
				cost.pg = d / time.Duration(b.N)
			}
			b.ReportMetric(float64(cost.cpu())/1e3, "cpu-µs/op")
			b.ReportMetric(float64(cost.pg)/1e3, "pg-cpu-µs/op")
			b.ReportMetric(cost.bytes, "resp-B/op")
			b.ReportMetric(cost.phonesPerCore(), "phones/core")
			got[c.name] = cost
		})
	}
	c304, c200, me, list, sel := got["unread-304"], got["unread-200"], got["me"], got["list-30"], got["select1"]
	if c304.wall == 0 || c200.wall == 0 || me.wall == 0 || list.wall == 0 || sel.wall == 0 {
		return // a sub-benchmark was filtered out or failed
	}
	pgNote := "Postgres backends included"
	if c304.pg < 0 {
		pgNote = "Postgres CPU NOT included: its backends are not readable in /proc here"
	}
	fmt.Printf("notification bell poll, inspector with %d notifications (%d unread), one client, keep-alive (%s; the client's CPU is in the process figure):\n", total, total-read, pgNote)
	for _, c := range []struct {
		name string
		c    pollCost
	}{{"SELECT 1 through the pool", sel}, {"GET /me (auth only)", me}, {"GET /notifications/unread, 304", c304}, {"GET /notifications/unread, 200", c200}, {"GET /notifications?limit=30", list}} {
		fmt.Printf("  %-32s %7.1f µs wall, CPU %7.1f µs (process %6.1f + Postgres %6.1f), answer %5.0f bytes on the wire, %8.0f phones/core\n",
			c.name, us(c.c.wall), us(c.c.cpu()), us(c.c.proc), us(max(c.c.pg, 0)), c.c.bytes, c.c.phonesPerCore())
	}
	how := func(c pollCost) string {
		return fmt.Sprintf("10 s ÷ %.0f µs CPU/request (process %.0f + Postgres %.0f; %.0f µs wall, %.0f B answer); %s",
			us(c.cpu()), us(c.proc), us(max(c.pg, 0)), us(c.wall), c.bytes, pgNote)
	}
	benchgoal.Info("bell poll 304 (nothing new): phones polling every 10 s per core", c304.phonesPerCore(), "phones", how(c304))
	benchgoal.Info("bell poll 200 (count changed): phones polling every 10 s per core", c200.phonesPerCore(), "phones", how(c200))
	benchgoal.Info("bell poll 304: CPU of 1,000 phones polling every 10 s", 100*1000*float64(c304.cpu())/float64(pollEvery), "% of one core", how(c304))
	benchgoal.Info("bell poll 304 ÷ GET /me (the auth every request pays), CPU", float64(c304.cpu())/float64(me.cpu()), "ratio",
		fmt.Sprintf("%.0f µs ÷ %.0f µs; SELECT 1 through the pool %.0f µs CPU, %.0f µs wall", us(c304.cpu()), us(me.cpu()), us(sel.cpu()), us(sel.wall)))
	benchgoal.Info("bell poll 304 ÷ 200, CPU", float64(c304.cpu())/float64(c200.cpu()), "ratio",
		fmt.Sprintf("%.0f µs ÷ %.0f µs; answers %.0f B ÷ %.0f B", us(c304.cpu()), us(c200.cpu()), c304.bytes, c200.bytes))
	benchgoal.Info("bell poll 304 ÷ the list of 30 (GET /notifications), CPU", float64(c304.cpu())/float64(list.cpu()), "ratio",
		fmt.Sprintf("%.0f µs ÷ %.0f µs; answers %.0f B ÷ %.0f B", us(c304.cpu()), us(list.cpu()), c304.bytes, list.bytes))
}

// pollCost is what one request costs on average.
type pollCost struct {
	wall, proc time.Duration
	pg         time.Duration // -1: unknown
	bytes      float64       // of the answer, headers included
}

func (c pollCost) cpu() time.Duration { return c.proc + max(c.pg, 0) }

// phonesPerCore is how many phones, each asking once per pollEvery, one core
// serves at this cost: requests per CPU-second ÷ requests per phone-second.
func (c pollCost) phonesPerCore() float64 {
	if c.cpu() <= 0 {
		return 0
	}
	return float64(pollEvery) / float64(c.cpu())
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// pollNotifications gives u total in-app notifications, the oldest read of them read.
func pollNotifications(t testing.TB, w *world, u inspect.User, total, read int) {
	t.Helper()
	for i := range total {
		n, _, err := w.svc.Notifications.Enqueue(w.ctx, inspect.Notification{UserID: u.ID, Channel: inspect.ChannelInApp,
			Kind: inspect.KindDeadlineReminder, DedupKey: fmt.Sprintf("hazard:%d:deadline:bench:remind:24h", 1000+i),
			TextZH: fmt.Sprintf("隐患 %d 的整改期限明天到期：门口停放电动车，请尽快复查。", 1000+i),
			TextEN: fmt.Sprintf("Hazard %d is due tomorrow: e-bikes parked at the door; re-inspect soon.", 1000+i)})
		if err != nil {
			t.Fatal(err)
		}
		if i < read {
			if err := w.svc.Notifications.MarkNotificationRead(w.ctx, w.principal(u), n.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// wireCount counts the bytes a client's connections read.
type wireCount struct{ read atomic.Int64 }

func (wc *wireCount) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, read: &wc.read}, nil
}

type countedConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time used so far by each Postgres backend connected to
// w's database, by pid, read from /proc (Postgres runs on this machine under
// devstack); nil when they cannot be read.
func postgresCPU(w *world) map[int64]time.Duration {
	pids := w.ids(`SELECT pid::bigint FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
	out := make(map[int64]time.Duration, len(pids))
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// The fields after the command's closing parenthesis start at field 3;
		// utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			return nil
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return nil
		}
		out[pid] = time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return out
}

// postgresCPUSince is the CPU time the backends used since before was read (a
// backend connected since then counts whole); -1 when either is unknown.
func postgresCPUSince(w *world, before map[int64]time.Duration) time.Duration {
	after := postgresCPU(w)
	if before == nil || after == nil {
		return -1
	}
	var d time.Duration
	for pid, cpu := range after {
		d += cpu - before[pid]
	}
	return d
}
