package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// The deadline path at volume. A city's deadlines bunch up: a hundred thousand
// hazards notified on the same morning fall due in the same minute. One
// transaction per job spends its time on round trips and commits, so a deadline
// job works the other due jobs of its kind with it: in one transaction it claims
// up to DeadlineBatch of them from the job system, locks their hazards, lets
// inspect decide each one exactly as the job alone would (inspect.PassDeadline,
// inspect.RemindDeadline, against the deadline the job was planned for) and
// writes the hazards, their events, the outbox rows and the jobs those call for
// with one statement each. The claimed jobs are finished in the same transaction,
// so each runs once: when it commits they are done, when it rolls back they are
// due again and nothing of their work was kept.

// DeadlineBatch is how many jobs one transaction of WorkDeadlines works at most.
const DeadlineBatch = 1000

// DeadlineJob is what one deadline, reminder or time-limit job asks for: that
// the Deadline of hazard HazardID passes (Before zero) or is reminded of, Before
// ahead of it; or, when Limit is set, that the hazard's time limit Limit planned
// for Deadline (its sign_by or reinspect_by then) is checked
// (inspect.PassTimeLimit). JobID is the job system's id of a claimed job.
type DeadlineJob struct {
	JobID    int64
	HazardID int64
	Deadline time.Time
	Before   inspect.Duration
	Limit    inspect.TimeLimit
}

// at is when the job was due.
func (j DeadlineJob) at() time.Time { return j.Deadline.Add(-time.Duration(j.Before)) }

// DeadlineClaimer is the job system's side of a batch: it hands out more due
// jobs of the kind being worked and finishes them, inside WorkDeadlines'
// transaction.
type DeadlineClaimer interface {
	// Claim locks up to limit jobs due at now that no one else has locked, in tx.
	Claim(ctx context.Context, tx pgx.Tx, now time.Time, limit int) ([]DeadlineJob, error)
	// Finish marks the claimed jobs done as done at now, in tx. Claimed jobs not
	// in done stay due for someone else.
	Finish(ctx context.Context, tx pgx.Tx, now time.Time, done []DeadlineJob) error
}

// DeadlineTally counts the jobs WorkDeadlines worked, by outcome.
type DeadlineTally struct{ Acted, Stale int }

// WorkDeadlines does, in one transaction, the work of jobs and of up to
// DeadlineBatch jobs more that claimer (nil: none) claims. The hazards of jobs
// are locked first, waiting for anyone who holds them; the hazards of claimed
// jobs are locked without waiting, and a claimed job whose hazard is busy is
// left for later. Jobs are worked in the order they were due, each against the
// hazard as the jobs before it left it.
func (s *HazardService) WorkDeadlines(ctx context.Context, jobs []DeadlineJob, claimer DeadlineClaimer) (DeadlineTally, error) {
	var tally DeadlineTally
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		tally = DeadlineTally{}
		now := s.now()
		hazards, err := lockHazards(ctx, tx, jobs, false)
		if err != nil {
			return err
		}
		all := slices.Clone(jobs)
		if claimer != nil && len(all) < DeadlineBatch {
			claimed, err := claimer.Claim(ctx, tx, now, DeadlineBatch-len(all))
			if err != nil {
				return fmt.Errorf("claim due deadline jobs: %w", err)
			}
			more, err := lockHazards(ctx, tx, claimed, true)
			if err != nil {
				return err
			}
			var done []DeadlineJob
			for _, j := range claimed {
				if hazards[j.HazardID] == nil && more[j.HazardID] != nil {
					hazards[j.HazardID] = more[j.HazardID]
				}
				if more[j.HazardID] != nil || hazards[j.HazardID] != nil {
					done = append(done, j)
				}
			}
			all = append(all, done...)
			if err := claimer.Finish(ctx, tx, now, done); err != nil {
				return fmt.Errorf("finish %d claimed deadline jobs: %w", len(done), err)
			}
		}
		slices.SortStableFunc(all, func(a, b DeadlineJob) int { return a.at().Compare(b.at()) })
		tally, err = s.workLocked(ctx, tx, all, hazards, now)
		return err
	})
	return tally, err
}

