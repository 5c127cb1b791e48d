package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/jobs"
)

// runServe starts everything, serves until SIGINT/SIGTERM and then shuts down in
// order: HTTP, then River (letting running jobs finish), then the pools.
func runServe(ctx context.Context, env *runEnv, args []string) error {
	if err := parseNoArgs(newFlagSet("serve", env.stderr), args); err != nil {
		return err
	}
	cfg, err := config.Load(env.getenv)
	if err != nil {
		return err
	}
	log := cfg.Logger(env.stderr)

	// Bind first so a taken port fails fast, before anything else starts.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on SAFEGRID_HTTP_ADDR=%s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()
	var m *metrics.Metrics
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on SAFEGRID_METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		defer mln.Close()
		m = metrics.New()
		metricsSrv = &http.Server{Handler: m.Serve(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener stopped", "error", err)
			}
		}()
		log.Info("metrics serving", "addr", mln.Addr().String(), "path", metrics.Path)
	}

	dbs, err := openPools(ctx, cfg, m)
	if err != nil {
		return err
	}
	defer dbs.Close()
	if m != nil {
		m.RegisterQueue(func(ctx context.Context) (map[string]int64, error) { return jobs.Waiting(ctx, dbs.jobs) })
	}
	res, err := dbs.api.Migrate(ctx)
	if err != nil {
		return err
	}
	if res.Changed() {
		log.Info("database migrated", "applied", res.Applied, "river_versions", res.RiverApplied)
	}

	objects, err := storage.NewObjectStore(cfg.ObjectStore())
	if err != nil {
		return err
	}
	if err := objects.WaitForBucket(ctx, log); err != nil {
		return err
	}

	ai := models.OpenServing(ctx, models.ServeConfig{
		ORTLib: cfg.ORTLib, Source: cfg.ModelSource, Name: cfg.ModelName, Candidate: cfg.CandidateModel, CacheDir: cfg.CacheDir, Sessions: cfg.AISessions,
	}, log)
	defer ai.Close()

	rules, err := checklists.LoadEmbedded()
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	svc, err := newServices(cfg, dbs, objects, rules, ai, m, log)
	if err != nil {
		return err
	}
	worker := svc.jobs
	if err := worker.Start(ctx); err != nil {
		return fmt.Errorf("start job client: %w", err)
	}
	srv := newServer(cfg, log, m, dbs, svc.Services, append([]api.Check{{Name: "object_store", Run: objects.Health}}, aiChecks(ai)...))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("safegrid serving", "addr", ln.Addr().String(), "version", version)

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop http: %w", err))
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, fmt.Errorf("stop metrics: %w", err))
		}
	}
	if err := worker.Stop(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop jobs: %w", err))
	}
	dbs.Close()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// newServer builds the HTTP server of serve: the API on svc (whose logins are
// limited on the API pool), the web app, and readiness checks of the API pool
// and checks.
func newServer(cfg config.Config, log *slog.Logger, m *metrics.Metrics, dbs pools, svc *storage.Services, checks []api.Check) *api.Server {
	srv := api.New(api.Config{
		Logger:         log,
		BodyLimit:      cfg.BodyLimit,
		MaxUploadBytes: cfg.MaxPhotoBytes,
		TrustedProxies: cfg.TrustedProxies,
		Metrics:        m,
		Checks:         append([]api.Check{{Name: "postgres", Run: dbs.api.Ping}}, checks...),
	})
	srv.MountV1(api.V1Config{
		Directory: svc.Directory, Sites: svc.Sites, Inspections: svc.Inspections, Photos: svc.Photos, Hazards: svc.Hazards,
		Flags: svc.Flags, Notifications: svc.Notifications, Policy: svc.Policy, Determinations: svc.Determinations,
		Open311: svc.Open311, Plans: svc.Plans, Webhooks: svc.Webhooks, Agencies: svc.Agencies, LoginLimiter: storage.NewLoginAttempts(dbs.api),
		LoginWorkers: api.LoginWorkers{Workers: cfg.LoginWorkers, Queue: cfg.LoginQueue, Wait: cfg.LoginWait},
	})
	srv.MountWeb(api.WebConfig{MapTileURL: cfg.MapTileURL, MapAttribution: cfg.MapAttribution})
	return srv
}
