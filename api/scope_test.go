package api_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// An officer over many units (a subdistrict of 40 grids) sees exactly their
// subtree's hazards, page after page, and filtered.
func TestLargeScopeListsTheSubtreeOnly(t *testing.T) {
	w := setup(t)
	sub := w.unit(w.district.ID, inspect.LevelSubdistrict, "Big subdistrict")
	officer := w.factory.Officer("big-officer", sub)
	var mine []int64
	for c := range 4 {
		comm := w.unit(sub.ID, inspect.LevelCommunity, fmt.Sprint("Big community ", c))
		for g := range 10 {
			grid := w.unit(comm.ID, inspect.LevelGrid, fmt.Sprintf("Big grid %d-%d", c, g))
			if g%5 != 0 {
				continue
			}
			site := w.factory.Site(inspect.Site{Name: fmt.Sprintf("Big shop %d-%d", c, g), GridID: grid.ID})
			var id int64
			if err := w.db.Pool.QueryRow(w.ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, deadline)
				VALUES ($1, $2, 'SCOPE-1', 'notified', 'general', 'grid', $2, now() + interval '7 days') RETURNING id`, site.ID, grid.ID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, id)
		}
	}
	// Hazards elsewhere in the district must not show.
	w.hazard(w.own)
	w.hazard(w.other)
	if ids, _ := w.principal(officer).ScopeUnitIDs(); len(ids) <= 40 {
		t.Fatalf("the officer's scope has %d units; the test needs a large one", len(ids))
	}
	got := w.readPages(w.login(officer), "/api/v1/hazards", 3, func() {})
	if !slices.Equal(got, mine) {
		t.Errorf("the officer's list: %v, want exactly %v", got, mine)
	}
	var filtered api.List[inspect.HazardDetail]
	w.call(w.login(officer), "GET", "/api/v1/hazards?state=notified&limit=100", nil, &filtered)
	if len(filtered.Items) != len(mine) {
		t.Errorf("filtered by state: %d hazards, want %d", len(filtered.Items), len(mine))
	}
}
