package storage

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// Store is the workflow on top of Postgres and the object store: every method that
// acts for a user takes the principal, decides access with inspect's scope
// functions on rows it read (locked when it changes them) and runs in one
// transaction.
//
// Visibility rule, the same for every method: a thing the principal may not see is
// not_found, so that ids cannot be probed; a thing the principal may see but not
// change is forbidden.
type Store struct {
	DB      *DB
	Objects *ObjectStore
	// Rules generates the checklist when an inspection starts.
	Rules *checklists.RuleSet
	// Policy is the base time-limit policy (inspect.DefaultPolicy). A hazard's
	// deadlines come from it with the override of the hazard's district applied
	// (SetDistrictPolicy).
	Policy inspect.TimeLimitPolicy
	// Jobs inserts the deadline jobs (reminders, the deadline itself) and the SMS
	// delivery jobs in the transaction that sets a deadline or stores a
	// notification; serve sets it to the River client. When nil, no job is
	// scheduled and no SMS is enqueued (in-app notifications are still stored):
	// for tests and commands that do not run the scheduler.
	Jobs JobInserter
	// SMS says whether notifications also go out as text messages (the SMS
	// provider is configured); they need Jobs too.
	SMS bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PhotoInserted, when set, runs inside the transaction that inserts a photo row,
	// after the insert. It is where the photo-analysis job is enqueued (River's
	// InsertTx), so that a job exists exactly when its photo row does. An error
	// rolls the insert back and the upload fails (its objects are removed).
	PhotoInserted func(ctx context.Context, tx pgx.Tx, p PhotoRecord) error
}

// NewStore returns a Store with the default time-limit policy and the system clock.
func NewStore(db *DB, objects *ObjectStore, rules *checklists.RuleSet) *Store {
	return &Store{DB: db, Objects: objects, Rules: rules, Policy: inspect.DefaultPolicy()}
}

func (s *Store) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Microsecond)
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
