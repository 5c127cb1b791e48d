package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// TestRescheduleInspection: the office moves an inspection's due time; a time in
// the past, more than a year ahead or missing is refused naming due; a submitted
// inspection keeps its time; another area's officer sees no such inspection.
func TestRescheduleInspection(t *testing.T) {
	t.Parallel()
	w := setup(t)
	officer := w.login(w.own.officer)
	insp := w.assigned(w.own)
	path := fmt.Sprintf("/api/v1/inspections/%d/reschedule", insp.ID)

	due := time.Now().Add(5 * 24 * time.Hour).Truncate(time.Second)
	var got inspect.Inspection
	if st := w.call(officer, "POST", path, api.RescheduleInput{Due: due}, &got); st != 200 || !got.Due.Equal(due) {
		t.Fatalf("reschedule to %s: %d, due %s", due, st, got.Due)
	}
	var stored time.Time
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT due FROM inspections WHERE id = $1`, insp.ID).Scan(&stored); err != nil || !stored.Equal(due) {
		t.Errorf("stored due %s (%v), want %s", stored, err, due)
	}

	for name, body := range map[string]any{
		"in the past":          api.RescheduleInput{Due: time.Now().Add(-time.Hour)},
		"more than a year out": api.RescheduleInput{Due: time.Now().AddDate(2, 0, 0)},
		"missing":              map[string]string{},
		"not a time":           map[string]string{"due": "tomorrow"},
		"a number":             map[string]int{"due": 1764547200},
		"among many keys":      manyKeys("due", `"tomorrow"`, 50000),
	} {
		r := w.do(officer, "POST", path, body)
		if e := r.ErrorBody(t); r.Status != 400 || e.Field != "due" {
			t.Errorf("%s: %d %+v, want 400 naming due", name, r.Status, e)
		}
	}
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT due FROM inspections WHERE id = $1`, insp.ID).Scan(&stored); err != nil || !stored.Equal(due) {
		t.Errorf("after the refused requests the due is %s (%v), want %s unchanged", stored, err, due)
	}

	if r := w.do(w.login(w.other.officer), "POST", path, api.RescheduleInput{Due: due.Add(time.Hour)}); r.Status != 404 {
		t.Errorf("another area's officer: %d, want 404", r.Status)
	}
	done := w.completeInspection(w.own)
	if _, err := w.svc.Inspections.SubmitInspection(w.ctx, w.own.inspectorP, done.ID); err != nil {
		t.Fatal(err)
	}
	if r := w.do(officer, "POST", fmt.Sprintf("/api/v1/inspections/%d/reschedule", done.ID), api.RescheduleInput{Due: due}); r.Status != 409 {
		t.Errorf("rescheduling a submitted inspection: %d %s, want 409", r.Status, r.Body)
	}
}

// manyKeys is a JSON object whose first field is name: value, followed by n other
// fields: a hostile body whose bad field the server must still name, without
// trying every key.
func manyKeys(name, value string, n int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"` + name + `":` + value)
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	b.WriteString("}")
	return json.RawMessage(b.String())
}
