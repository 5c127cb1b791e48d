package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/seed"
)

// load is one run of the harness.
type load struct {
	o    options
	api  *api
	svc  *storage.Services
	db   *storage.DB
	city city

	metricsURL string

	byRole map[inspect.Role][]*actor
	probe  *actor // an officer whose hazard list is timed during the storm
}

// describe prints the machine and the city.
func (l *load) describe(ctx context.Context, w io.Writer) error {
	var hazards, open, sites, flags, pending int64
	err := l.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM hazards), (SELECT count(*) FROM hazards WHERE closed_at IS NULL),
		(SELECT count(*) FROM sites), (SELECT count(*) FROM ai_flags), (SELECT count(*) FROM ai_flags WHERE review = 'pending'),
		(SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1)`).Scan(&hazards, &open, &sites, &flags, &pending, &l.city.districtID)
	if err != nil {
		return fmt.Errorf("read the city: %w", err)
	}
	l.city.from, l.city.to = kpiPeriod(time.Now())
	fmt.Fprintf(w, "Machine: %d cores (%s), load before: %s. City: %d sites, %d hazards (%d open), %d AI flags (%d pending).\n",
		runtime.NumCPU(), runtime.GOARCH, loadavg(), sites, hazards, open, flags, pending)
	fmt.Fprintf(w, "Runs: %d clients closed loop, %s per request over HTTP, %s per request straight through storage (raw pgx, same service call).\n\n",
		l.o.clients, l.o.duration, l.o.rawDuration)
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// people picks the users of the load: inspectors, the merchants with the most
// sites (chains) and single-site ones, and the officers of the district and the
// subdistricts.
func (l *load) people(ctx context.Context, w io.Writer) error {
	l.byRole = map[inspect.Role][]*actor{}
	// Officers and merchants first; inspectors make up the rest of the storm's
	// logins (a city has far more of them).
	picks := []struct {
		sql   string
		limit int
	}{
		{`SELECT u.id, u.username FROM users u JOIN units n ON n.id = u.unit_id
			WHERE u.role = 'safety_officer' AND n.level IN ('district', 'subdistrict') ORDER BY u.id LIMIT $1`, max(1, l.o.logins/10)},
		{`SELECT u.id, u.username FROM users u JOIN site_merchants m ON m.user_id = u.id
			GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT $1`, l.o.logins * 2 / 10},
		{`SELECT id, username FROM users WHERE role = 'inspector' ORDER BY id LIMIT $1`, 0},
	}
	picked := 0
	for i, pk := range picks {
		if i == len(picks)-1 {
			pk.limit = max(1, l.o.logins-picked)
		}
		rows, err := l.db.Pool.Query(ctx, pk.sql, pk.limit)
		if err != nil {
			return fmt.Errorf("pick users: %w", err)
		}
		var id int64
		var username string
		_, err = pgx.ForEachRow(rows, []any{&id, &username}, func() error {
			p, err := l.svc.Directory.PrincipalOf(ctx, id)
			if err != nil {
				return err
			}
			l.byRole[p.User.Role] = append(l.byRole[p.User.Role], &actor{p: p, username: username})
			picked++
			return nil
		})
		if err != nil {
			return fmt.Errorf("pick users: %w", err)
		}
	}
	officers := l.byRole[inspect.RoleSafetyOfficer]
	if len(officers) == 0 || len(l.byRole[inspect.RoleInspector]) == 0 || len(l.byRole[inspect.RoleMerchant]) == 0 {
		return fmt.Errorf("the city has no inspectors, merchants or district officers to load with")
	}
	l.probe = officers[0]
	if _, err := l.login(l.probe); err != nil {
		return fmt.Errorf("log in as %s: %w", l.probe.username, err)
	}
	return nil
}

func (l *load) login(a *actor) (time.Duration, error) {
	var res struct {
		Token string `json:"token"`
	}
	d, err := l.api.call("POST", "/api/v1/auth/login", "", map[string]string{"login": a.username, "password": seed.LoadPassword}, &res)
	if err == nil {
		a.token = res.Token
	}
	return d, err
}

// loginStorm logs every picked user in from this one address, clients at a time,
// while the probe officer pages the hazard list; the probe is timed alone first.
func (l *load) loginStorm(ctx context.Context, w io.Writer) error {
	probe := func(rec *recorder, stop *atomic.Bool) {
		for !stop.Load() {
			d, err := l.api.call("GET", "/api/v1/hazards?limit=50", l.probe.token, nil, nil)
			rec.add("hazard list", d, err)
		}
	}
	idle := newRecorder()
	var stop atomic.Bool
	go func() { time.Sleep(5 * time.Second); stop.Store(true) }()
	probe(idle, &stop)

	var all []*actor
	for _, as := range l.byRole {
		all = append(all, as...)
	}
	during, logins := newRecorder(), newRecorder()
	stop.Store(false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); probe(during, &stop) }()
	var next atomic.Int64
	start := time.Now()
	var lw sync.WaitGroup
	for range l.o.clients {
		lw.Add(1)
		go func() {
			defer lw.Done()
			for i := next.Add(1) - 1; int(i) < len(all); i = next.Add(1) - 1 {
				d, err := l.login(all[i])
				logins.add("login", d, err)
			}
		}()
	}
	lw.Wait()
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	lg := find(logins.summaries(took), "login")
	i, dr := find(idle.summaries(5*time.Second), "hazard list"), find(during.summaries(took), "hazard list")
	fmt.Fprintf(w, "### Login storm: %d logins of distinct users from one address, %d at a time\n\n", len(all), l.o.clients)
	table(w, []string{"figure", "value"}, [][]string{
		{"logins", fmt.Sprintf("%d in %.1f s (%.0f/s)", lg.N, took.Seconds(), float64(lg.N)/took.Seconds())},
		{"failed logins", fmt.Sprintf("%d %s", lg.Failed, lg.FirstFailure)},
		{"login p50 / p99", ms(lg.P50) + " / " + ms(lg.P99) + " ms"},
		{"hazard list p99, idle → during the storm", fmt.Sprintf("%s → %s ms (%d and %d requests)", ms(i.P99), ms(dr.P99), i.N, dr.N)},
	})
	fmt.Fprintln(w)
	if lg.Failed > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: %d logins failed; the runs below use only the users who logged in\n", lg.Failed)
	}
	for role, as := range l.byRole {
		var in []*actor
		for _, a := range as {
			if a.token != "" {
				in = append(in, a)
			}
		}
		l.byRole[role] = in
	}
	return l.startInspections()
}

// startInspections starts one assigned inspection for each inspector, whose
// items the mixed run answers.
func (l *load) startInspections() error {
	for _, a := range l.byRole[inspect.RoleInspector] {
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		if _, err := l.api.call("GET", "/api/v1/inspections?status=assigned&limit=1", a.token, nil, &list); err != nil || len(list.Items) == 0 {
			continue
		}
		id := list.Items[0].ID
		var detail struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		if _, err := l.api.call("POST", fmt.Sprintf("/api/v1/inspections/%d/start", id), a.token, nil, &detail); err != nil {
			continue
		}
		for _, it := range detail.Items {
			a.items = append(a.items, it.Code)
		}
		if len(a.items) > 0 {
			a.inspection = id
		}
	}
	return nil
}

// actorFor returns the actor who makes r for client c: round robin over the
// role's users, the district's officer (the first) for district requests.
func (l *load) actorFor(r request, c int) *actor {
	as := l.byRole[r.role]
	if r.district {
		return as[0]
	}
	return as[c%len(as)]
}

// eachRequest runs every read alone: over HTTP, then straight through storage.
func (l *load) eachRequest(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "### Each request alone: one client for 3 s, then %d clients (HTTP, then raw pgx)\n\n", l.o.clients)
	var rows [][]string
	for _, r := range reads {
		httpRec, rawRec, oneRec := newRecorder(), newRecorder(), newRecorder()
		// One client first: the latency a user sees on a quiet server.
		took := closedLoop(1, min(l.o.duration, 3*time.Second), func(c int) {
			a := l.actorFor(r, c)
			d, err := l.api.call("GET", r.path(a, &l.city), a.token, nil, nil)
			oneRec.add(r.name, d, err)
		})
		one := find(oneRec.summaries(took), r.name)
		took = closedLoop(l.o.clients, l.o.duration, func(c int) {
			a := l.actorFor(r, c)
			d, err := l.api.call("GET", r.path(a, &l.city), a.token, nil, nil)
			httpRec.add(r.name, d, err)
		})
		h := find(httpRec.summaries(took), r.name)
		took = closedLoop(l.o.clients, l.o.rawDuration, func(c int) {
			a := l.actorFor(r, c)
			start := time.Now()
			err := r.raw(ctx, l.svc, a, &l.city)
			rawRec.add(r.name, time.Since(start), err)
		})
		rw := find(rawRec.summaries(took), r.name)
		ratio := "–"
		if rw.PerSec > 0 {
			ratio = fmt.Sprintf("%.2f×", h.PerSec/rw.PerSec)
		}
		rows = append(rows, []string{r.name, ms(one.P99), fmt.Sprintf("%.0f", h.PerSec), ms(h.P50), ms(h.P95), ms(h.P99), fmt.Sprint(h.Failed),
			fmt.Sprintf("%.0f", rw.PerSec), ms(rw.P99), ratio})
		fmt.Fprintf(os.Stderr, "loadtest: %s: %.0f req/s, p99 %s ms (raw %.0f/s)\n", r.name, h.PerSec, ms(h.P99), rw.PerSec)
		if h.FirstFailure != "" || rw.FirstFailure != "" {
			fmt.Fprintf(os.Stderr, "loadtest: %s: first failure: %s %s\n", r.name, h.FirstFailure, rw.FirstFailure)
		}
	}
	table(w, []string{"request", "1 client p99 ms", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "raw pgx req/s", "raw p99 ms", "API ÷ raw"}, rows)
	fmt.Fprintln(w)
	return nil
}

// mixed runs what users do together: half the clients inspectors (lists, and
// answering the items of their started inspection), a fifth merchants, the rest
// officers paging lists, the review queue and the KPIs.
func (l *load) mixed(ctx context.Context, w io.Writer) error {
	rec := newRecorder()
	var turn atomic.Int64
	took := closedLoop(l.o.clients, l.o.duration, func(c int) {
		role := []inspect.Role{inspect.RoleInspector, inspect.RoleInspector, inspect.RoleInspector, inspect.RoleInspector, inspect.RoleInspector,
			inspect.RoleMerchant, inspect.RoleMerchant, inspect.RoleSafetyOfficer, inspect.RoleSafetyOfficer, inspect.RoleSafetyOfficer}[c%10]
		a := l.actorFor(request{role: role}, c)
		n := int(turn.Add(1))
		if role == inspect.RoleInspector && a.inspection != 0 && n%3 == 0 {
			code := a.items[a.next%len(a.items)]
			a.next++
			d, err := l.api.call("PUT", fmt.Sprintf("/api/v1/inspections/%d/items/%s", a.inspection, code), a.token, map[string]string{"answer": "pass"}, nil)
			rec.add("inspector: answer an item", d, err)
			return
		}
		var mine []request
		for _, r := range reads {
			if r.role == role {
				mine = append(mine, r)
			}
		}
		r := mine[n%len(mine)]
		a = l.actorFor(r, c)
		d, err := l.api.call("GET", r.path(a, &l.city), a.token, nil, nil)
		rec.add(r.name, d, err)
	})
	fmt.Fprintf(w, "### Mixed, %d clients for %s (5 in 10 inspectors, 2 merchants, 3 officers)\n\n", l.o.clients, l.o.duration)
	var rows [][]string
	total := 0
	for _, s := range rec.summaries(took) {
		total += s.N
		rows = append(rows, []string{s.Name, fmt.Sprintf("%.0f", s.PerSec), ms(s.P50), ms(s.P95), ms(s.P99), fmt.Sprint(s.Failed)})
		if s.FirstFailure != "" {
			fmt.Fprintf(os.Stderr, "loadtest: mixed: %s: first failure: %s\n", s.Name, s.FirstFailure)
		}
	}
	table(w, []string{"request", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed"}, rows)
	fmt.Fprintf(w, "\nAll requests: %.0f req/s.\n\n", float64(total)/took.Seconds())
	return nil
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+)`)

