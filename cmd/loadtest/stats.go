package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// recorder collects the latencies and failures of each named request.
type recorder struct {
	mu   sync.Mutex
	runs map[string]*series
}

type series struct {
	lat    []time.Duration
	failed int
	first  string // the first failure, to show
}

func newRecorder() *recorder { return &recorder{runs: map[string]*series{}} }

// add records one request: its latency and, when err is not nil, a failure.
func (r *recorder) add(name string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.runs[name]
	if s == nil {
		s = &series{}
		r.runs[name] = s
	}
	s.lat = append(s.lat, d)
	if err != nil {
		s.failed++
		if s.first == "" {
			s.first = err.Error()
		}
	}
}

// summary is one request's figures over a run of a given length.
type summary struct {
	Name          string
	N, Failed     int
	PerSec        float64
	P50, P95, P99 time.Duration
	FirstFailure  string
}

func (r *recorder) summaries(over time.Duration) []summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []summary
	for name, s := range r.runs {
		lat := slices.Clone(s.lat)
		slices.Sort(lat)
		out = append(out, summary{Name: name, N: len(lat), Failed: s.failed, PerSec: float64(len(lat)) / over.Seconds(),
			P50: quantile(lat, 0.50), P95: quantile(lat, 0.95), P99: quantile(lat, 0.99), FirstFailure: s.first})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// get returns the summary of name, zero when it never ran.
func find(ss []summary, name string) summary {
	for _, s := range ss {
		if s.Name == name {
			return s
		}
	}
	return summary{Name: name}
}

// quantile returns the q-quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// closedLoop runs clients goroutines for d, each calling work(client) again as
// soon as it returns, and returns the time it really ran.
func closedLoop(clients int, d time.Duration, work func(client int)) time.Duration {
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				work(c)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// table writes rows as a markdown table.
func table(w io.Writer, header []string, rows [][]string) {
	line := func(cells []string) {
		fmt.Fprint(w, "|")
		for _, c := range cells {
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintln(w)
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}
