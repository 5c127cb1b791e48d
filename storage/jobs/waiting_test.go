package jobs

import (
	"testing"
	"time"
)

// Waiting counts a new hazard's reminder and deadline jobs as scheduled: the queue
// depth /metrics reports.
func TestWaitingCountsScheduledJobs(t *testing.T) {
	w := setupDeadlines(t)
	before, err := Waiting(w.ctx, w.db)
	if err != nil {
		t.Fatal(err)
	}
	w.newHazard(w.now.Add(7 * 24 * time.Hour))
	after, err := Waiting(w.ctx, w.db)
	if err != nil {
		t.Fatal(err)
	}
	// Two reminders (24 h and 2 h before) and the deadline job.
	if got := after["scheduled"] - before["scheduled"]; got != 3 {
		t.Errorf("scheduled jobs grew by %d, want 3 (before %v, after %v)", got, before, after)
	}
	var open int64
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM river_job WHERE finalized_at IS NULL`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, n := range after {
		sum += n
	}
	if sum != open {
		t.Errorf("Waiting counts %d jobs by state %v, the queue holds %d unfinished", sum, after, open)
	}
}
