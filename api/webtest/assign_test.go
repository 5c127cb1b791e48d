package webtest

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestOfficerReschedulesAndReassigns: on the assignment screen the officer moves
// an inspection not yet started to another day and to the grid's other
// inspector, with one Save; the due keeps its time of day, and the load table
// counts the inspection under its new inspector.
func TestOfficerReschedulesAndReassigns(t *testing.T) {
	t.Parallel()
	f := setup(t)
	second := f.factory.Inspector("inspector-two", f.grid)
	china := time.FixedZone("CST", 8*3600) // the browser runs in Asia/Shanghai (driver.mjs)
	was := f.insp.Due.In(china)
	day := was.AddDate(0, 0, 3)
	var got struct {
		Load     map[string]int `json:"load"`
		ShownDay string         `json:"shownDay"`
	}
	runDriver(t, f, "reschedule", map[string]any{"inspectionId": f.insp.ID, "inspectorId": second.ID, "day": day.Format(time.DateOnly)}, &got)
	var inspector int64
	var due time.Time
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT inspector_id, due FROM inspections WHERE id = $1`, f.insp.ID).Scan(&inspector, &due); err != nil {
		t.Fatal(err)
	}
	if inspector != second.ID {
		t.Errorf("the inspection is with inspector %d, want %d", inspector, second.ID)
	}
	if want := day.Truncate(time.Second); !due.Equal(want) && !due.Truncate(time.Second).Equal(want) {
		t.Errorf("the inspection is due %s, want %s (three days later, same time of day)", due.In(china), want)
	}
	if got.ShownDay != day.Format(time.DateOnly) {
		t.Errorf("the screen shows the due day %s, want %s", got.ShownDay, day.Format(time.DateOnly))
	}
	if got.Load[strconv.FormatInt(second.ID, 10)] != 1 || got.Load[strconv.FormatInt(f.inspector.ID, 10)] != 0 {
		t.Errorf("the load table reads %v, want 1 for inspector %d and 0 for %d", got.Load, second.ID, f.inspector.ID)
	}
}
