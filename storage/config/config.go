// Package config reads every setting of the safegrid binary from environment
// variables once at start-up and validates it, naming the variable of a bad value.
// The list of variables is the one the README's configuration table is checked
// against.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/sms"
)

// Config is every setting of the binary, read from environment variables once at
// start-up and passed down explicitly.
type Config struct {
	HTTPAddr        string
	MetricsAddr     string // empty: no metrics listener
	DatabaseURL     string
	S3Endpoint      string
	S3AccessKey     string
	S3SecretKey     string
	S3Bucket        string
	S3UseTLS        bool
	S3Region        string
	CacheDir        string
	ORTLib          string
	ModelSource     string
	ModelName       string
	CandidateModel  string
	AISessions      int
	LogFormat       string
	LogLevel        string
	BodyLimit       int64
	MaxPhotoBytes   int64
	ShutdownTimeout time.Duration
	TrustedProxies  []string
	SMSURL          string             // empty: SMS off
	SMSTemplate     *template.Template // the POST body, over an sms.Message
	SMSContentType  string
	// JobRescueAfter is how long a job may stay running before another replica
	// runs it again (its replica died).
	JobRescueAfter time.Duration
	// OutboxRetention is how long sent (or given-up) SMS and log notifications stay
	// in the outbox before the hourly job deletes them.
	OutboxRetention time.Duration
	// MapTileURL and MapAttribution are the web app's map tiles (empty: no tiles).
	MapTileURL     string
	MapAttribution string
	// LoginWorkers password checks run at once; LoginQueue logins may wait for
	// one, each at most LoginWait.
	LoginWorkers int
	LoginQueue   int
	LoginWait    time.Duration
	// APIConns, JobConns and ReportConns size serve's three database pools.
	APIConns    int
	JobConns    int
	ReportConns int
}

// checkAddr checks a listen address, host:port.
func checkAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("want host:port such as :8080 or 127.0.0.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a valid host name or IP", host)
	}
	return nil
}

// Var describes one environment variable: its name, default, a line for the
// README and how to store its value.
type Var struct {
	Name    string
	Default string // shown in the README; "" means empty
	Doc     string
	apply   func(c *Config, v string) error
}

