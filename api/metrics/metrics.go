// Package metrics is what a SafeGrid replica tells Prometheus: request latency per
// route, the database pools, the job queue, job outcomes and durations (photo
// analysis among them) and upload bytes. One Metrics is built in cmd and handed
// to the adapters that observe; it is served at /metrics on its own listen
// address, never on the public API port.
package metrics

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Metrics is one replica's registry and the instruments the adapters observe.
type Metrics struct {
	registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	uploadBytes  *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	pools        *poolCollector
}

// New returns the metrics of one replica, with the Go runtime's and the
// process's own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		pools:    &poolCollector{},
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "safegrid_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by method, route pattern (not the raw path) and status class.",
			// From a cached list (1 ms) to a slow KPI or an upload (10 s).
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		uploadBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safegrid_upload_bytes_total",
			Help: "Bytes of uploads stored, by kind.",
		}, []string{"kind"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "safegrid_job_duration_seconds",
			Help: "Time one job attempt took, by kind and outcome (ok or error); photo analysis is kind analyse_photo.",
			// Photo analysis takes 0.1 to a few seconds on a busy machine.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind", "outcome"}),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.uploadBytes, m.jobDuration, m.pools)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Serve answers /metrics (and nothing else) on the mux of a listener of its own.
func (m *Metrics) Serve() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, m.Handler())
	return mux
}

// ObserveRequest records one answered request: route is the pattern that matched
// (/api/v1/hazards/:id), so ids in paths do not make a series each.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	m.httpDuration.WithLabelValues(method, route, statusClass(status)).Observe(d.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// AddUpload counts n stored bytes of an upload of kind (photo).
func (m *Metrics) AddUpload(kind string, n int64) {
	if n > 0 {
		m.uploadBytes.WithLabelValues(kind).Add(float64(n))
	}
}

// ObserveJob records one attempt of a job of kind that took d and failed when err
// is not nil.
func (m *Metrics) ObserveJob(kind string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobDuration.WithLabelValues(kind, outcome).Observe(d.Seconds())
}

// RegisterPool reports the pool's connections and waits under pool=name; a
// replica has several (api, jobs, reports), each registered once.
func (m *Metrics) RegisterPool(name string, pool *pgxpool.Pool) {
	m.pools.add(name, pool)
}

// QueueDepth counts the jobs waiting by state (available, scheduled, retryable,
// running); it runs at each scrape, bounded by the scrape's time.
type QueueDepth func(ctx context.Context) (map[string]int64, error)

// RegisterQueue reports the job queue's depth by state.
func (m *Metrics) RegisterQueue(depth QueueDepth) {
	m.registry.MustRegister(queueCollector{depth: depth})
}

var (
	poolDescs = struct {
		acquired, idle, total, max, acquires, waits, waitSeconds *prometheus.Desc
	}{
		acquired:    poolDesc("acquired_connections", "Connections in use."),
		idle:        poolDesc("idle_connections", "Connections idle in the pool."),
		total:       poolDesc("total_connections", "Connections open (acquired, idle and being made)."),
		max:         poolDesc("max_connections", "The pool's size."),
		acquires:    poolDesc("acquires_total", "Connections handed out."),
		waits:       poolDesc("empty_acquires_total", "Acquires that had to wait because the pool was empty."),
		waitSeconds: poolDesc("acquire_wait_seconds_total", "Time spent waiting for a connection."),
	}
	queueDesc = prometheus.NewDesc("safegrid_jobs_waiting", "Jobs in the queue by state (available, scheduled, retryable, running).", []string{"state"}, nil)
	queueUp   = prometheus.NewDesc("safegrid_jobs_queue_up", "1 when the queue depth could be read at this scrape.", nil, nil)
)

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("safegrid_db_pool_"+name, help, []string{"pool"}, nil)
}

// poolCollector reads the stats of every registered pool at each scrape.
type poolCollector struct {
	mu    sync.Mutex
	pools []namedPool
}

type namedPool struct {
	name string
	pool *pgxpool.Pool
}

func (c *poolCollector) add(name string, pool *pgxpool.Pool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pools {
		if p.name == name {
			panic("metrics: pool " + name + " registered twice")
		}
	}
	c.pools = append(c.pools, namedPool{name: name, pool: pool})
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolDescs.acquired, poolDescs.idle, poolDescs.total, poolDescs.max,
		poolDescs.acquires, poolDescs.waits, poolDescs.waitSeconds} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	pools := slices.Clone(c.pools)
	c.mu.Unlock()
	for _, p := range pools {
		p.collect(ch)
	}
}

func (p namedPool) collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, p.name)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, p.name)
	}
	gauge(poolDescs.acquired, float64(s.AcquiredConns()))
	gauge(poolDescs.idle, float64(s.IdleConns()))
	gauge(poolDescs.total, float64(s.TotalConns()))
	gauge(poolDescs.max, float64(s.MaxConns()))
	counter(poolDescs.acquires, float64(s.AcquireCount()))
	counter(poolDescs.waits, float64(s.EmptyAcquireCount()))
	counter(poolDescs.waitSeconds, s.EmptyAcquireWaitTime().Seconds())
}

type queueCollector struct{ depth QueueDepth }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc; ch <- queueUp }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	byState, err := c.depth(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUp, prometheus.GaugeValue, 1)
	for _, st := range []string{"available", "scheduled", "retryable", "running"} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(byState[st]), st)
	}
}
