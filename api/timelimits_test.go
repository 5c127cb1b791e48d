package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// timeLimitMatrix is the authorization of signing for a hazard and applying the
// policy to open deadlines (timelimits.go). The hazard is notified: it waits for
// its merchant's signature, not an officer's.
func timeLimitMatrix() []matrixRoute {
	const p = "/api/v1"
	return []matrixRoute{
		{"POST /api/v1/hazards/:id/sign", func(w *world, s *scope, n int) request {
			h, _ := w.hazard(s, inspect.ActionNotify)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/sign", p, h.ID), nil}
		}, [actors][2]int{same(403), {403, 404}, same(403), ownOnly(200), same(401)}},
		{"POST /api/v1/policy/apply", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/policy/apply?district_id=%d", p, w.district.ID), nil}
		}, [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
	}
}

// TestSignAndApplyPolicyOverHTTP: the merchant signs for a notified hazard once
// (a second time is a conflict); an admin's changed policy moves the sign-by of
// an unsigned one only when the admin applies it, and the answer names it.
func TestSignAndApplyPolicyOverHTTP(t *testing.T) {
	t.Parallel()
	w := setup(t)
	merchant, admin := w.login(w.own.merchant), w.login(w.admin)
	signed, _ := w.hazard(w.own, inspect.ActionNotify)
	unsigned, _ := w.hazard(w.own, inspect.ActionNotify)
	if unsigned.SignParty != inspect.SignMerchant || unsigned.SignBy == nil {
		t.Fatalf("a notified hazard waits for %q by %v, want the merchant's signature", unsigned.SignParty, unsigned.SignBy)
	}

	var d inspect.HazardDetail
	if st := w.call(merchant, "POST", fmt.Sprintf("/api/v1/hazards/%d/sign", signed.ID), nil, &d); st != 200 || d.SignBy != nil {
		t.Fatalf("sign: %d, sign by %v; want 200 and nothing left to sign", st, d.SignBy)
	}
	if last := d.Events[len(d.Events)-1]; last.Kind != inspect.EventSigned || last.Actor != w.own.merchant.ID {
		t.Errorf("last event %s by %d, want signed by the merchant", last.Kind, last.Actor)
	}
	if r := w.do(merchant, "POST", fmt.Sprintf("/api/v1/hazards/%d/sign", signed.ID), nil); r.Status != 409 {
		t.Errorf("signing twice: %d, want 409: %s", r.Status, r.Body)
	}

	policy := fmt.Sprintf("/api/v1/policy?district_id=%d", w.district.ID)
	if st := w.call(admin, "PUT", policy, map[string]string{"sign_within": "4h"}, nil); st != 200 {
		t.Fatalf("put policy: %d", st)
	}
	if st := w.call(admin, "GET", fmt.Sprintf("/api/v1/hazards/%d", unsigned.ID), nil, &d); st != 200 || !d.SignBy.Equal(*unsigned.SignBy) {
		t.Fatalf("after the policy change alone: sign by %v, want %v unmoved", d.SignBy, unsigned.SignBy)
	}
	var moves api.List[inspect.DeadlineMove]
	if st := w.call(admin, "POST", fmt.Sprintf("/api/v1/policy/apply?district_id=%d", w.district.ID), nil, &moves); st != 200 {
		t.Fatalf("apply: %d", st)
	}
	var found bool
	for _, m := range moves.Items {
		if m.HazardID == signed.ID {
			t.Errorf("the signed hazard %d moved: %+v", signed.ID, m)
		}
		if m.HazardID == unsigned.ID {
			found = true
			if m.PreviousSignBy == nil || !m.PreviousSignBy.Equal(*unsigned.SignBy) || m.SignBy == nil ||
				!m.SignBy.Equal(unsigned.SignBy.Add(-4*time.Hour)) || m.Deadline != nil {
				t.Errorf("move of hazard %d: %+v, want sign by 4 h earlier and the inspector's deadline kept", unsigned.ID, m)
			}
		}
	}
	if !found {
		t.Errorf("moves %+v do not name hazard %d", moves.Items, unsigned.ID)
	}
	if r := w.do(admin, "POST", "/api/v1/policy/apply", nil); r.Status != 400 {
		t.Errorf("apply without a district: %d, want 400", r.Status)
	}
}
