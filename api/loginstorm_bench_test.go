package api_test

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/models/benchgoal"
)

// BenchmarkLoginStorm is a shift start: 500 inspectors log in from one address
// through N concurrent clients (LOGIN_STORM_CLIENTS, default 20), with the real
// argon2id parameters, under the default login limits. Meanwhile one client
// keeps asking GET /api/v1/me (a cheap authenticated request); its p99 is
// compared with the same client's p99 without the storm, measured in the same
// run. Sub-benchmarks: the login worker pool at its default size (the cores),
// at half of them (leaving cores to the rest of the API), and effectively
// unbounded (one worker per client), as the server was before.
//
//	devstack --ephemeral --app-db= -- go test -run '^$' -bench LoginStorm -benchtime 1x ./api/
func BenchmarkLoginStorm(b *testing.B) {
	clients := 20
	if v, err := strconv.Atoi(os.Getenv("LOGIN_STORM_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	const logins = 500
	for _, pool := range []struct {
		name    string
		workers int
	}{{"workers=cores", runtime.NumCPU()}, {"workers=half-cores", max(1, runtime.NumCPU()/2)}, {"workers=clients", clients}} {
		b.Run(pool.name, func(b *testing.B) {
			w := setup(b, api.DefaultLoginLimits())
			base := replicaWith(b, w, api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20}, func(v1 *api.V1Config) {
				v1.LoginLimits = api.DefaultLoginLimits()
				v1.LoginWorkers = api.LoginWorkers{Workers: pool.workers}
			})
			team := make([]string, logins)
			for i := range team {
				team[i] = w.factory.Inspector(fmt.Sprintf("storm%03d", i), w.own.grid).Username
			}
			token := w.login(w.own.officer)
			probe := func(stop <-chan struct{}) []time.Duration {
				var lat []time.Duration
				for {
					select {
					case <-stop:
						return lat
					default:
					}
					start := time.Now()
					if st := getStatus(b, base+"/api/v1/me", token); st != 200 {
						b.Errorf("GET /me: status %d", st)
					}
					lat = append(lat, time.Since(start))
					time.Sleep(5 * time.Millisecond)
				}
			}
			for range b.N {
				// Without the storm, for as long as a storm takes at 50 logins/s.
				stop := make(chan struct{})
				time.AfterFunc(5*time.Second, func() { close(stop) })
				quiet := probe(stop)

				var next, refused atomic.Int64
				stop = make(chan struct{})
				during := make(chan []time.Duration)
				go func() { during <- probe(stop) }()
				start := time.Now()
				var wg sync.WaitGroup
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							n := next.Add(1)
							if n > logins {
								return
							}
							if st := loginStatus(b, base, team[n-1], testPassword); st != 200 {
								refused.Add(1)
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				close(stop)
				storm := <-during

				rate := logins / elapsed.Seconds()
				p99Quiet, p99Storm := p99(quiet), p99(storm)
				b.ReportMetric(rate, "logins/s")
				b.ReportMetric(float64(refused.Load()), "refused")
				b.ReportMetric(ms(p99Storm), "p99-me-storm-ms")
				b.ReportMetric(ms(p99Quiet), "p99-me-quiet-ms")
				how := fmt.Sprintf("%d logins, %d clients, %s, %d GETs during / %d without", logins, clients, pool.name, len(storm), len(quiet))
				benchgoal.Info("login storm, one address: logins/s ("+pool.name+")", rate, "logins/s", how)
				benchgoal.Below("login storm, one address: logins refused ("+pool.name+")", float64(refused.Load()), 1, "logins", how)
				benchgoal.Info("login storm: GET /me p99 during ÷ without ("+pool.name+")", float64(p99Storm)/float64(p99Quiet), "ratio",
					fmt.Sprintf("%.1f ms ÷ %.1f ms; %s", ms(p99Storm), ms(p99Quiet), how))
			}
		})
	}
}

func getStatus(t testing.TB, url, token string) int {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*99/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