// ceiling measures pgbench -S (select-only, primary key lookups) on a database
// of its own: the most simple queries per second this machine's Postgres does.
func (l *load) ceiling(ctx context.Context, w io.Writer) error {
	if !l.o.pgbench {
		return nil
	}
	// pgbench's clients need connections of their own: give back the baseline's.
	l.db.Pool.Reset()
	if err := l.pgbench(ctx, w); err != nil {
		fmt.Fprintf(w, "Raw ceiling: not measured: %v\n\n", err)
	}
	return nil
}

func (l *load) pgbench(ctx context.Context, w io.Writer) error {
	url := strings.Replace(os.Getenv("DATABASE_URL"), "/"+l.db.Pool.Config().ConnConfig.Database, "/safegrid_pgbench", 1)
	if _, err := l.db.Pool.Exec(ctx, `CREATE DATABASE safegrid_pgbench`); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create the pgbench database: %w", err)
	}
	if out, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", "10", url).CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, "pgbench", "-S", "-n", "-c", fmt.Sprint(l.o.clients), "-j", fmt.Sprint(runtime.NumCPU()),
		"-T", fmt.Sprint(int(l.o.rawDuration.Seconds())), url).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgbench -S: %v: %s", err, out)
	}
	m := tpsRE.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("pgbench -S printed no tps: %s", out)
	}
	fmt.Fprintf(w, "Raw ceiling: `pgbench -S -c %d -j %d` (scale 10) = %s tps.\n\n", l.o.clients, runtime.NumCPU(), m[1])
	return nil
}

// metrics prints the server's own view: its pools and queue from /metrics.
func (l *load) metrics(ctx context.Context, w io.Writer) error {
	resp, err := http.Get(l.metricsURL)
	if err != nil {
		return fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	fmt.Fprintln(w, "Server metrics after the runs (pools, job queue):")
	fmt.Fprintln(w, "\n```")
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") && (strings.Contains(line, "pool") || strings.Contains(line, "queue") || strings.Contains(line, "river")) {
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w, "```")
	return sc.Err()
}
