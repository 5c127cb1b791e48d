package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

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
		if pages > 10 {
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
