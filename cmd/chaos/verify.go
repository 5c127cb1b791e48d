package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// verifier checks, after the run, that nothing acknowledged was lost and nothing
// happened twice, reading Postgres and the object store directly.
type verifier struct {
	db      *storage.DB
	objects *storage.ObjectStore
	photos  *storage.PhotoService
	lines   []string
	failed  bool
}

func (v *verifier) check(ok bool, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if !ok {
		line += "   <-- FAILED"
		v.failed = true
	}
	v.lines = append(v.lines, line)
}

// photoRow reports whether a photo row exists for the UUID.
func (v *verifier) photoRow(ctx context.Context, id string) bool {
	var n int
	if err := v.db.Pool.QueryRow(ctx, `SELECT count(*) FROM photos WHERE id = $1`, id).Scan(&n); err != nil {
		return false
	}
	return n > 0
}

// uploads checks every acknowledged upload: its row with the right hash, and the
// object whose bytes hash to it; rows without objects; and orphan objects, which
// may only come from uploads never acknowledged and must go with the sweep.
func (v *verifier) uploads(ctx context.Context, ups []upload) {
	acked := map[string]string{} // id → sha of 2xx uploads
	unacked := map[string]bool{} // sha of uploads that never got 2xx
	attempts, failures := 0, 0
	for _, u := range ups {
		attempts++
		if u.Status >= 200 && u.Status < 300 {
			acked[u.ID] = u.SHA
		} else {
			failures++
		}
	}
	for _, u := range ups {
		if _, ok := acked[u.ID]; !ok {
			unacked[u.SHA] = true
		}
	}
	lost := 0
	for id, sha := range acked {
		var rowSHA string
		err := v.db.Pool.QueryRow(ctx, `SELECT sha256 FROM photos WHERE id = $1`, id).Scan(&rowSHA)
		if err != nil || rowSHA != sha {
			lost++
			continue
		}
		rc, _, err := v.objects.Get(ctx, storage.PhotoKey(sha))
		if err != nil {
			lost++
			continue
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil || hex.EncodeToString(h.Sum(nil)) != sha {
			lost++
		}
	}
	v.check(lost == 0, "acknowledged uploads lost: %d of %d (row, object and SHA-256 checked; %d attempts, %d not acknowledged)", lost, len(acked), attempts, failures)
	missing, orphans, err := v.photos.PhotoConsistency(ctx)
	if err != nil {
		v.check(false, "photo consistency: %v", err)
		return
	}
	v.check(len(missing) == 0, "rows without objects: %d %v", len(missing), missing)
	foreign := 0
	for _, k := range orphans {
		sha := k[strings.LastIndexByte(k, '/')+1:]
		sha = strings.TrimSuffix(sha, ".jpg")
		if !unacked[sha] {
			foreign++
		}
	}
	v.check(foreign == 0, "orphan objects before the sweep: %d, of which not from an unacknowledged upload: %d", len(orphans), foreign)
	deleted, err := v.photos.SweepOrphanPhotos(ctx, 0)
	if err != nil {
		v.check(false, "sweep: %v", err)
		return
	}
	_, after, err := v.photos.PhotoConsistency(ctx)
	v.check(err == nil && len(after) == 0, "orphan objects after the sweep: %d (the sweep deleted %d)", len(after), len(deleted))
}

// exactlyOnce checks the scheduler's work on the run's hazards: no system event
// twice, every deadline of an unfixed hazard passed once, its two reminders sent
// once, and escalations as acknowledged.
func (v *verifier) exactlyOnce(ctx context.Context, fates map[int64]*hazardFate) {
	var dup int
	err := v.db.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT hazard_id, kind, payload->>'passed_deadline' FROM hazard_events
		WHERE actor = 0 GROUP BY 1, 2, 3 HAVING count(*) > 1) d`).Scan(&dup)
	v.check(err == nil && dup == 0, "system events (deadline passed) recorded twice: %d (%v)", dup, err)
	var dupNotes int
	err = v.db.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT user_id, channel, dedup_key FROM notifications
		GROUP BY 1, 2, 3 HAVING count(*) > 1) d`).Scan(&dupNotes)
	v.check(err == nil && dupNotes == 0, "duplicated notifications: %d (%v)", dupNotes, err)

	due, passed, twice, reminders, wantReminders, escAck, escEvents, escTried := 0, 0, 0, 0, 0, 0, 0, 0
	for id, f := range fates {
		escAck += f.Escalated
		escTried += f.Tried
		var n int
		v.db.Pool.QueryRow(ctx, `SELECT count(*) FROM hazard_events WHERE hazard_id = $1 AND kind = 'escalate'`, id).Scan(&n)
		escEvents += n
		if !f.Notified || f.Fixed {
			continue
		}
		var overdue bool
		var deadlineEvents int
		v.db.Pool.QueryRow(ctx, `SELECT deadline < now() - interval '30 seconds' FROM hazards WHERE id = $1`, id).Scan(&overdue)
		if !overdue {
			continue
		}
		due++
		// An escalated hazard gets a new deadline, which passes in its turn:
		// once per distinct deadline is right, twice for one is not.
		var distinct int
		v.db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT payload->>'passed_deadline') FROM hazard_events
			WHERE hazard_id = $1 AND kind = 'deadline_passed'`, id).Scan(&deadlineEvents, &distinct)
		if deadlineEvents >= 1 {
			passed++
		}
		if deadlineEvents > distinct {
			twice++
		}
		got, want := v.reminders(ctx, id)
		reminders += got
		wantReminders += want
	}
	v.check(passed == due && twice == 0, "deadlines passed: %d of %d unfixed overdue hazards exactly once (twice: %d)", passed, due, twice)
	v.check(reminders == wantReminders, "reminders: %d of %d expected (2 and 1 minute before each deadline that passed, where that was still ahead when the deadline was set)", reminders, wantReminders)
	v.check(escEvents >= escAck && escEvents <= escTried, "escalations: %d recorded, %d acknowledged of %d attempts", escEvents, escAck, escTried)
}

// audit runs safegrid audit verify against the cluster's database.
func (v *verifier) audit(safegrid string, env []string) {
	cmd := exec.Command(safegrid, "audit", "verify")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	v.check(err == nil, "safegrid audit verify: %s", strings.TrimSpace(lastLines(string(out), 2)))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}

// reminders counts, for every deadline of hazard id that passed, the reminders
// the policy asks for (2 and 1 minute before) that were still ahead when the
// deadline was set — by the event that set it: created, notify or an
// escalation — and how many of those were stored (by their dedup key).
func (v *verifier) reminders(ctx context.Context, id int64) (got, want int) {
	rows, err := v.db.Pool.Query(ctx, `SELECT (e.payload->>'passed_deadline')::timestamptz,
			(SELECT max(s.at) FROM hazard_events s WHERE s.hazard_id = e.hazard_id
				AND s.at < (e.payload->>'passed_deadline')::timestamptz
				AND s.kind IN ('created', 'notify', 'escalate', 'reinspect_present', 'determine_general', 'determine_major'))
		FROM hazard_events e WHERE e.hazard_id = $1 AND e.kind = 'deadline_passed' AND e.payload ? 'passed_deadline'`, id)
	if err != nil {
		v.check(false, "read deadlines of hazard %d: %v", id, err)
		return 0, 0
	}
	type passedDeadline struct{ at, set time.Time }
	var ds []passedDeadline
	for rows.Next() {
		var d passedDeadline
		if err := rows.Scan(&d.at, &d.set); err == nil {
			ds = append(ds, d)
		}
	}
	rows.Close()
	for _, d := range ds {
		for _, before := range []time.Duration{2 * time.Minute, time.Minute} {
			if !d.at.Add(-before).After(d.set) {
				continue // already past when the deadline was set: never planned
			}
			want++
			var n int
			v.db.Pool.QueryRow(ctx, `SELECT count(DISTINCT user_id) FROM notifications WHERE dedup_key = $1`,
				inspect.DeadlineReminderKey(id, d.at, inspect.Duration(before))).Scan(&n)
			if n > 0 {
				got++
			}
		}
	}
	return got, want
}