// workLocked decides every job of jobs on its hazard (locked, in hazards; a job
// whose hazard is missing is stale) and writes the outcome in tx.
func (s *HazardService) workLocked(ctx context.Context, tx pgx.Tx, jobs []DeadlineJob, hazards map[int64]*hazardRow, now time.Time) (DeadlineTally, error) {
	var tally DeadlineTally
	list := make([]*hazardRow, 0, len(hazards))
	for _, h := range hazards {
		list = append(list, h)
	}
	reads, err := s.readForActions(ctx, tx, list)
	if err != nil {
		return tally, err
	}
	var (
		events    []inspect.Event
		changed   []*hazardRow
		seen      = map[*hazardRow]bool{}
		effects   []inspect.Effects
		reminders []int // indexes in effects of the reminders' notices
	)
	for _, j := range jobs {
		h := hazards[j.HazardID]
		if h == nil {
			tally.Stale++
			continue
		}
		if j.Limit != "" {
			req, err := reads.request(h, now)
			if err != nil {
				return tally, err
			}
			lo, err := inspect.PassTimeLimit(req, j.Limit, j.Deadline)
			if err != nil {
				return tally, err
			}
			switch {
			case lo.Change != nil:
				if !seen[h] {
					seen[h] = true
					changed = append(changed, h)
				}
				h.Hazard, h.HeadSeq, h.HeadHash = lo.Change.Hazard, lo.Change.Event.Seq, lo.Change.Event.Hash
				events = append(events, lo.Change.Event)
				effects = append(effects, lo.Change.Effects)
			case lo.Acted():
				effects = append(effects, lo.Effects)
			default:
				tally.Stale++
				continue
			}
			tally.Acted++
			continue
		}
		if j.Before != 0 {
			notices := inspect.RemindDeadline(h.Hazard, j.Deadline, j.Before, reads.sites[h.SiteID])
			reminders = append(reminders, len(effects))
			effects = append(effects, inspect.Effects{Notices: notices})
			continue
		}
		req, err := reads.request(h, now)
		if err != nil {
			return tally, err
		}
		out, acted, err := inspect.PassDeadline(req, j.Deadline)
		if err != nil {
			return tally, fmt.Errorf("pass deadline %s of hazard %d: %w", j.Deadline, h.ID, err)
		}
		if !acted {
			tally.Stale++
			continue
		}
		tally.Acted++
		if !seen[h] {
			seen[h] = true
			changed = append(changed, h)
		}
		h.Hazard, h.HeadSeq, h.HeadHash = out.Hazard, out.Event.Seq, out.Event.Hash
		events = append(events, out.Event)
		effects = append(effects, out.Effects)
	}
	if err := saveHazards(ctx, tx, changed); err != nil {
		return tally, err
	}
	if err := storeEvents(ctx, tx, events); err != nil {
		return tally, err
	}
	notified, err := s.executeAll(ctx, tx, effects)
	if err != nil {
		return tally, err
	}
	for _, i := range reminders {
		if notified[i] > 0 {
			tally.Acted++
		} else {
			tally.Stale++
		}
	}
	return tally, nil
}

