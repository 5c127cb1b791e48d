package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// The office's hazard list searches by site name, address, rule code or title and
// hazard number, within the caller's scope; the search text is literal.
func TestHazardListSearch(t *testing.T) {
	w := setup(t)
	noodles := w.factory.Site(inspect.Site{Name: "Noodle 50% House", Address: "8 Wuhou Street", GridID: w.own.grid.ID})
	insert := func(site inspect.Site, grid int64, code, titleZH, titleEN string) int64 {
		t.Helper()
		var id int64
		if err := w.db.Pool.QueryRow(w.ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, deadline, rule)
			VALUES ($1, $2, $3, 'notified', 'general', 'grid', $2, now() + interval '7 days', jsonb_build_object('code', $3::text, 'title', jsonb_build_object('zh', $4::text, 'en', $5::text)))
			RETURNING id`, site.ID, grid, code, titleZH, titleEN).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	shop := insert(w.own.site, w.own.grid.ID, "EXIT-01", "疏散通道保持畅通", "Exits kept clear")
	noodle := insert(noodles, w.own.grid.ID, "GAS-02", "燃气管道无泄漏", "Gas pipes do not leak")
	elsewhere := insert(w.other.site, w.other.grid.ID, "EXIT-01", "疏散通道保持畅通", "Exits kept clear")
	officer := w.login(w.own.officer)
	for _, tc := range []struct {
		name, q string
		want    []int64
	}{
		{"site name, any case", "noodle", []int64{noodle}},
		{"address", "Yulin", []int64{shop}}, // the other half's "2 Yulin Road" is out of scope
		{"rule title in Chinese", "疏散", []int64{shop}},
		{"rule title in English", "gas PIPES", []int64{noodle}},
		{"rule code", "exit-01", []int64{shop}},
		{"hazard number", fmt.Sprint(noodle), []int64{noodle}},
		{"hazard number with #", fmt.Sprint("#", shop), []int64{shop}},
		{"percent is literal", "50%", []int64{noodle}},
		{"underscore is literal", "_", nil},
		{"no match", "bakery", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got api.List[inspect.HazardDetail]
			w.call(officer, "GET", "/api/v1/hazards?q="+url.QueryEscape(tc.q), nil, &got)
			var ids []int64
			for _, h := range got.Items {
				ids = append(ids, h.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("q=%q found %v, want %v", tc.q, ids, tc.want)
			}
		})
	}
	var all api.List[inspect.HazardDetail]
	w.call(w.login(w.admin), "GET", "/api/v1/hazards?q=exits", nil, &all)
	if len(all.Items) != 2 || all.Items[1].ID != elsewhere {
		t.Errorf("the admin's search for exits found %d hazards, want 2 (both halves)", len(all.Items))
	}
	if r := w.do(officer, "GET", "/api/v1/hazards?q="+strings.Repeat("x", 101), nil); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "q") {
		t.Errorf("a 101-character search: %d %s, want 400 naming q", r.Status, r.Body)
	}
}
