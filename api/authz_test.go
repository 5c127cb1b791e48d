package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// The actors of the matrix, in the order of its columns.
const (
	asAdmin = iota
	asOfficer
	asInspector
	asMerchant
	asAnonymous
	actors
)

var actorNames = [actors]string{"admin", "officer", "inspector", "merchant", "anonymous"}

// request is what one matrix cell sends.
type request struct {
	method, path string
	body         any
}

// matrixRoute is one row of the matrix: how to build a request against fresh
// objects of a scope, and the expected status per actor for the caller's own
// scope and for the other scope.
//
// The policy it pins down: a route outside the caller's role is 403 whatever the
// id; a thing the caller may not see is 404 (a merchant can never tell another
// merchant's site, hazard or photo from one that does not exist); a thing the
// caller may see but not change is 403.
type matrixRoute struct {
	route string // "METHOD /api/v1/path/:param" as in the route table
	build func(w *world, s *scope, n int) request
	want  [actors][2]int // [actor]{own, other}
}

func same(s int) [2]int { return [2]int{s, s} }

// onHazard builds the request method on path suffix of a fresh hazard of the
// scope (/api/v1/hazards/{id}suffix) with body.
func onHazard(method, suffix string, body any) func(w *world, s *scope, n int) request {
	return func(w *world, s *scope, n int) request {
		h, _ := w.hazard(s)
		return request{method, fmt.Sprintf("/api/v1/hazards/%d%s", h.ID, suffix), body}
	}
}

func ownOnly(s int) [2]int {
	if s >= 400 {
		return [2]int{s, s}
	}
	return [2]int{s, 404}
}

