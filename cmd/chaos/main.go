// Command chaos breaks a running devstack cluster on purpose and checks that
// nothing acknowledged was lost. Under a bounded load — inspectors uploading
// 12-megapixel photos and answering items, merchants sending proof, officers
// notifying and escalating, deadlines three minutes out — it kills replicas with
// SIGKILL (restarted by the cluster), one and then two of the four MinIO nodes,
// restarts Postgres with pg_ctl restart -m immediate, and kills a replica while
// requests are in flight. Then it verifies uploads, orphans, the scheduler's
// exactly-once work and the audit chain, and prints error rates and recovery
// times per fault kind. It exits 1 when a check fails.
//
// usage: devstack cluster -- chaos [--duration 10m] [--inspectors 3] [--report FILE]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/safegrid/safegrid/storage"
)

// clusterState is the part of devstack cluster's cluster.json chaos reads.
type clusterState struct {
	LoadBalancer string   `json:"load_balancer"`
	Control      string   `json:"control"`
	S3Endpoint   string   `json:"s3_endpoint"`
	DatabaseURL  string   `json:"database_url"`
	Env          []string `json:"env"`
	Safegrid     string   `json:"safegrid"`
}

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long to inject faults under load")
	inspectors := flag.Int("inspectors", 3, "inspectors working at once")
	statePath := flag.String("cluster", os.Getenv("SAFEGRID_CLUSTER"), "devstack cluster's cluster.json (set by devstack cluster -- chaos)")
	report := flag.String("report", "", "also write the figures as Markdown to this file")
	flag.Parse()
	if err := run(*statePath, *duration, *inspectors, *report); err != nil {
		log.Printf("chaos: %v", err)
		os.Exit(1)
	}
}

func run(statePath string, duration time.Duration, inspectors int, report string) error {
	if statePath == "" {
		return fmt.Errorf("no cluster: run it as devstack cluster -- chaos, or give --cluster FILE")
	}
	raw, err := os.ReadFile(statePath)
	if err != nil {
		return err
	}
	var st clusterState
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("read %s: %w", statePath, err)
	}
	ctx := context.Background()
	v, err := openVerifier(ctx, st)
	if err != nil {
		return err
	}
	log.Printf("chaos: encoding 12 MP photos ...")
	ph, err := newPhotos(2)
	if err != nil {
		return err
	}
	c := newClient(st.LoadBalancer)
	l, err := newLoad(c, ph)
	if err != nil {
		return fmt.Errorf("set up the load: %w", err)
	}
	log.Printf("chaos: %d inspectors on %d sites for %s, faults injected meanwhile", inspectors, len(l.sites), duration)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range inspectors {
		wg.Add(1)
		go func() { defer wg.Done(); l.inspector(i, inspectors) }()
	}
	ch := &chaos{ct: control{base: st.Control}, l: l, lb: st.LoadBalancer}
	ch.run(ctx, v, duration)
	l.stop.Store(true)
	wg.Wait()
	l.later.Wait()
	ran := time.Since(start)
	log.Printf("chaos: load stopped after %s; letting due jobs run for 60 s ...", ran.Round(time.Second))
	time.Sleep(60 * time.Second)

	v.uploads(ctx, l.uploads)
	v.exactlyOnce(ctx, l.hazards)
	v.audit(st.Safegrid, append(st.Env, "DATABASE_URL="+st.DatabaseURL))
	out := summary(ch, l, v, ran)
	fmt.Print(out)
	if report != "" {
		if err := os.WriteFile(report, []byte(out), 0o644); err != nil {
			return err
		}
	}
	if v.failed || ch.failed {
		return fmt.Errorf("a check failed (see above)")
	}
	return nil
}