// Vars is the single list of settings; README's table is checked against it.
func Vars() []Var {
	return []Var{
		{"SAFEGRID_HTTP_ADDR", ":8080", "address the HTTP server listens on (host:port)", func(c *Config, v string) error {
			if err := checkAddr(v); err != nil {
				return err
			}
			c.HTTPAddr = v
			return nil
		}},
		{"SAFEGRID_METRICS_ADDR", "", "address of the Prometheus metrics, `GET /metrics` (host:port, e.g. 127.0.0.1:9090); empty serves none. No login: keep it off public networks (loopback, or the scrapers' network). Not served on the API port", func(c *Config, v string) error {
			if v != "" {
				if err := checkAddr(v); err != nil {
					return err
				}
			}
			c.MetricsAddr = v
			return nil
		}},
		{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/safegrid?sslmode=disable", "Postgres connection URL", func(c *Config, v string) error {
			if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
				return fmt.Errorf("want a postgres:// URL")
			}
			if _, err := pgxpool.ParseConfig(v); err != nil {
				return fmt.Errorf("not a valid connection URL")
			}
			c.DatabaseURL = v
			return nil
		}},
		{"SAFEGRID_DB_API_CONNS", "12", "database connections of API requests (and logins); each replica opens three pools of its own, so that jobs and reports cannot take the API's connections: keep the three sizes' sum times the replicas below Postgres's max_connections (100 by default)", setConns(func(c *Config) *int { return &c.APIConns })},
		{"SAFEGRID_DB_JOB_CONNS", "12", "database connections of the background jobs (River: deadlines, reminders, notifications, photo analysis); jobs beyond it wait for one", setConns(func(c *Config) *int { return &c.JobConns })},
		{"SAFEGRID_DB_REPORT_CONNS", "2", "database connections of the KPI and report queries (`GET /kpi`); more KPI requests than this wait for one another, not for the API", setConns(func(c *Config) *int { return &c.ReportConns })},
		{"SAFEGRID_S3_ENDPOINT", "127.0.0.1:9000", "S3/MinIO endpoint as host:port (no scheme)", func(c *Config, v string) error {
			if strings.Contains(v, "://") {
				return fmt.Errorf("give host:port without a scheme; use SAFEGRID_S3_USE_TLS for https")
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("want host:port such as 127.0.0.1:9000")
			}
			c.S3Endpoint = v
			return nil
		}},
		{"SAFEGRID_S3_ACCESS_KEY", "safegrid", "S3 access key", setString(func(c *Config) *string { return &c.S3AccessKey })},
		{"SAFEGRID_S3_SECRET_KEY", "safegrid-dev-secret", "S3 secret key (change it outside development)", setString(func(c *Config) *string { return &c.S3SecretKey })},
		{"SAFEGRID_S3_BUCKET", "safegrid", "bucket for photos, thumbnails and annotated copies (created if missing)", func(c *Config, v string) error {
			if len(v) < 3 || len(v) > 63 || strings.ToLower(v) != v || strings.ContainsAny(v, "_ /") {
				return fmt.Errorf("bucket names are 3–63 lower-case letters, digits, dots and hyphens")
			}
			c.S3Bucket = v
			return nil
		}},
		{"SAFEGRID_S3_USE_TLS", "false", "use https to reach the object store", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			c.S3UseTLS = b
			return nil
		}},
		{"SAFEGRID_S3_REGION", "us-east-1", "S3 region", setString(func(c *Config) *string { return &c.S3Region })},
		{"SAFEGRID_CACHE_DIR", "~/.cache/safegrid", "where downloaded parts (runtime library, models, MinIO) are cached", func(c *Config, v string) error {
			c.CacheDir = expandHome(v)
			return nil
		}},
		{"SAFEGRID_ORT_LIB", "<cache>/onnxruntime-1.24.1/libonnxruntime.so.1", "path of the ONNX Runtime 1.24.1 shared library", setString(func(c *Config) *string { return &c.ORTLib })},
		{"SAFEGRID_MODEL_SOURCE", "", "folder or http(s) URL to take the detector model from; empty turns AI checks off", func(c *Config, v string) error {
			if v != "" && strings.Contains(v, "://") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return fmt.Errorf("want a folder or an http(s) URL")
			}
			c.ModelSource = v
			return nil
		}},
		{"SAFEGRID_MODEL", "yolox_nano", "name of the model manifest to use from the source", setString(func(c *Config) *string { return &c.ModelName })},
		{"SAFEGRID_CANDIDATE_MODEL", "", "name of a candidate model manifest from the source to run in shadow beside the active model (flags stored, never reviewed); empty for none", setString(func(c *Config) *string { return &c.CandidateModel })},
		{"SAFEGRID_AI_SESSIONS", "number of CPU cores", "ONNX sessions in the pool (one intra-op thread each)", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 256 {
				return fmt.Errorf("want a whole number from 1 to 256")
			}
			c.AISessions = n
			return nil
		}},
		{"SAFEGRID_LOG_FORMAT", "text", "log format: text or json", oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
		{"SAFEGRID_LOG_LEVEL", "info", "log level: debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
		{"SAFEGRID_BODY_LIMIT", "1048576", "largest JSON request body in bytes (photo uploads have their own limit)", setBytes(func(c *Config) *int64 { return &c.BodyLimit })},
		{"SAFEGRID_MAX_PHOTO_BYTES", "20971520", "largest photo upload in bytes (20 MiB)", setBytes(func(c *Config) *int64 { return &c.MaxPhotoBytes })},
		{"SAFEGRID_SHUTDOWN_TIMEOUT", "10s", "how long a graceful shutdown may take", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 10s")
			}
			c.ShutdownTimeout = d
			return nil
		}},
		{"SAFEGRID_OUTBOX_RETENTION", "720h", "how long a delivered (or given-up) SMS stays in the notification outbox before the hourly job deletes it; in-app notifications are the users' lists and stay. Keep it longer than any job that could enqueue the same message again", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Hour {
				return fmt.Errorf("want a duration of at least 1h such as 720h")
			}
			c.OutboxRetention = d
			return nil
		}},
		{"SAFEGRID_JOB_RESCUE_AFTER", "5m", "how long a background job may run before another replica takes it over (its replica died); jobs are idempotent, so a slow one run twice does no harm", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return fmt.Errorf("want a duration of at least 1s such as 5m")
			}
			c.JobRescueAfter = d
			return nil
		}},
		{"SAFEGRID_LOGIN_WORKERS", "number of CPU cores", "password checks (argon2id, 19 MiB and about 40 ms of a core each) run at once; other logins wait in line, so a shift start cannot take every core from the rest of the API", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 256 {
				return fmt.Errorf("want a whole number from 1 to 256")
			}
			c.LoginWorkers = n
			return nil
		}},
		{"SAFEGRID_LOGIN_QUEUE", "500", "logins that may wait for a password check; one more is answered 503 with Retry-After at once", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				return fmt.Errorf("want a whole number from 1 to 100000")
			}
			c.LoginQueue = n
			return nil
		}},
		{"SAFEGRID_LOGIN_WAIT", "30s", "longest wait of a login for a password check before it is answered 503 with Retry-After", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 10s")
			}
			c.LoginWait = d
			return nil
		}},
		{"SAFEGRID_TRUSTED_PROXIES", "", "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is trusted", func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				if net.ParseIP(p) == nil {
					if _, _, err := net.ParseCIDR(p); err != nil {
						return fmt.Errorf("%q is not an IP address or CIDR", p)
					}
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
		{"SAFEGRID_SMS_URL", "", "http(s) URL of the SMS provider, which gets one POST per text message; empty turns SMS off", func(c *Config, v string) error {
			if v == "" {
				c.SMSURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("want an http(s) URL such as https://sms.example.com/send")
			}
			c.SMSURL = v
			return nil
		}},
		{"SAFEGRID_MAP_TILE_URL", "", "tile URL template of the web app's map, a city's own tile server, e.g. https://tiles.example.gov/{z}/{x}/{y}.png; empty draws sites over the grid outlines without tiles", func(c *Config, v string) error {
			if v == "" {
				c.MapTileURL = ""
				return nil
			}
			u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(v))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.Contains(v, "{z}") {
				return fmt.Errorf("want an http(s) URL template with {z}, {x} and {y}, such as https://tiles.example.gov/{z}/{x}/{y}.png")
			}
			c.MapTileURL = v
			return nil
		}},
		{"SAFEGRID_MAP_ATTRIBUTION", "", "the tile server's attribution, shown under the map", func(c *Config, v string) error {
			c.MapAttribution = v
			return nil
		}},
		{"SAFEGRID_SMS_TEMPLATE", sms.DefaultTemplate, "body of the SMS POST: a Go text/template over .Phone, .Text and .ID (the notification id); json quotes a value", func(c *Config, v string) error {
			t, err := sms.ParseTemplate("SAFEGRID_SMS_TEMPLATE", v)
			if err != nil {
				return err
			}
			c.SMSTemplate = t
			return nil
		}},
		{"SAFEGRID_SMS_CONTENT_TYPE", "application/json", "Content-Type of the SMS POST body", func(c *Config, v string) error {
			if _, _, err := mime.ParseMediaType(v); err != nil {
				return fmt.Errorf("want a media type such as application/json")
			}
			c.SMSContentType = v
			return nil
		}},
	}
}

