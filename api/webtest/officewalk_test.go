package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// The safety office's screens walked as a district clerk would on a working day:
// the review queue, a long hazard list, a hazard's actions, determinations, the
// map, assignment, plans and the KPIs, in Chinese and English.

// officeDistrict seeds a district at work: sites in two grids and n hazards in
// every state, severity and level, some overdue, and returns the hazards' ids.
func (f *fixture) officeDistrict(t *testing.T, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var grid4 int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT id FROM units WHERE name = '第4网格'`).Scan(&grid4); err != nil {
		t.Fatal(err)
	}
	sites := []inspect.Site{f.site}
	for i, s := range []struct{ name, addr string }{
		{"老成都面馆", "玉林西路 5 号"}, {"小谭豆花", "玉林北路 31 号"}, {"青年旅舍", "芳草街 8 号"},
		{"便民超市", "玉林南路 2 号"}, {"好再来火锅", "倪家桥路 14 号"}, {"玉林小学门口文具店", "玉林中路 9 号"},
	} {
		grid := f.grid.ID
		if i%2 == 1 {
			grid = grid4
		}
		sites = append(sites, f.factory.Site(inspect.Site{Name: s.name, Type: "restaurant", Address: s.addr,
			Lat: 30.630 + float64(i)*0.001, Lng: 104.050 + float64(i)*0.0012, GridID: grid,
			Profile: json.RawMessage(`{"site_type":"restaurant","floors":1,"floor_area_m2":80,"occupants":20}`)}))
	}
	rules := []struct{ code, zh, en string }{
		{"GAS", "燃气管道无泄漏", "Gas pipes do not leak"},
		{"EV", "电动车不得在室内停放充电", "No e-bikes parked or charged indoors"},
		{"EXIT", "安全出口畅通", "Emergency exits kept clear"},
		{"EXT", "灭火器在有效期内", "Extinguishers within their service date"},
	}
	states := []string{"open", "notified", "notified", "rectification_submitted", "reinspection_due", "returned", "closed_fixed", "closed_on_spot", "withdrawn", "escalated"}
	var ids []int64
	for i := range n {
		s := sites[i%len(sites)]
		// One open hazard per site and rule: each site's hazards are of different rules.
		r := rules[(i/len(sites))%len(rules)]
		code := fmt.Sprintf("%s-%02d", r.code, i/len(sites))
		state := states[i%len(states)]
		severity := "general"
		if i%13 == 0 {
			severity = "possibly_major"
		}
		// Some overdue, most due within weeks.
		deadline := time.Now().Add(time.Duration(i%9-2) * 36 * time.Hour)
		rule := fmt.Sprintf(`{"code":%q,"title":{"zh":%q,"en":%q}}`, code, r.zh, r.en)
		var id int64
		if err := f.db.Pool.QueryRow(ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, deadline, rule, inspector_id)
			VALUES ($1, $2, $3, $4, $5, 'grid', $2, $6, $7, $8) RETURNING id`, s.ID, s.GridID, code, state, severity, deadline, rule, f.inspector.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestOfficeWalk walks every screen of the safety office with a district's worth
// of data and screenshots each state (./screenshots/walk-*).
func TestOfficeWalk(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	codes := f.startInspection(t, 4)
	reinspect := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "走道内停放电动车 2 辆").HazardID
	try(f.store.Hazards.HazardAction(ctx, f.principal(t, f.officer), reinspect, inspect.ActionNotify, inspect.HazardActionInput{Note: "三日内移走"})).must(t)
	// The deadline passed without proof: due for a re-inspection.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE hazards SET state = 'reinspection_due', deadline = now() - interval '2 days' WHERE id = $1`, reinspect); err != nil {
		t.Fatal(err)
	}
	open := f.hazardAt(t, codes[1], inspect.OutcomeHazard, "灭火器压力不足").HazardID
	f.officers(t, 2)
	f.officeDistrict(t, 66)
	images := testImages(t, 3, "corridor")
	var flags []int64
	for i, img := range images {
		photo := f.uploadPhoto(t, f.inspector, img, "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[2+i%2])
		flags = append(flags, f.insertFlag(t, photo.String(), codes[2+i%2], "two_wheeler_indoor", 0.91-float64(i)*0.1))
		if i == 0 {
			flags = append(flags, f.insertFlag(t, photo.String(), codes[2], "combustibles_stacked", 0.74))
		}
	}
	var got struct {
		FocusAfterConfirm     string `json:"focusAfterConfirm"`
		FocusAfterReject      string `json:"focusAfterReject"`
		AfterOneEscalateClick struct {
			Posts int    `json:"posts"`
			State string `json:"state"`
			Asks  string `json:"asks"`
		} `json:"afterOneEscalateClick"`
		AfterEscape struct {
			Posts       int    `json:"posts"`
			Label       string `json:"label"`
			StillAsking int    `json:"stillAsking"`
		} `json:"afterEscape"`
		AfterEscalate struct {
			Posts int    `json:"posts"`
			State string `json:"state"`
		} `json:"afterEscalate"`
		ListFiltered struct {
			URL string `json:"url"`
		} `json:"listFiltered"`
		AssignPhoneSite struct {
			Text  string `json:"text"`
			Width int    `json:"width"`
			Lines int    `json:"lines"`
		} `json:"assignPhoneSite"`
		BackTo   string `json:"backTo"`
		KPITiles []struct {
			KPI  string `json:"kpi"`
			Help string `json:"help"`
		} `json:"kpiTiles"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "officeWalk", map[string]any{"reinspectId": reinspect, "openId": open, "flags": flags, "unit": f.district.ID}, &got)
	// A decision by keyboard moves on to the next flag, not to the top of the page.
	if want := fmt.Sprintf("input#confirm-note-%d", flags[1]); got.FocusAfterConfirm != want {
		t.Errorf("after confirming a flag with Enter the focus is on %q, want the next flag's note (%s)", got.FocusAfterConfirm, want)
	}
	if want := fmt.Sprintf("input#confirm-note-%d", flags[2]); got.FocusAfterReject != want {
		t.Errorf("after rejecting a flag the focus is on %q, want the next flag's note (%s)", got.FocusAfterReject, want)
	}
	// Escalating asks once more; only the confirmation escalates.
	if e := got.AfterOneEscalateClick; e.Posts != 0 || e.State != "reinspection_due" || e.Asks == "" {
		t.Errorf("one click on escalate: %d actions sent, hazard %s, question %q; want nothing sent until a confirmation is asked for", e.Posts, e.State, e.Asks)
	}
	if e := got.AfterEscape; e.Posts != 0 || e.StillAsking != 0 || e.Label != "升级" {
		t.Errorf("Escape on the question: %d actions sent, button %q, still asking: %d; want the plain 升级 back and nothing sent", e.Posts, e.Label, e.StillAsking)
	}
	if e := got.AfterEscalate; e.Posts != 1 || e.State != "escalated" || f.hazard(t, reinspect).State != inspect.StateEscalated {
		t.Errorf("after the confirmation: %d actions sent, page says %s; want one escalation", e.Posts, e.State)
	}
	// Back from a hazard: the list as it was left, filters and sort kept.
	if want := strings.TrimPrefix(got.ListFiltered.URL, f.base); got.BackTo != want {
		t.Errorf("back from the hazard page goes to %q, want the list as it was left (%s)", got.BackTo, want)
	}
	// On a phone the assignment's open inspections name their site on one line.
	if s := got.AssignPhoneSite; s.Text != f.site.Name || s.Lines != 1 {
		t.Errorf("on a phone the open inspection's site %q takes %d lines, %d px wide; want it on one line", s.Text, s.Lines, s.Width)
	}
	// Every KPI says what it counts.
	if len(got.KPITiles) != 5 {
		t.Errorf("the KPI screen shows %d tiles, want 5", len(got.KPITiles))
	}
	for _, k := range got.KPITiles {
		if k.Help == "" {
			t.Errorf("the KPI %s has no explanation of what it counts", k.KPI)
		}
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestHazardListPastFiveHundred: a district with 520 hazards saw 500 in the list,
// counted as "共 500 条", with no sign of the other 20; the list reads every page.
func TestHazardListPastFiveHundred(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ids := f.officeDistrict(t, 520)
	var got struct {
		Rows       []int64  `json:"rows"`
		Count      string   `json:"count"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "hazardListLong", map[string]any{}, &got)
	if len(got.Rows) != len(ids) || !strings.Contains(got.Count, "520") {
		t.Errorf("the list of every state shows %d rows and says %q; want all %d hazards, counted", len(got.Rows), got.Count, len(ids))
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestReviewQueuePastFifty: with 55 flags pending the queue showed the first 50
// and no way to reach the others; the next ones come on request, the keyboard on
// the first of them.
func TestReviewQueuePastFifty(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	code := f.startInspection(t, 1)[0]
	var flags []int64
	for i := range 55 {
		var photo string
		if err := f.db.Pool.QueryRow(ctx, `INSERT INTO photos (id, sha256, type, size, width, height, site_id, inspection_id, item_code, uploaded_by)
			VALUES (gen_random_uuid(), $1, 'image/jpeg', 1000, 640, 480, $2, $3, $4, $5) RETURNING id::text`,
			fmt.Sprintf("%064d", i), f.site.ID, f.insp.ID, code, f.inspector.ID).Scan(&photo); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, f.insertFlag(t, photo, code, "two_wheeler_indoor", 0.8))
	}
	var got struct {
		First      int      `json:"first"`
		After      int      `json:"after"`
		MoreLeft   int      `json:"moreLeft"`
		Focus      string   `json:"focus"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "flagQueueLong", map[string]any{}, &got)
	if got.After != len(flags) || got.MoreLeft != 0 {
		t.Errorf("the review queue shows %d then %d of %d pending flags (more offered after: %d); want all of them reachable", got.First, got.After, len(flags), got.MoreLeft)
	}
	if want := fmt.Sprintf("confirm-note-%d", flags[50]); got.Focus != want {
		t.Errorf("after showing more the focus is on %q, want the first new flag's note (%s)", got.Focus, want)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestAssignAndMapPastFiveHundredSites: with 510 more sites in the district, the
// assignment screen offered the first 500 sites (the newest could not be given
// to an inspector at all) and the map plotted 500.
func TestAssignAndMapPastFiveHundredSites(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var newest int64
	if err := f.db.Pool.QueryRow(context.Background(), `WITH added AS (INSERT INTO sites (name, type, address, lat, lng, grid_id, profile)
		SELECT '商铺' || i, 'restaurant', '玉林北路 ' || i || ' 号', 30.62 + i * 0.00002, 104.04 + i * 0.00002, $1, '{}'
		FROM generate_series(1, 510) AS i RETURNING id) SELECT max(id) FROM added`, f.grid.ID).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sites      []int64  `json:"sites"`
		Markers    int      `json:"markers"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "sitesLong", map[string]any{}, &got)
	if len(got.Sites) != 511 || !slices.Contains(got.Sites, newest) {
		t.Errorf("the assignment screen offers %d sites (the newest, %d, offered: %v); want all 511", len(got.Sites), newest, slices.Contains(got.Sites, newest))
	}
	if got.Markers != 511 {
		t.Errorf("the map plots %d sites, want all 511", got.Markers)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