func openVerifier(ctx context.Context, st clusterState) (*verifier, error) {
	db, err := storage.OpenDB(ctx, st.DatabaseURL)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range st.Env {
		k, val, _ := strings.Cut(kv, "=")
		env[k] = val
	}
	objects, err := storage.NewObjectStore(storage.ObjectStoreConfig{Endpoint: st.S3Endpoint, AccessKey: env["SAFEGRID_S3_ACCESS_KEY"],
		SecretKey: env["SAFEGRID_S3_SECRET_KEY"], Bucket: "safegrid", Region: "us-east-1"})
	if err != nil {
		return nil, err
	}
	return &verifier{db: db, objects: objects, photos: storage.New(storage.Deps{DB: db, Objects: objects}).Photos}, nil
}

// summary prints the run: load, faults with error rates and recovery times per
// kind, the in-run checks and the verification.
func summary(ch *chaos, l *load, v *verifier, ran time.Duration) string {
	var b strings.Builder
	calls := l.c.snapshot()
	fmt.Fprintf(&b, "\n## Chaos run: %s, %d requests, %d inspections completed, %d hazards\n\n", ran.Round(time.Second), len(calls), l.cycles, len(l.hazards))
	counts := map[string]int{}
	for _, f := range ch.faults {
		counts[f.Kind]++
	}
	fmt.Fprintf(&b, "Faults injected: %s\n\n", fmtCounts(counts))
	fmt.Fprintf(&b, "| fault kind | count | requests in window | errors (no answer or 5xx) | error rate | recovery mean | recovery max |\n|---|---|---|---|---|---|---|\n")
	in := make([]bool, len(calls))
	for _, kind := range sortedKeys(counts) {
		var n, errs int
		var sum, worst time.Duration
		for _, f := range ch.faults {
			if f.Kind != kind {
				continue
			}
			end := f.Recovered
			if end.IsZero() {
				end = f.At.Add(2 * time.Minute)
			}
			rec := end.Sub(f.At)
			sum += rec
			worst = max(worst, rec)
			for i, c := range calls {
				if !c.At.Before(f.At) && c.At.Before(end.Add(2*time.Second)) {
					in[i] = true
					n++
					if c.Status == 0 || c.Status >= 500 {
						errs++
					}
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %s |\n", kind, counts[kind], n, errs, pct(errs, n),
			(sum / time.Duration(counts[kind])).Round(100*time.Millisecond), worst.Round(100*time.Millisecond))
	}
	var n, errs int
	for i, c := range calls {
		if !in[i] {
			n++
			if c.Status == 0 || c.Status >= 500 {
				errs++
			}
		}
	}
	fmt.Fprintf(&b, "| (outside fault windows) | | %d | %d | %s | | |\n\n", n, errs, pct(errs, n))
	mid := 0
	for _, f := range ch.faults {
		if strings.HasPrefix(f.Kind, "replica-kill") && f.InFlight > 0 {
			mid++
		}
	}
	fmt.Fprintf(&b, "Replica kills with load requests in flight (mid-request): %d\n\n", mid)
	b.WriteString("Answers by request kind (status ×count):\n")
	byKind := map[string]map[int]int{}
	for _, c := range calls {
		if byKind[c.Kind] == nil {
			byKind[c.Kind] = map[int]int{}
		}
		byKind[c.Kind][c.Status]++
	}
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		var parts []string
		for _, st := range slices.Sorted(maps.Keys(byKind[kind])) {
			parts = append(parts, fmt.Sprintf("%d ×%d", st, byKind[kind][st]))
		}
		fmt.Fprintf(&b, "- %s: %s\n", kind, strings.Join(parts, ", "))
	}
	l.c.mu.Lock()
	for _, k := range slices.Sorted(maps.Keys(l.c.firstErr)) {
		fmt.Fprintf(&b, "  - first %s: %s\n", k, l.c.firstErr[k])
	}
	l.c.mu.Unlock()
	b.WriteString("\nIn-run checks:\n")
	for _, c := range ch.checks {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	b.WriteString("\nVerification:\n")
	for _, line := range v.lines {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	return b.String()
}

func pct(a, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(n))
}

func fmtCounts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}