func setString(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func setConns(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("want a whole number of connections from 1 to 1000")
		}
		*field(c) = n
		return nil
	}
}

func setBytes(field func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive number of bytes")
		}
		*field(c) = n
		return nil
	}
}

// Error names the variable whose value is wrong and why.
type Error struct {
	Name, Value, Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s=%q: %s", e.Name, e.Value, e.Reason)
}

// Load reads every variable through getenv, applying defaults for unset ones, and
// returns the first invalid value as an *Error.
func Load(getenv func(string) string) (Config, error) {
	c := Config{AISessions: runtime.NumCPU(), LoginWorkers: runtime.NumCPU()}
	for _, v := range Vars() {
		val, set := getenv(v.Name), true
		if val == "" {
			val, set = v.Default, false
		}
		if !set && (v.Name == "SAFEGRID_AI_SESSIONS" || v.Name == "SAFEGRID_LOGIN_WORKERS" || v.Name == "SAFEGRID_ORT_LIB") {
			continue // computed defaults, filled in below
		}
		if err := v.apply(&c, val); err != nil {
			return Config{}, &Error{Name: v.Name, Value: val, Reason: err.Error()}
		}
	}
	if c.ORTLib == "" {
		c.ORTLib = filepath.Join(c.CacheDir, "onnxruntime-1.24.1", "libonnxruntime.so.1")
	}
	return c, nil
}

// expandHome replaces a leading "~" with the user's home folder.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// Pools are the sizes of serve's database pools: API requests, jobs, reports.
func (c Config) Pools() (api, jobs, reports storage.PoolSize) {
	return storage.PoolSize{Name: "safegrid-api", Conns: c.APIConns},
		storage.PoolSize{Name: "safegrid-jobs", Conns: c.JobConns},
		storage.PoolSize{Name: "safegrid-reports", Conns: c.ReportConns}
}

// ObjectStore is the object store part of the configuration.
func (c Config) ObjectStore() storage.ObjectStoreConfig {
	return storage.ObjectStoreConfig{
		Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Bucket: c.S3Bucket, UseTLS: c.S3UseTLS, Region: c.S3Region,
	}
}

// Logger is the logger the configuration asks for, writing to w.
func (c Config) Logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel)) // validated by Load
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
