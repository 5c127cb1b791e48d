package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// Queue enqueues the jobs that storage's changes call for, inside the transaction
// of the change: both happen or neither does. Package jobs implements it with
// River's insert-only client; storage never sees a job kind.
type Queue interface {
	// ScheduleDeadline inserts the reminder jobs and the deadline job of s.
	ScheduleDeadline(ctx context.Context, tx pgx.Tx, s inspect.DeadlineSchedule) error
	// DeliverNotification inserts the job that delivers outbox notification id.
	DeliverNotification(ctx context.Context, tx pgx.Tx, id int64) error
	// AnalysePhoto inserts the job that runs the detector on photo p; a queue
	// without a detector inserts nothing.
	AnalysePhoto(ctx context.Context, tx pgx.Tx, p PhotoRecord) error
}

// Deps is what the services are built from. Everything is set here, once: no
// service field changes after New.
type Deps struct {
	DB *DB
	// Reports is the pool of the KPI and report queries (the PolicyService),
	// apart from DB so that slow reports cannot take the connections of
	// everything else; nil uses DB.
	Reports *DB
	Objects *ObjectStore
	// Rules generates the checklist when an inspection starts.
	Rules *checklists.RuleSet
	// Policy is the base time-limit policy; zero means inspect.DefaultPolicy. A
	// hazard's deadlines come from it with its district's override applied.
	Policy inspect.TimeLimitPolicy
	// Queue inserts the deadline, delivery and analysis jobs in the transactions
	// that need them. Nil schedules nothing and enqueues no SMS (in-app
	// notifications are still stored): for tests and commands without jobs.
	Queue Queue
	// SMS says whether notifications also go out as text messages (the SMS
	// provider is configured); they need Queue too.
	SMS bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Services are SafeGrid's workflow on top of Postgres and the object store, one
// service per aggregate. Every method that acts for a user takes the principal,
// asks inspect's predicates (inspect/authz.go) on rows it read (locked when it
// changes them) and runs in one transaction.
//
// Visibility rule, the same for every method: a thing the principal may not see is
// not_found, so that ids cannot be probed; a thing the principal may see but not
// change is forbidden.
type Services struct {
	Hazards        *HazardService
	Inspections    *InspectionService
	Photos         *PhotoService
	Flags          *FlagService
	Directory      *DirectoryService
	Sites          *SiteService
	Policy         *PolicyService
	Notifications  *NotificationService
	Determinations *DeterminationService
	Open311        *Open311Service
	Plans          *PlanService
	Webhooks       *WebhookService
	Agencies       *AgencyService
}

// New builds every service from d.
func New(d Deps) *Services {
	if d.Policy.Rectify == nil {
		d.Policy = inspect.DefaultPolicy()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	b := &base{db: d.DB, objects: d.Objects, rules: d.Rules, policy: d.Policy, queue: d.Queue, sms: d.SMS && d.Queue != nil, clock: d.Now}
	reports := b
	if d.Reports != nil {
		r := *b
		r.db = d.Reports
		reports = &r
	}
	return &Services{
		Hazards:        &HazardService{b},
		Inspections:    &InspectionService{b},
		Photos:         &PhotoService{b},
		Flags:          &FlagService{b},
		Directory:      &DirectoryService{b},
		Sites:          &SiteService{b},
		Policy:         &PolicyService{reports},
		Notifications:  &NotificationService{b},
		Determinations: &DeterminationService{b},
		Open311:        &Open311Service{b},
		Plans:          &PlanService{b},
		Webhooks:       &WebhookService{b},
		Agencies:       &AgencyService{b},
	}
}

// base is what every service shares: the adapters, the policy and the clock, and
// the unexported helpers that compose inside one transaction.
type base struct {
	db      *DB
	objects *ObjectStore
	rules   *checklists.RuleSet
	policy  inspect.TimeLimitPolicy
	queue   Queue
	sms     bool
	clock   func() time.Time
}

// HazardService is the hazards: listing, reading, the actions of their state
// machine and the deadline jobs' work.
type HazardService struct{ *base }

// InspectionService is the inspections: assignment, checklist, answers, review.
type InspectionService struct{ *base }

// PhotoService is the photos: uploads, reading them back, the analysis job's side
// and the object store's consistency.
type PhotoService struct{ *base }

// FlagService is the AI flags and their review by people.
type FlagService struct{ *base }

// DirectoryService is the people: org units, users, credentials and sessions.
type DirectoryService struct{ *base }

// SiteService is the inspected premises.
type SiteService struct{ *base }

// PolicyService is the time-limit policy of each district and the KPIs. It runs
// on Deps.Reports.
type PolicyService struct{ *base }

// NotificationService is the outbox: enqueueing, delivering and the in-app inbox.
type NotificationService struct{ *base }

// DeterminationService is the major-hazard determination panels.
type DeterminationService struct{ *base }

func (s *base) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}

// querier is what the pool and a transaction have in common, for helpers that read.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// notVisible is the error for anything the principal may not see.
func notVisible(what string, id any) error {
	return inspect.Errorf(inspect.ENOTFOUND, "%s %v not found", what, id)
}

// forbidden is the error for something visible that the principal may not change.
func forbidden(format string, args ...any) error {
	return inspect.Errorf(inspect.EFORBIDDEN, format, args...)
}

// collectOne reads exactly one row into T; no row is not_found for what.
func collectOne[T any](rows pgx.Rows, err error, what string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[T])
	if err != nil {
		return zero, mapPgError(err, what)
	}
	return v, nil
}

// collectAll reads every row into a slice of T (never nil).
// queryOne reads the one row sql selects with args into T, locking it (FOR
// UPDATE) when lock; no row is not_found for what.
func queryOne[T any](ctx context.Context, q querier, lock bool, what, sql string, args ...any) (T, error) {
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql, args...)
	return collectOne[T](rows, err, what)
}

// collectAs reads every row into R and returns each converted by conv (a row
// type's method that builds the domain value).
func collectAs[R, T any](rows pgx.Rows, err error, conv func(R) T) ([]T, error) {
	rs, err := collectAll[R](rows, err)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(rs))
	for i, r := range rs {
		out[i] = conv(r)
	}
	return out, nil
}

func collectAll[T any](rows pgx.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[T])
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// errorsAs is errors.As, named here so files that need only it stay short.
func errorsAs(err error, target any) bool { return errors.As(err, target) }