// lockHazards reads and locks the hazards of jobs in tx, in id order (so that
// two batches never wait for each other in a circle); with skipLocked it skips
// hazards someone else holds instead of waiting.
func lockHazards(ctx context.Context, tx pgx.Tx, jobs []DeadlineJob, skipLocked bool) (map[int64]*hazardRow, error) {
	out := map[int64]*hazardRow{}
	if len(jobs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.HazardID
	}
	lock := `FOR UPDATE`
	if skipLocked {
		lock += ` SKIP LOCKED`
	}
	rows, err := tx.Query(ctx, `SELECT `+hazardColumns+`, h.head_seq, h.head_hash FROM hazards h
		WHERE h.id = ANY($1) ORDER BY h.id `+lock, ids)
	list, err := collectAll[hazardRow](rows, err)
	if err != nil {
		return nil, fmt.Errorf("lock the hazards of %d deadline jobs: %w", len(jobs), err)
	}
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

// saveHazards writes the fields an action may change, and the chain head, of
// every hazard of hs with one statement.
func saveHazards(ctx context.Context, tx pgx.Tx, hs []*hazardRow) error {
	if len(hs) == 0 {
		return nil
	}
	n := len(hs)
	ids, inspectors, units := make([]int64, n), make([]int64, n), make([]int64, n)
	states, severities, levels, notes, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	observations, escalations, returns, ratings := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	seqs := make([]int64, n)
	deadlines, closed := make([]time.Time, n), make([]*time.Time, n)
	byPolicy, parties := make([]bool, n), make([]string, n)
	handed, signBy, reinspectBy := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	for i, h := range hs {
		ids[i], inspectors[i], units[i] = h.ID, h.InspectorID, h.UnitID
		states[i], severities[i], levels[i], notes[i], hashes[i] = string(h.State), string(h.Severity), string(h.Level), h.Note, h.HeadHash
		observations[i], escalations[i], returns[i], ratings[i] = int32(h.Observations), int32(h.Escalations), int32(h.Returns), int32(h.Rating)
		seqs[i], deadlines[i], closed[i] = h.HeadSeq, h.Deadline, h.ClosedAt
		byPolicy[i], parties[i], handed[i], signBy[i], reinspectBy[i] = h.DeadlineByPolicy, string(h.SignParty), h.HandedAt, h.SignBy, h.ReinspectBy
	}
	_, err := tx.Exec(ctx, `UPDATE hazards h SET state = u.state, severity = u.severity, level = u.level, unit_id = u.unit_id,
			inspector_id = u.inspector_id, note = u.note, observations = u.observations, escalations = u.escalations,
			returns = u.returns, deadline = u.deadline, rating = u.rating, closed_at = u.closed_at,
			head_seq = u.head_seq, head_hash = u.head_hash, deadline_by_policy = u.deadline_by_policy, handed_at = u.handed_at,
			sign_party = NULLIF(u.sign_party, ''), sign_by = u.sign_by, reinspect_by = u.reinspect_by
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::int[], $9::int[],
			$10::int[], $11::timestamptz[], $12::int[], $13::timestamptz[], $14::bigint[], $15::text[],
			$16::boolean[], $17::timestamptz[], $18::text[], $19::timestamptz[], $20::timestamptz[])
			AS u(id, state, severity, level, unit_id, inspector_id, note, observations, escalations, returns, deadline, rating,
			closed_at, head_seq, head_hash, deadline_by_policy, handed_at, sign_party, sign_by, reinspect_by)
		WHERE h.id = u.id AND h.id = ANY($1) -- the second lets the planner read the rows by key, not the whole table`, ids, states, severities, levels, units, inspectors, notes, observations, escalations, returns,
		deadlines, ratings, closed, seqs, hashes, byPolicy, handed, parties, signBy, reinspectBy)
	if err != nil {
		return fmt.Errorf("save %d hazards: %w", n, err)
	}
	return nil
}

// storeEvents appends events (each the next of its hazard's chain, in order)
// with one statement; saveHazards moves the chain heads.
func storeEvents(ctx context.Context, tx pgx.Tx, events []inspect.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	hazards, seqs, actors := make([]int64, n), make([]int64, n), make([]int64, n)
	at := make([]time.Time, n)
	kinds, payloads, prev, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		hazards[i], seqs[i], actors[i], at[i] = e.HazardID, e.Seq, e.Actor, e.At
		kinds[i], payloads[i], prev[i], hashes[i] = e.Kind, string(e.Payload), e.PrevHash, e.Hash
	}
	_, err := tx.Exec(ctx, `INSERT INTO hazard_events (hazard_id, seq, actor, at, kind, payload, prev_hash, hash)
		SELECT hazard_id, seq, actor, at, kind, payload::jsonb, prev_hash, hash
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS e(hazard_id, seq, actor, at, kind, payload, prev_hash, hash)`,
		hazards, seqs, actors, at, kinds, payloads, prev, hashes)
	if err != nil {
		return fmt.Errorf("append %d hazard events: %w", n, err)
	}
	return nil
}
