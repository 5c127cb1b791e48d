package jobs

// The deadline workers: reminders before a hazard's deadline and the deadline
// itself. The work and its idempotency live in storage
// (HazardService.WorkDeadlines): it re-reads each hazard under its row lock and
// does nothing when it closed or its deadline changed.
//
// A deadline job on its first attempt also works a batch of other due jobs of
// its kind (storage.DeadlineBatch), claimed here from River's table and finished
// in the transaction that does their work, so that a burst of deadlines costs a
// transaction per batch, not per job. A job that failed once works alone, so a
// hazard whose job keeps failing holds up no batch.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/storage"
)

// DeadlineReminderWorker sends the reminders of one deadline of one hazard, and
// of a batch of other due reminders.
type DeadlineReminderWorker struct {
	river.WorkerDefaults[DeadlineReminderArgs]
	hazards *storage.HazardService
	log     *slog.Logger
	alone   bool // work each job alone (no batch): the benchmark's baseline
}

// Work enqueues the reminder notifications, or does nothing when they are stale.
func (w *DeadlineReminderWorker) Work(ctx context.Context, job *river.Job[DeadlineReminderArgs]) error {
	a := job.Args
	own := storage.DeadlineJob{HazardID: a.HazardID, Deadline: a.Deadline, Before: a.Before}
	return workDeadlines(ctx, w.hazards, w.log, job.JobRow, own, w.alone, func(raw []byte) (storage.DeadlineJob, error) {
		var a DeadlineReminderArgs
		err := json.Unmarshal(raw, &a)
		return storage.DeadlineJob{HazardID: a.HazardID, Deadline: a.Deadline, Before: a.Before}, err
	})
}

// HazardDeadlineWorker acts when a hazard's deadline passes, and when others'
// passed beside it.
type HazardDeadlineWorker struct {
	river.WorkerDefaults[HazardDeadlineArgs]
	hazards *storage.HazardService
	log     *slog.Logger
	alone   bool // work each job alone (no batch): the benchmark's baseline
}

// Work makes the hazard reinspection_due, or does nothing when the job is stale.
func (w *HazardDeadlineWorker) Work(ctx context.Context, job *river.Job[HazardDeadlineArgs]) error {
	own := storage.DeadlineJob{HazardID: job.Args.HazardID, Deadline: job.Args.Deadline}
	return workDeadlines(ctx, w.hazards, w.log, job.JobRow, own, w.alone, func(raw []byte) (storage.DeadlineJob, error) {
		var a HazardDeadlineArgs
		err := json.Unmarshal(raw, &a)
		return storage.DeadlineJob{HazardID: a.HazardID, Deadline: a.Deadline}, err
	})
}

// HazardTimeLimitWorker acts when a hazard's signature or re-inspection is
// overdue, and when others' fell due beside it.
type HazardTimeLimitWorker struct {
	river.WorkerDefaults[HazardTimeLimitArgs]
	hazards *storage.HazardService
	log     *slog.Logger
}

// Work escalates the hazard (or reminds its party), or does nothing when the
// limit was kept or moved.
func (w *HazardTimeLimitWorker) Work(ctx context.Context, job *river.Job[HazardTimeLimitArgs]) error {
	decode := func(a HazardTimeLimitArgs) storage.DeadlineJob {
		return storage.DeadlineJob{HazardID: a.HazardID, Deadline: a.Due, Limit: a.Limit}
	}
	return workDeadlines(ctx, w.hazards, w.log, job.JobRow, decode(job.Args), false, func(raw []byte) (storage.DeadlineJob, error) {
		var a HazardTimeLimitArgs
		err := json.Unmarshal(raw, &a)
		return decode(a), err
	})
}

// workDeadlines works own, the job of row, with a batch of the due jobs of its
// kind and queue on its first attempt, and alone after a failure (or always,
// when alone).
func workDeadlines(ctx context.Context, hazards *storage.HazardService, log *slog.Logger, row *rivertype.JobRow,
	own storage.DeadlineJob, alone bool, decode func([]byte) (storage.DeadlineJob, error)) error {
	var claimer storage.DeadlineClaimer
	if row.Attempt <= 1 && !alone {
		claimer = batchClaimer{kind: row.Kind, queue: row.Queue, leader: row.ID, decode: decode}
	}
	tally, err := hazards.WorkDeadlines(ctx, []storage.DeadlineJob{own}, claimer)
	if err != nil && claimer != nil && ctx.Err() == nil {
		// The fault may be another job's: the claimed jobs are due again, and this
		// one is tried alone at once rather than retried later for someone else.
		log.WarnContext(ctx, "deadline batch failed; working the job alone", "kind", row.Kind, "job_id", row.ID, "error", err)
		tally, err = hazards.WorkDeadlines(ctx, []storage.DeadlineJob{own}, nil)
	}
	if err != nil {
		return err
	}
	log.DebugContext(ctx, "deadline jobs", "kind", row.Kind, "hazard_id", own.HazardID, "acted", tally.Acted, "stale", tally.Stale)
	return nil
}

// batchClaimer claims the due jobs of one kind on one queue for the batch of job
// leader, from River's table: jobs that are available and never ran (a job that
// failed runs alone), oldest first, skipping those locked by River's fetch or
// another batch. Finished jobs are marked completed the way River's completer
// does, with the leader's id in their metadata.
type batchClaimer struct {
	kind, queue string
	leader      int64
	decode      func([]byte) (storage.DeadlineJob, error)
}

func (c batchClaimer) Claim(ctx context.Context, tx pgx.Tx, now time.Time, limit int) ([]storage.DeadlineJob, error) {
	rows, err := tx.Query(ctx, `SELECT id, args FROM river_job
		WHERE state = 'available' AND queue = $1 AND kind = $2 AND scheduled_at <= $3 AND attempt = 0
		ORDER BY priority, scheduled_at, id LIMIT $4 FOR UPDATE SKIP LOCKED`, c.queue, c.kind, now, limit)
	if err != nil {
		return nil, err
	}
	var out []storage.DeadlineJob
	var id int64
	var args []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &args}, func() error {
		j, err := c.decode(args)
		if err != nil {
			return fmt.Errorf("job %d: %w", id, err)
		}
		j.JobID = id
		out = append(out, j)
		return nil
	})
	return out, err
}

func (c batchClaimer) Finish(ctx context.Context, tx pgx.Tx, now time.Time, done []storage.DeadlineJob) error {
	if len(done) == 0 {
		return nil
	}
	ids := make([]int64, len(done))
	for i, j := range done {
		ids[i] = j.JobID
	}
	_, err := tx.Exec(ctx, `UPDATE river_job SET state = 'completed', attempt = attempt + 1, attempted_at = $2, finalized_at = $2,
			metadata = metadata || jsonb_build_object('worked_with_job', $3::bigint)
		WHERE id = ANY($1)`, ids, now, c.leader)
	return err
}