func matrix() []matrixRoute {
	const p = "/api/v1"
	due := time.Now().Add(48 * time.Hour)
	return append([]matrixRoute{
		{"POST /api/v1/auth/logout", func(w *world, s *scope, n int) request { return request{"POST", p + "/auth/logout", nil} },
			[actors][2]int{same(204), same(204), same(204), same(204), same(401)}},
		{"GET /api/v1/me", func(w *world, s *scope, n int) request { return request{"GET", p + "/me", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}},
		{"GET /api/v1/vocabulary", func(w *world, s *scope, n int) request { return request{"GET", p + "/vocabulary", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(200)}},
		{"GET /api/v1/units", func(w *world, s *scope, n int) request { return request{"GET", p + "/units", nil} },
			[actors][2]int{same(200), same(200), same(200), same(403), same(401)}},
		{"POST /api/v1/units", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/units", map[string]any{"parent_id": s.community.ID, "level": "grid", "name": fmt.Sprintf("New grid %d", n)}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
		{"GET /api/v1/users", func(w *world, s *scope, n int) request { return request{"GET", p + "/users", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"POST /api/v1/users", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/users", api.NewUserInput{Username: fmt.Sprintf("new%d", n), Phone: fmt.Sprintf("1500000%04d", n), DisplayName: "New inspector",
				Role: inspect.RoleInspector, UnitID: s.grid.ID, GridIDs: []int64{s.grid.ID}, Password: "long enough password"}}
		}, [actors][2]int{same(201), {201, 403}, same(403), same(403), same(401)}},
		{"GET /api/v1/sites", func(w *world, s *scope, n int) request { return request{"GET", p + "/sites", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}},
		{"POST /api/v1/sites", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/sites", siteInput(w, s, fmt.Sprintf("New shop %d", n))}
		}, [actors][2]int{same(201), {201, 403}, same(403), same(403), same(401)}},
		{"GET /api/v1/sites/:id", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/sites/%d", p, s.site.ID), nil}
		},
			[actors][2]int{same(200), ownOnly(200), ownOnly(200), ownOnly(200), same(401)}},
		{"PUT /api/v1/sites/:id", func(w *world, s *scope, n int) request {
			return request{"PUT", fmt.Sprintf("%s/sites/%d", p, s.site.ID), siteInput(w, s, s.site.Name)}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/inspections", func(w *world, s *scope, n int) request { return request{"GET", p + "/inspections", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}}, // a merchant's: their self-inspections
		{"POST /api/v1/inspections", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/inspections", api.AssignmentInput{SiteID: s.site.ID, InspectorID: s.inspector.ID, Due: due}}
		}, [actors][2]int{same(201), ownOnly(201), same(403), same(403), same(401)}},
		{"GET /api/v1/inspections/:id", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/inspections/%d", p, w.assigned(s).ID), nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(404), same(401)}},
		{"POST /api/v1/inspections/:id/start", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/inspections/%d/start", p, w.assigned(s).ID), nil}
		}, [actors][2]int{same(403), {403, 404}, ownOnly(200), same(403), same(401)}},
		{"PUT /api/v1/inspections/:id/items/:code", func(w *world, s *scope, n int) request {
			d := w.startedInspection(s)
			return request{"PUT", fmt.Sprintf("%s/inspections/%d/items/%s", p, d.ID, d.Items[0].Code), api.AnswerInput{Answer: inspect.AnswerPass}}
		}, [actors][2]int{same(403), {403, 404}, ownOnly(200), same(404), same(401)}},
		{"POST /api/v1/inspections/:id/submit", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/inspections/%d/submit", p, w.completeInspection(s).ID), nil}
		}, [actors][2]int{same(403), {403, 404}, ownOnly(200), same(404), same(401)}},
		{"POST /api/v1/inspections/:id/return", func(w *world, s *scope, n int) request {
			d := w.completeInspection(s)
			if _, err := w.svc.Inspections.SubmitInspection(w.ctx, s.inspectorP, d.ID); err != nil {
				w.t.Fatal(err)
			}
			return request{"POST", fmt.Sprintf("%s/inspections/%d/return", p, d.ID), map[string]string{"reason": "photo of the extinguisher gauge is blurred"}}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"POST /api/v1/inspections/:id/reassign", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/inspections/%d/reassign", p, w.assigned(s).ID), api.ReassignInput{InspectorID: s.inspector.ID}}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"POST /api/v1/inspections/:id/reschedule", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/inspections/%d/reschedule", p, w.assigned(s).ID), api.RescheduleInput{Due: time.Now().Add(72 * time.Hour)}}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"PUT /api/v1/photos/:uuid", func(w *world, s *scope, n int) request { // to a hazard
			h, _ := w.hazard(s, inspect.ActionNotify)
			return request{"PUT", fmt.Sprintf("%s/photos/%s?hazard_id=%d", p, uuid.New(), h.ID), jpegPhoto(w.t)}
		}, [actors][2]int{same(201), ownOnly(201), ownOnly(201), ownOnly(201), same(401)}},
		{"PUT /api/v1/photos/:uuid (item)", func(w *world, s *scope, n int) request {
			d := w.startedInspection(s)
			return request{"PUT", fmt.Sprintf("%s/photos/%s?inspection_id=%d&item_code=%s", p, uuid.New(), d.ID, d.Items[0].Code), jpegPhoto(w.t)}
		}, [actors][2]int{same(403), {403, 404}, ownOnly(201), same(404), same(401)}},
		{"GET /api/v1/photos/:uuid", func(w *world, s *scope, n int) request {
			_, photo := w.hazard(s)
			return request{"GET", p + "/photos/" + photo, nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), ownOnly(200), same(401)}},
		{"GET /api/v1/photos/:uuid/content", func(w *world, s *scope, n int) request {
			_, photo := w.hazard(s)
			return request{"GET", p + "/photos/" + photo + "/content?variant=thumb", nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), ownOnly(200), same(401)}},
		{"GET /api/v1/hazards", func(w *world, s *scope, n int) request { return request{"GET", p + "/hazards", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}},
		{"GET /api/v1/hazards/:id", onHazard("GET", "", nil), [actors][2]int{same(200), ownOnly(200), ownOnly(200), ownOnly(200), same(401)}},
		{"POST /api/v1/hazards/:id/actions/:action", onHazard("POST", "/actions/notify", inspect.HazardActionInput{Note: "deadline explained"}), [actors][2]int{same(200), ownOnly(200), {403, 404}, {403, 404}, same(401)}},
		{"POST /api/v1/hazards/:id/rating", func(w *world, s *scope, n int) request {
			h, _ := w.hazard(s, inspect.ActionNotify, inspect.ActionSubmitProof, inspect.ActionReinspectFixed)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/rating", p, h.ID), map[string]int{"rating": 5}}
		}, [actors][2]int{same(403), same(403), same(403), ownOnly(200), same(401)}},
		{"POST /api/v1/hazards/:id/reassign", func(w *world, s *scope, n int) request {
			h, _ := w.hazard(s)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/reassign", p, h.ID), api.ReassignInput{InspectorID: s.inspector.ID}}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/merchant/hazards", func(w *world, s *scope, n int) request { return request{"GET", p + "/merchant/hazards", nil} },
			[actors][2]int{same(403), same(403), same(403), same(200), same(401)}},
		{"POST /api/v1/merchant/hazards/:id/proof", func(w *world, s *scope, n int) request {
			h, _ := w.hazard(s, inspect.ActionNotify)
			photo := w.photo(s.merchantP, inspect.PhotoTarget{HazardID: h.ID})
			return request{"POST", fmt.Sprintf("%s/merchant/hazards/%d/proof", p, h.ID), inspect.HazardActionInput{Note: "fixed", PhotoIDs: []string{photo}}}
		}, [actors][2]int{same(403), same(403), ownOnly(200), ownOnly(200), same(401)}},
	}, append(append(reviewMatrix(), modelsMatrix()...), append(deadlineMatrix(), append(screensMatrix(), append(workYearMatrix(), append(agencyMatrix(), timeLimitMatrix()...)...)...)...)...)...)
}

func siteInput(w *world, s *scope, name string) api.SiteInput {
	return api.SiteInput{Name: name, Type: "shop", Address: "1 Test Road", Lat: 30.6, Lng: 104.0, GridID: s.grid.ID,
		Profile: profileJSON(w.t), MerchantIDs: []int64{s.merchant.ID}}
}

// assigned returns a fresh inspection of s's site, assigned to its inspector.
func (w *world) assigned(s *scope) inspect.Inspection {
	w.t.Helper()
	insp, err := w.svc.Inspections.AssignInspection(w.ctx, s.officerP, s.site.ID, s.inspector.ID, time.Now().Add(48*time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	return insp
}

// TestAuthorizationMatrix covers every route × every role (and no login) × the
// caller's own scope and the other scope, each against fresh objects.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	w := setup(t)
	rows := matrix()

	// Every route in the table has a row; every row is a route.
	covered := map[string]bool{"POST /api/v1/auth/login": true} // TestLogin
	for _, r := range rows {
		covered[strings.TrimSuffix(r.route, " (item)")] = true
	}
	var table []string
	for _, r := range w.routes {
		key := r.Method + " " + r.Path
		table = append(table, key)
		if !covered[key] {
			t.Errorf("route %s has no row in the authorization matrix", key)
		}
	}
	for key := range covered {
		if !slices.Contains(table, key) {
			t.Errorf("matrix row %s is not a route", key)
		}
	}

	users := [actors]inspect.User{w.admin, w.own.officer, w.own.inspector, w.own.merchant}
	n := 0
	for _, row := range rows {
		for a := range actors {
			for i, s := range []*scope{w.own, w.other} {
				n++
				req := row.build(w, s, n)
				token := ""
				if a != asAnonymous {
					token = w.login(users[a])
					if strings.Contains(row.route, "logout") {
						token = w.freshLogin(users[a])
					}
				}
				r := w.do(token, req.method, req.path, req.body)
				want := row.want[a][i]
				if r.Status != want {
					t.Errorf("%s as %s on %s scope (%s %s): status %d, want %d: %s",
						row.route, actorNames[a], []string{"own", "other"}[i], req.method, req.path, r.Status, want, r.Body)
				}
			}
		}
	}
	t.Logf("%d requests", n)
}

// TestMerchantListsShowOwnPremisesOnly checks that lists never leak another
// merchant's sites, hazards or photos, and that guessing ids finds nothing.
func TestMerchantListsShowOwnPremisesOnly(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ownHazard, ownPhoto := w.hazard(w.own, inspect.ActionNotify)
	otherHazard, otherPhoto := w.hazard(w.other, inspect.ActionNotify)
	otherProof := w.photo(w.other.merchantP, inspect.PhotoTarget{HazardID: otherHazard.ID})
	m := w.login(w.own.merchant)

	var sites api.List[inspect.Site]
	w.call(m, "GET", "/api/v1/sites", nil, &sites)
	var siteIDs []int64
	for _, site := range sites.Items {
		siteIDs = append(siteIDs, site.ID)
		if !slices.Contains(site.MerchantIDs, w.own.merchant.ID) {
			t.Errorf("merchant %d is shown site %d of merchants %v", w.own.merchant.ID, site.ID, site.MerchantIDs)
		}
	}
	if !slices.Contains(siteIDs, w.own.site.ID) || !slices.Contains(siteIDs, ownHazard.SiteID) || slices.Contains(siteIDs, w.other.site.ID) {
		t.Errorf("merchant's sites %v, want %d and %d but not %d", siteIDs, w.own.site.ID, ownHazard.SiteID, w.other.site.ID)
	}
	var hazards api.List[inspect.HazardDetail]
	w.call(m, "GET", "/api/v1/hazards", nil, &hazards)
	if len(hazards.Items) != 1 || hazards.Items[0].ID != ownHazard.ID {
		t.Errorf("merchant's hazards = %+v, want only hazard %d", hazards.Items, ownHazard.ID)
	}
	// Filters narrow a scope, never widen it.
	w.call(m, "GET", fmt.Sprintf("/api/v1/hazards?site_id=%d", w.other.site.ID), nil, &hazards)
	if len(hazards.Items) != 0 {
		t.Errorf("filtering by another merchant's site listed %+v", hazards.Items)
	}
	var mine api.List[api.MerchantHazard]
	w.call(m, "GET", "/api/v1/merchant/hazards", nil, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != ownHazard.ID || !mine.Items[0].CanSubmitProof {
		t.Errorf("merchant view = %+v, want hazard %d, open for proof", mine.Items, ownHazard.ID)
	}
	// Another merchant's ids answer exactly like ids that do not exist.
	ghost := uuid.NewString()
	for _, probe := range []struct{ path, missing string }{
		{fmt.Sprintf("/api/v1/sites/%d", w.other.site.ID), "/api/v1/sites/999999"},
		{fmt.Sprintf("/api/v1/hazards/%d", otherHazard.ID), "/api/v1/hazards/999999"},
		{"/api/v1/photos/" + otherPhoto, "/api/v1/photos/" + ghost},
		{"/api/v1/photos/" + otherProof, "/api/v1/photos/" + ghost},
		{"/api/v1/photos/" + otherProof + "/content", "/api/v1/photos/" + ghost + "/content"},
	} {
		r := w.do(m, "GET", probe.path, nil)
		e := r.ErrorBody(t)
		if r.Status != 404 || e.Error != inspect.ENOTFOUND {
			t.Errorf("GET %s: %d %+v, want 404", probe.path, r.Status, e)
		}
		g := w.do(m, "GET", probe.missing, nil)
		if g.Status != r.Status || g.ErrorBody(t).Error != e.Error {
			t.Errorf("GET %s answers %d, but a missing id answers %d: the id can be probed", probe.path, r.Status, g.Status)
		}
	}
	if r := w.do(m, "GET", "/api/v1/photos/"+ownPhoto, nil); r.Status != 200 {
		t.Errorf("own evidence photo: status %d, want 200", r.Status)
	}
	var body struct{ Items []json.RawMessage }
	w.call(w.login(w.own.inspector), "GET", "/api/v1/inspections", nil, &body)
	for _, raw := range body.Items {
		var insp inspect.Inspection
		json.Unmarshal(raw, &insp)
		if insp.InspectorID != w.own.inspector.ID {
			t.Errorf("inspector lists inspection %d of inspector %d", insp.ID, insp.InspectorID)
		}
	}
}
