package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// fault is one injected failure: its kind, when it started and when the system
// had recovered from it.
type fault struct {
	Kind      string
	Target    string
	At        time.Time
	Recovered time.Time // zero: never recovered
	InFlight  int64     // load requests in flight when it was injected
	Note      string
}

// control is the cluster's fault-injection API.
type control struct{ base string }

type procState struct {
	Name  string
	PID   int
	Ready bool
}

func (ct control) post(path string) error {
	resp, err := http.Post(ct.base+path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e map[string]string
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, e["error"])
	}
	return nil
}

func (ct control) state() (replicas, minio []procState, err error) {
	resp, err := http.Get(ct.base + "/state")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var s struct{ Replicas, MinIO []procState }
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s.Replicas, s.MinIO, err
}

// waitFor polls ok every 200 ms until it holds or limit passes, returning when
// it held (zero when it never did).
func waitFor(limit time.Duration, ok func() bool) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ok() {
			return time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Time{}
}

// chaos injects the faults over the run while the load runs.
type chaos struct {
	ct     control
	l      *load
	lb     string
	mu     sync.Mutex // guards faults: replica kills recover concurrently
	faults []fault
	checks []string // outcomes of the in-run checks (quorum loss answers)
	failed bool
}

func (ch *chaos) record(f fault) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.faults = append(ch.faults, f)
	took := "not recovered"
	if !f.Recovered.IsZero() {
		took = "recovered in " + f.Recovered.Sub(f.At).Round(100*time.Millisecond).String()
	}
	log.Printf("chaos: %s %s (%d requests in flight): %s %s", f.Kind, f.Target, f.InFlight, took, f.Note)
}

// replicaBack reports whether the replica runs again under a new pid and is ready.
func (ch *chaos) replicaBack(name string, killed int) bool {
	reps, _, err := ch.ct.state()
	if err != nil {
		return false
	}
	for _, r := range reps {
		if r.Name == name {
			return r.PID != 0 && r.PID != killed && r.Ready
		}
	}
	return false
}

func (ch *chaos) killReplica(kind string) {
	reps, _, err := ch.ct.state()
	if err != nil || len(reps) == 0 {
		return
	}
	// Kill a ready one when there is one: a kill every d/24 comes sooner than
	// a slow restart on a loaded machine.
	ready := slices.DeleteFunc(slices.Clone(reps), func(r procState) bool { return !r.Ready || r.PID == 0 })
	if len(ready) > 0 {
		reps = ready
	}
	victim := reps[rand.IntN(len(reps))]
	name := victim.Name
	f := fault{Kind: kind, Target: name, At: time.Now(), InFlight: ch.l.c.inflight.Load()}
	if err := ch.ct.post("/kill?name=" + name); err != nil {
		log.Printf("chaos: kill %s: %v", name, err)
		return
	}
	// Back means restarted (a new pid) and passing /readyz in the cluster's
	// health checker, which polls each second.
	f.Recovered = waitFor(2*time.Minute, func() bool { return ch.replicaBack(name, victim.PID) })
	ch.record(f)
}

// uploadProbe uploads one photo once (no retry) as the district officer to an
// open hazard (which the officer manages, so takes photos) and reports its status
// and whether a row exists for it afterwards.
func (ch *chaos) uploadProbe(ctx context.Context, v *verifier) (int, bool) {
	q := url.Values{"limit": {"1"}}
	for _, s := range inspect.OpenStates() {
		q.Add("state", string(s))
	}
	var hz struct{ Items []struct{ ID int64 } }
	if st, err := ch.l.c.do("probe", ch.l.office, "GET", "/api/v1/hazards?"+q.Encode(), nil, &hz); err != nil || len(hz.Items) == 0 {
		log.Printf("chaos: upload probe: no open hazard to upload to (%d, %v)", st, err)
		return 0, false
	}
	id := uuid.NewString()
	data, sha := ch.l.photos.next(id)
	st, err := ch.l.c.do("probe-upload", ch.l.office, "PUT", fmt.Sprintf("/api/v1/photos/%s?hazard_id=%d", id, hz.Items[0].ID), rawBody{data, "image/jpeg"}, nil)
	if st != 201 {
		log.Printf("chaos: upload probe: %d %v", st, err)
	}
	ch.l.mu.Lock()
	ch.l.uploads = append(ch.l.uploads, upload{ID: id, SHA: sha, Status: st})
	ch.l.mu.Unlock()
	return st, v.photoRow(ctx, id)
}

func (ch *chaos) minioAllReady() bool {
	_, nodes, err := ch.ct.state()
	if err != nil || len(nodes) == 0 {
		return false
	}
	for _, n := range nodes {
		if !n.Ready {
			return false
		}
	}
	return true
}

