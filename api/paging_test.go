package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// closedHazards inserts n closed (fixed) hazards at s's site, the way years of
// history look: older, with lower ids than anything made after.
func (w *world) closedHazards(s *scope, n int) {
	w.t.Helper()
	if _, err := w.db.Pool.Exec(w.ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id,
		inspector_id, deadline, created_at, closed_at)
		SELECT $1, $2, 'history.' || g, 'closed_fixed', 'general', 'community', $3, $4,
		       now() - interval '1 year' + g * interval '1 hour', now() - interval '1 year', now() - interval '1 year' + g * interval '1 hour'
		FROM generate_series(1, $5::int) g`, s.site.ID, s.grid.ID, s.community.ID, s.inspector.ID, n); err != nil {
		w.t.Fatal(err)
	}
}

// merchantPage reads one page of the merchant's hazards.
func (w *world) merchantPage(token string, limit int, cursor string) api.List[api.MerchantHazard] {
	w.t.Helper()
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var page api.List[api.MerchantHazard]
	if st := w.call(token, "GET", "/api/v1/merchant/hazards?"+q.Encode(), nil, &page); st != 200 {
		w.t.Fatalf("GET /merchant/hazards?%s = %d", q.Encode(), st)
	}
	return page
}

// A merchant with more than a page of closed hazards sees the newest open ones
// first: the list orders open first, newest first, in the query, not after
// taking the first 500 by id.
func TestMerchantSeesNewOpenHazardsFirst(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	w.closedHazards(s, 600)
	var open []int64
	for range 3 {
		h, _ := w.hazard(s)
		open = append([]int64{h.ID}, open...) // newest first
	}
	token := w.login(s.merchant)

	first := w.merchantPage(token, 0, "")
	if len(first.Items) != inspect.MaxHazardPage {
		t.Fatalf("first page has %d hazards, want a full page of %d", len(first.Items), inspect.MaxHazardPage)
	}
	for i, id := range open {
		if got := first.Items[i]; got.ID != id || !inspect.IsOpen(got.State) {
			t.Errorf("item %d is hazard %d (%s), want open hazard %d", i, got.ID, got.State, id)
		}
	}
	for i, m := range first.Items[len(open):] {
		if inspect.IsOpen(m.State) {
			t.Errorf("item %d: open hazard %d after the closed ones", len(open)+i, m.ID)
		}
	}
	if first.Next == "" {
		t.Fatal("a full first page has no next cursor")
	}
	second := w.merchantPage(token, 0, first.Next)
	if got, want := len(first.Items)+len(second.Items), 600+len(open); got != want {
		t.Errorf("two pages hold %d hazards, want %d", got, want)
	}
	if second.Next != "" {
		t.Errorf("the last page has next %q", second.Next)
	}
}

// Page N+1 starts right after page N: rows inserted (or closed) between the two
// reads neither repeat a hazard nor skip one that was there when paging began.
func TestMerchantListPagesByKey(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	w.closedHazards(s, 7)
	for range 3 {
		w.hazard(s)
	}
	token := w.login(s.merchant)
	var before []int64
	for _, m := range w.merchantPage(token, 0, "").Items {
		before = append(before, m.ID)
	}

	seen := map[int64]int{}
	var order []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		page := w.merchantPage(token, 2, cursor)
		for _, m := range page.Items {
			seen[m.ID]++
			order = append(order, m.ID)
		}
		// Between two reads: a new open hazard and more closed history.
		w.hazard(s)
		w.closedHazards(s, 1)
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("hazard %d is on %d pages", id, n)
		}
	}
	// Everything there at the start is read, in the order of the first read;
	// rows inserted meanwhile may appear only where their key puts them.
	var kept []int64
	for _, id := range order {
		if slices.Contains(before, id) {
			kept = append(kept, id)
		}
	}
	if fmt.Sprint(kept) != fmt.Sprint(before) {
		t.Errorf("pages read %v of the hazards there at the start, want %v", kept, before)
	}

	bad := w.do(token, "GET", "/api/v1/merchant/hazards?cursor=not-a-cursor", nil)
	if bad.Status != 400 || bad.ErrorBody(t).Field != "cursor" {
		t.Errorf("a bad cursor answers %d %s, want 400 naming cursor", bad.Status, bad.Body)
	}
}

// keyed is any list item, by its id.
type keyed struct {
	ID int64 `json:"id"`
}

// readPages reads path page by page (limit per page), calling between after every
// read, and returns the ids in the order read; it fails the test on a repeated id
// or when paging does not end.
func (w *world) readPages(token, path string, limit int, between func()) []int64 {
	w.t.Helper()
	var ids []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			w.t.Fatalf("paging %s does not end", path)
		}
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page api.List[keyed]
		if st := w.call(token, "GET", path+"?"+q.Encode(), nil, &page); st != 200 {
			w.t.Fatalf("GET %s?%s = %d", path, q.Encode(), st)
		}
		for _, it := range page.Items {
			if slices.Contains(ids, it.ID) {
				w.t.Errorf("%s: id %d is on two pages", path, it.ID)
			}
			ids = append(ids, it.ID)
		}
		between()
		if page.Next == "" {
			return ids
		}
		cursor = page.Next
	}
}

// Every list ordered by id pages by key: page N+1 starts right after page N, with
// no id repeated and none of those there at the start skipped, while rows are
// inserted between the reads; after_id and before, the cursors before cursor,
// still work.
func TestListsPageByKey(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	officer := w.login(s.officer)
	notes, people, grids := 0, 0, 0
	tests := []struct {
		name, path string
		insert     func()
		oldParam   string // the list's id parameter before cursors ("": none)
	}{
		{"units", "/api/v1/units", func() {
			grids++
			w.unit(s.community.ID, inspect.LevelGrid, fmt.Sprint("Paging grid ", grids))
		}, ""},
		{"hazards", "/api/v1/hazards", func() { w.hazard(s) }, "after_id"},
		{"sites", "/api/v1/sites", func() {
			w.factory.Site(inspect.Site{Name: "New shop", Address: "3 New Road", GridID: s.grid.ID})
		}, "after_id"},
		{"inspections", "/api/v1/inspections", func() {
			if _, err := w.svc.Inspections.AssignInspection(w.ctx, s.officerP, s.site.ID, s.inspector.ID, time.Now().Add(48*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, "after_id"},
		{"users", "/api/v1/users", func() {
			people++
			w.factory.Inspector(fmt.Sprint("pager", people), s.grid)
		}, "after_id"},
		{"review queue", "/api/v1/flags", func() { w.analysedPhoto(s) }, "after_id"},
		{"notifications", "/api/v1/notifications", func() {
			notes++
			if _, err := w.db.Pool.Exec(w.ctx, `INSERT INTO notifications (user_id, channel, kind, text_zh, text_en, dedup_key)
				VALUES ($1, 'in_app', 'test', '测试', 'test', $2)`, s.officer.ID, fmt.Sprint("paging-", notes)); err != nil {
				t.Fatal(err)
			}
		}, "before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 {
				tt.insert()
			}
			before := w.readPages(officer, tt.path, 100, func() {})
			if len(before) < 5 {
				t.Fatalf("%s lists %d items, want at least 5", tt.path, len(before))
			}
			read := w.readPages(officer, tt.path, 2, tt.insert)
			var kept []int64
			for _, id := range read {
				if slices.Contains(before, id) {
					kept = append(kept, id)
				}
			}
			if fmt.Sprint(kept) != fmt.Sprint(before) {
				t.Errorf("pages of 2 read %v of the items there at the start, want %v", kept, before)
			}

			if r := w.do(officer, "GET", tt.path+"?cursor=%21", nil); r.Status != 400 || r.ErrorBody(t).Field != "cursor" {
				t.Errorf("a bad cursor answers %d %s, want 400 naming cursor", r.Status, r.Body)
			}
			if tt.oldParam == "" {
				return
			}
			var old api.List[keyed]
			path := fmt.Sprintf("%s?limit=1&%s=%d", tt.path, tt.oldParam, before[1])
			if st := w.call(officer, "GET", path, nil, &old); st != 200 || len(old.Items) != 1 || old.Items[0].ID != before[2] {
				t.Errorf("GET %s = %d %v, want item %d", path, st, old.Items, before[2])
			}
		})
	}
}

// The lists of plans, draws, keys, webhooks and visit requests page by key too,
// each read by whoever may read it.
func TestWorkYearListsPageByKey(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	n := 0
	plan, err := w.svc.Plans.CreatePlan(w.ctx, w.adminP, inspect.Plan{UnitID: s.community.ID, Name: "draw plan", Kind: inspect.PlanDoubleRandom, Months: 1, DrawCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	month := 0
	tests := []struct {
		name, path, token string
		insert            func()
	}{
		{"plans", "/api/v1/plans", w.login(s.officer), func() {
			n++
			if _, err := w.svc.Plans.CreatePlan(w.ctx, s.officerP, inspect.Plan{UnitID: s.community.ID, Name: fmt.Sprint("plan ", n), Kind: inspect.PlanCadence, Months: 3}); err != nil {
				t.Fatal(err)
			}
		}},
		{"draws", fmt.Sprintf("/api/v1/plans/%d/draws", plan.ID), w.login(s.officer), func() {
			month++
			if _, err := w.svc.Plans.RunDuePlans(w.ctx, time.Date(2027, time.Month(month), 15, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
		}},
		{"public draws", "/api/v1/public/draws", "", func() {
			month++
			if _, err := w.svc.Plans.RunDuePlans(w.ctx, time.Date(2027, time.Month(month), 15, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
		}},
		{"keys", "/api/v1/integrations/keys", w.login(w.admin), func() {
			n++
			if _, err := w.svc.Open311.CreateAPIKey(w.ctx, w.adminP, fmt.Sprint("system ", n), []byte(fmt.Sprint("paging-key-", n))); err != nil {
				t.Fatal(err)
			}
		}},
		{"webhooks", "/api/v1/integrations/webhooks", w.login(w.admin), func() {
			n++
			if _, err := w.svc.Webhooks.CreateWebhook(w.ctx, w.adminP, fmt.Sprint("platform ", n), "https://example.gov/hook", "a-secret-of-sixteen-plus"); err != nil {
				t.Fatal(err)
			}
		}},
		{"visit requests", "/api/v1/merchant/visit-requests", w.login(s.merchant), func() {
			if _, err := w.svc.Inspections.RequestVisit(w.ctx, s.merchantP, s.site.ID, inspect.VisitAdvice, "请来看看"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		for range 5 {
			tt.insert()
		}
		before := w.readPages(tt.token, tt.path, 100, func() {})
		if len(before) < 5 {
			t.Fatalf("%s lists %d items, want at least 5", tt.path, len(before))
		}
		read := w.readPages(tt.token, tt.path, 2, tt.insert)
		var kept []int64
		for _, id := range read {
			if slices.Contains(before, id) {
				kept = append(kept, id)
			}
		}
		if fmt.Sprint(kept) != fmt.Sprint(before) {
			t.Errorf("%s: pages of 2 read %v of the items there at the start, want %v", tt.name, kept, before)
		}
	}
}
