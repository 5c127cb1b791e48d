package api_test

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// TestOfficerListsAreaAndPanelColleagues: a safety officer's user list holds the
// people of their area and every safety officer and admin (possible determination
// panelists), but not the inspectors and merchants of another area.
func TestOfficerListsAreaAndPanelColleagues(t *testing.T) {
	t.Parallel()
	w := setup(t)
	var list struct {
		Items []inspect.User `json:"items"`
	}
	if st := w.call(w.login(w.own.officer), "GET", "/api/v1/users", nil, &list); st != 200 {
		t.Fatalf("GET /users: %d", st)
	}
	listed := map[int64]bool{}
	for _, u := range list.Items {
		listed[u.ID] = true
	}
	for _, want := range []inspect.User{w.own.inspector, w.own.merchant, w.other.officer, w.admin} {
		if !listed[want.ID] {
			t.Errorf("%s (%s) is missing from the officer's list", want.Username, want.Role)
		}
	}
	for _, hidden := range []inspect.User{w.other.inspector, w.other.merchant} {
		if listed[hidden.ID] {
			t.Errorf("%s of the other area is in the officer's list", hidden.Username)
		}
	}
}