func (ch *chaos) uploadOK(ctx context.Context, v *verifier) bool {
	st, _ := ch.uploadProbe(ctx, v)
	return st == 201
}

func (ch *chaos) readyzSays(word string) bool {
	resp, err := http.Get(ch.lb + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return strings.Contains(b.String(), word)
}

// minioOutage kills nodes, checks uploads while they are down, and starts them
// again, recording recovery as the first successful upload after the restart.
func (ch *chaos) minioOutage(ctx context.Context, v *verifier, nodes []string, hold time.Duration) {
	// The fault is n of 4 nodes down: the others must be up and the store
	// taking photos first (a node restarted by the previous outage rejoins in
	// its own time).
	if waitFor(2*time.Minute, func() bool { return ch.minioAllReady() && ch.uploadOK(ctx, v) }).IsZero() {
		log.Printf("chaos: MinIO not fully back before the next outage; injecting it anyway")
	}
	f := fault{Kind: fmt.Sprintf("minio-%d-down", len(nodes)), Target: strings.Join(nodes, "+"), At: time.Now(), InFlight: ch.l.c.inflight.Load()}
	for _, n := range nodes {
		if err := ch.ct.post("/kill?name=" + n); err != nil {
			log.Printf("chaos: kill %s: %v", n, err)
		}
	}
	time.Sleep(hold / 3)
	st, row := ch.uploadProbe(ctx, v)
	switch len(nodes) {
	case 1:
		ok := st == 201 && row
		ch.checks = append(ch.checks, fmt.Sprintf("1 of 4 MinIO nodes down: upload %d, row %v — %s", st, row, okWord(ok)))
		ch.failed = ch.failed || !ok
	default:
		quorum := waitFor(10*time.Second, func() bool { return ch.readyzSays("quorum_lost") })
		ok := st == 503 && !row
		ch.checks = append(ch.checks, fmt.Sprintf("%d of 4 MinIO nodes down: upload %d, row %v, /readyz quorum_lost %v — %s", len(nodes), st, row, !quorum.IsZero(), okWord(ok && !quorum.IsZero())))
		ch.failed = ch.failed || !ok || quorum.IsZero()
	}
	time.Sleep(hold - hold/3)
	restart := time.Now()
	for _, n := range nodes {
		if err := ch.ct.post("/start?name=" + n); err != nil {
			log.Printf("chaos: start %s: %v", n, err)
		}
	}
	f.Recovered = waitFor(120*time.Second, func() bool { return ch.uploadOK(ctx, v) })
	f.Note = fmt.Sprintf("(down %s; first upload ok %s after the restart)", restart.Sub(f.At).Round(time.Second), f.Recovered.Sub(restart).Round(100*time.Millisecond))
	ch.record(f)
}

func (ch *chaos) postgresRestart() {
	f := fault{Kind: "postgres-restart", Target: "pg_ctl restart -m immediate", At: time.Now(), InFlight: ch.l.c.inflight.Load()}
	if err := ch.ct.post("/postgres/restart"); err != nil {
		log.Printf("chaos: %v", err)
		ch.failed = true
		return
	}
	tok := ch.l.office
	f.Recovered = waitFor(120*time.Second, func() bool {
		st, _ := ch.l.c.do("probe", tok, "GET", "/api/v1/me", nil, nil)
		return st == 200
	})
	ch.record(f)
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

// run injects, over d: a replica kill every d/24 throughout (on a fixed
// schedule, whether or not the previous victim is back yet, overlapping the
// rest), one MinIO node down, two MinIO nodes down, a Postgres restart, and one
// more MinIO node down together with a replica kill.
func (ch *chaos) run(ctx context.Context, v *verifier, d time.Duration) {
	start := time.Now()
	var kills sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := d / 24
		for k := 1; time.Duration(k)*every < d; k++ {
			time.Sleep(time.Until(start.Add(time.Duration(k) * every)))
			kills.Add(1)
			go func() { defer kills.Done(); ch.killReplica("replica-kill") }()
		}
	}()
	at := func(frac float64) { time.Sleep(time.Until(start.Add(time.Duration(frac * float64(d))))) }
	at(0.15)
	ch.minioOutage(ctx, v, []string{"minio-1"}, 45*time.Second)
	at(0.35)
	ch.minioOutage(ctx, v, []string{"minio-2", "minio-3"}, 45*time.Second)
	at(0.55)
	ch.postgresRestart()
	at(0.7)
	kills.Add(1)
	go func() { defer kills.Done(); ch.killReplica("replica-kill-during-minio") }()
	ch.minioOutage(ctx, v, []string{"minio-4"}, 30*time.Second)
	<-done
	kills.Wait()
}
