package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// replica is one `safegrid serve` process of the test.
type replica struct {
	name string
	addr string
	cmd  *exec.Cmd
	log  *syncBuffer
}

func startReplica(t testing.TB, bin, name string, env []string) *replica {
	t.Helper()
	r := &replica{name: name, addr: freeAddr(t), log: &syncBuffer{}}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = append(env, "SAFEGRID_HTTP_ADDR="+r.addr)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			r.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", r.name, tail(r.log.String(), 4000))
		}
	})
	waitReady(t, r.addr, name+" ready", func(a readyAnswer) bool { return a.status == http.StatusOK })
	return r
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// TestReplicasActOnceThroughKill is acceptances 2 and 3. Two `safegrid serve`
// processes share one database. 1 000 hazards are due for re-inspection; every
// re-inspection result is sent to both replicas at once (exactly one may win),
// which escalates each hazard to the community with a deadline 30 s away and
// reminders 20 s and 10 s before it (the district's policy). While the first
// reminders go out, one replica is killed with SIGKILL and a third is started.
// In the end every reminder, every escalation and every passed deadline exists
// exactly once in the outbox and the event log, and no job is left behind.
func TestReplicasActOnceThroughKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes; skipped with -short")
	}
	const hazards = 1000
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "safegrid")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build safegrid: %v\n%s", err, out)
	}
	st := storagetest.New(t)
	db, dbURL, bucket := st.DB, st.URL, st.Objects

	// Seed without jobs: 1 000 hazards, notified, their (long) deadline passed.
	store := st.Store
	const password = "replica test password"
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(store), password)
	adminP := f.AdminP
	tree := f.Tree("District", "Sub", "Community", "Grid")
	district, community, grid := tree.District, tree.Community, tree.Grid
	officer := f.Principal(f.Officer("gridofficer", grid))
	communityOfficer := f.Principal(f.Officer("communityofficer", community))
	inspector := f.Principal(f.Inspector("inspector", grid))
	merchant := f.Principal(f.Merchant("merchant"))
	profile := storagetest.Profile(t, "shop-street-lpg.json")
	var (
		mu  sync.Mutex
		ids []int64
	)
	seed := func(site inspect.Site, want int) error {
		insp, err := store.Inspections.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(48*time.Hour))
		if err != nil {
			return err
		}
		d, err := store.Inspections.StartInspection(ctx, inspector, insp.ID)
		if err != nil {
			return err
		}
		for _, it := range d.Items[:min(want, len(d.Items))] {
			ans, err := store.Inspections.AnswerItem(ctx, inspector, d.ID, inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard,
				Severity: inspect.SeverityGeneral, Deadline: time.Now().Add(30 * 24 * time.Hour)})
			if err != nil {
				return err
			}
			if _, err := store.Hazards.HazardAction(ctx, officer, ans.HazardID, inspect.ActionNotify, inspect.HazardActionInput{}); err != nil {
				return err
			}
			if _, err := store.Hazards.SystemHazardAction(ctx, ans.HazardID, inspect.ActionDeadlinePassed, ""); err != nil {
				return err
			}
			mu.Lock()
			ids = append(ids, ans.HazardID)
			mu.Unlock()
		}
		return nil
	}
	seedStart := time.Now()
	var sites []inspect.Site
	for len(sites)*10 < hazards {
		s, err := store.Sites.CreateSite(ctx, adminP, inspect.Site{Name: fmt.Sprintf("Shop %d", len(sites)), Type: "shop", Address: "1 Road", Lat: 30.6, Lng: 104.0,
			GridID: grid.ID, Profile: profile, MerchantIDs: []int64{merchant.User.ID}})
		if err != nil {
			t.Fatal(err)
		}
		sites = append(sites, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(sites))
	sem := make(chan struct{}, 8)
	for _, s := range sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := seed(s, 10); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(ids) != hazards {
		t.Fatalf("seeded %d hazards, want %d (checklists have fewer than 10 items?)", len(ids), hazards)
	}
	t.Logf("seeded %d hazards in %s", hazards, time.Since(seedStart).Round(time.Millisecond))
	// The district's policy: the community has 30 s, reminders 20 s and 10 s before.
	o, err := inspect.ParsePolicyOverride([]byte(`{"remind_before":["20s","10s"],"rectify":{"community":{"general":"30s"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetDistrictPolicy(ctx, district.ID, o); err != nil {
		t.Fatal(err)
	}

	env := []string{"DATABASE_URL=" + dbURL, "SAFEGRID_S3_BUCKET=" + bucket.Bucket(), "SAFEGRID_CACHE_DIR=" + t.TempDir(),
		"SAFEGRID_JOB_RESCUE_AFTER=10s", "SAFEGRID_LOG_LEVEL=warn", "SAFEGRID_AI_SESSIONS=1", "PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"SAFEGRID_S3_ENDPOINT", "SAFEGRID_S3_ACCESS_KEY", "SAFEGRID_S3_SECRET_KEY", "SAFEGRID_S3_USE_TLS", "SAFEGRID_ORT_LIB", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	a := startReplica(t, bin, "replica A", env)
	b := startReplica(t, bin, "replica B", env)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	login := func(r *replica) string {
		resp, err := client.Post("http://"+r.addr+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"inspector","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct{ Token string }
		json.NewDecoder(resp.Body).Decode(&res)
		if res.Token == "" {
			t.Fatalf("login on %s: %s", r.name, resp.Status)
		}
		return res.Token
	}
	tokens := map[*replica]string{a: login(a), b: login(b)}

	// Both replicas get every re-inspection result at the same time.
	escStart := time.Now()
	var won, lost, other atomic.Int64
	sem = make(chan struct{}, 16)
	for _, id := range ids {
		for _, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				req, _ := http.NewRequest("POST", fmt.Sprintf("http://%s/api/v1/hazards/%d/actions/reinspect_present", r.addr, id), strings.NewReader(`{"note":"still there"}`))
				req.Header.Set("Authorization", "Bearer "+tokens[r])
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					won.Add(1)
				case 409:
					lost.Add(1)
				default:
					other.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("re-inspections on both replicas in %s: %d escalated, %d refused as already escalated, %d other", time.Since(escStart).Round(time.Millisecond), won.Load(), lost.Load(), other.Load())
	if won.Load() != hazards || lost.Load() != hazards || other.Load() != 0 {
		t.Fatalf("re-inspection results: %d 200, %d 409, %d other; want %d, %d, 0", won.Load(), lost.Load(), other.Load(), hazards, hazards)
	}

	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	reminders := func() int {
		return count(`SELECT count(*) FROM notifications WHERE kind = 'deadline_reminder'`)
	}
	// Kill A with SIGKILL in the middle of the first reminders, start C.
	waitFor(t, 60*time.Second, "the first reminders to start", func() bool { return reminders() >= hazards/2 })
	killedAt := reminders()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	t.Logf("killed replica A with SIGKILL after %d of %d reminders", killedAt, 4*hazards)
	startReplica(t, bin, "replica C", env)

	waitFor(t, 100*time.Second, "every deadline to pass and every reminder to go out", func() bool {
		return count(`SELECT count(*) FROM hazards WHERE state = 'reinspection_due' AND escalations = 1`) == hazards && reminders() == 4*hazards
	})
	t.Logf("all due work done %s after the escalations", time.Since(escStart).Round(time.Second))
	// The jobs the killed replica was running stay "running" until the leader's
	// rescuer hands them on (SAFEGRID_JOB_RESCUE_AFTER=10s, checked every 30 s);
	// run again, they find their work done and change nothing.
	stuck := count(`SELECT count(*) FROM river_job WHERE kind IN ('deadline_reminder', 'hazard_deadline') AND state = 'running'`)
	waitFor(t, 100*time.Second, "the killed replica's jobs to be rescued and finished", func() bool {
		return count(`SELECT count(*) FROM river_job WHERE kind IN ('deadline_reminder', 'hazard_deadline') AND state <> 'completed'`) == 0
	})
	t.Logf("%d jobs left running by the killed replica were rescued and finished %s after the escalations", stuck, time.Since(escStart).Round(time.Second))

	// Counted in the outbox: one row per user, channel and event...
	if n := count(`SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY user_id, channel, dedup_key HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d notifications stored more than once", n)
	}
	for _, c := range []struct {
		kind string
		user inspect.Principal
		want int
	}{
		{"deadline_reminder", merchant, 2 * hazards},
		{"deadline_reminder", inspector, 2 * hazards},
		{"escalated", communityOfficer, hazards},
		{"reinspection_due", inspector, 2 * hazards}, // the seeded deadline and the community's
		{"escalated", officer, 0},
	} {
		if got := count(`SELECT count(*) FROM notifications WHERE kind = $1 AND user_id = $2`, c.kind, c.user.User.ID); got != c.want {
			t.Errorf("%s notifications of %s: %d, want %d", c.kind, c.user.User.Username, got, c.want)
		}
	}
	// ...and in the event log: per hazard one escalation and two passed deadlines.
	if n := count(`SELECT count(*) FROM (SELECT hazard_id FROM hazard_events GROUP BY hazard_id
		HAVING count(*) FILTER (WHERE kind = 'reinspect_present') <> 1 OR count(*) FILTER (WHERE kind = 'deadline_passed') <> 2
		    OR count(*) FILTER (WHERE kind = 'escalate') <> 0) d`); n != 0 {
		t.Errorf("%d hazards do not have exactly one escalation and two passed deadlines", n)
	}
	// Nothing due is lost: every deadline job finished (none stuck with the killed replica).
	if n := count(`SELECT count(*) FROM river_job WHERE kind IN ('deadline_reminder', 'hazard_deadline') AND state <> 'completed'`); n != 0 {
		t.Errorf("%d deadline jobs not completed", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind IN ('deadline_reminder', 'hazard_deadline')`); n != 3*hazards {
		t.Errorf("%d deadline jobs, want %d (2 reminders and the deadline per hazard)", n, 3*hazards)
	}
	rep, err := db.VerifyHazardChains(ctx)
	if err != nil || len(rep.Broken) != 0 {
		t.Errorf("event chains: %v %v", rep.Broken, err)
	}
}
