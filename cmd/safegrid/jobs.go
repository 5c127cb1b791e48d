package main

import (
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/jobs"
	"github.com/safegrid/safegrid/storage/sms"
)

// newSenders builds the notification senders from the configuration: SMS through
// the provider when SAFEGRID_SMS_URL is set, the log always. (In-app
// notifications need no sender: storing them delivers them.)
func newSenders(cfg config.Config, log *slog.Logger) jobs.Senders {
	text := sms.Off
	if cfg.SMSURL != "" {
		text = sms.NewSender(cfg.SMSURL, cfg.SMSTemplate, cfg.SMSContentType)
	}
	return jobs.Senders{
		inspect.ChannelSMS: text,
		inspect.ChannelLog: jobs.LogSender{Log: log.With("component", "notify")},
	}
}

// services is what serve runs: the storage services and the client working the
// jobs they enqueue.
type services struct {
	*storage.Services
	jobs *river.Client[pgx.Tx]
}

// newServices builds the product in River's order: the insert-only scheduler
// first, handed to the storage services at construction, then the working client
// whose workers call those services. The API's services run on the API pool (the
// KPIs on the report pool); River and the services its workers call run on the
// jobs pool. ai (or its Detector) is nil when AI checks are off (ai.Candidate, the
// shadow model, nil without one), m is nil when metrics are.
func newServices(cfg config.Config, p pools, objects *storage.ObjectStore, rules *checklists.RuleSet, ai *models.Serving, m *metrics.Metrics, log *slog.Logger) (services, error) {
	if ai == nil {
		ai = &models.Serving{}
	}
	// The scheduler inserts jobs in the transactions of the change that needs
	// them, on whichever pool that runs; its own pool is the jobs'.
	sched, err := jobs.NewScheduler(p.jobs, ai.Detector != nil)
	if err != nil {
		return services{}, err
	}
	deps := storage.Deps{DB: p.api, Reports: p.reports, Objects: objects, Rules: rules, Queue: sched, SMS: cfg.SMSURL != ""}
	svc := storage.New(deps)
	deps.DB, deps.Reports = p.jobs, nil
	// A nil *models.Detector must stay a nil interface.
	var det, candidate jobs.Detector
	if ai.Detector != nil {
		det = ai.Detector
		if ai.Candidate != nil {
			candidate = ai.Candidate
		}
	}
	jc := jobs.Config{DB: p.jobs, Services: storage.New(deps), Senders: newSenders(cfg, log), Detector: det, Candidate: candidate, Log: log, RescueAfter: cfg.JobRescueAfter, OutboxRetention: cfg.OutboxRetention}
	if m != nil {
		jc.ObserveJob = m.ObserveJob
	}
	client, err := jobs.NewClient(jc)
	if err != nil {
		return services{}, fmt.Errorf("create job client: %w", err)
	}
	return services{Services: svc, jobs: client}, nil
}
