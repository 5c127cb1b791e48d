package webtest

import (
	"context"
	"strings"
	"testing"
)

// TestOfficerPlansDoubleRandomDraw: the officer creates a double-random plan for
// the community on the plans screen, makes the period's inspections and reads
// the draw with its seed; the inspection is on the grid inspector's list.
func TestOfficerPlansDoubleRandomDraw(t *testing.T) {
	t.Parallel()
	f := setup(t)
	community := f.grid.ParentID
	var got struct {
		ID         int64    `json:"id"`
		Ran        string   `json:"ran"`
		Draw       string   `json:"draw"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "plans", map[string]any{"unitId": community, "name": "双随机抽查（季度）"}, &got)
	if !strings.Contains(got.Ran, "新生成 1 项") {
		t.Errorf("running the plan said %q; want one inspection made", got.Ran)
	}
	if !strings.Contains(got.Draw, "抽取 1 家") || !strings.Contains(got.Draw, "seed ") {
		t.Errorf("the draw reads %q; want one site drawn and the seed", got.Draw)
	}
	var n int
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM plan_inspections pi JOIN inspections i ON i.id = pi.inspection_id
		WHERE pi.plan_id = $1 AND i.inspector_id = $2`, got.ID, f.inspector.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d inspections of plan %d for the grid's inspector (%v), want 1", n, got.ID, err)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
