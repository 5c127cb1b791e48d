package inspect_test

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// scopeFixture is a small org tree:
//
//	district 1
//	├── subdistrict 2 ── community 3 ── grids 4, 5
//	└── subdistrict 6 ── community 7 ── grid 8
//
// with site 100 in grid 4 (linked to merchant 40) and site 200 in grid 8.
type scopeFixture struct {
	admin, inspector4, inspector8, officer3, officer2, merchant40, merchantOther inspect.Principal
	site100, site200                                                             inspect.Site
}

func setupScope(t *testing.T) scopeFixture {
	t.Helper()
	units := districtTree(inspect.Unit{ID: 8, ParentID: 7, Level: inspect.LevelGrid})
	return scopeFixture{
		admin:      inspect.NewPrincipal(inspect.User{ID: 1, Role: inspect.RoleAdmin}, nil, nil),
		inspector4: inspect.NewPrincipal(inspect.User{ID: 10, Role: inspect.RoleInspector, UnitID: 4, GridIDs: []int64{4}}, []int64{1, 2, 3, 4, 5, 6, 7, 8}, nil),
		inspector8: inspect.NewPrincipal(inspect.User{ID: 11, Role: inspect.RoleInspector, UnitID: 8, GridIDs: []int64{8}}, nil, nil),
		officer3:   inspect.NewPrincipal(inspect.User{ID: 20, Role: inspect.RoleSafetyOfficer, UnitID: 3}, inspect.SubtreeIDs(units, 3), nil),
		officer2:   inspect.NewPrincipal(inspect.User{ID: 21, Role: inspect.RoleSafetyOfficer, UnitID: 2}, inspect.SubtreeIDs(units, 2), nil),
		// A merchant passed a subtree gets no unit scope from it.
		merchant40:    inspect.NewPrincipal(inspect.User{ID: 40, Role: inspect.RoleMerchant}, []int64{1, 2, 3, 4}, []int64{100}),
		merchantOther: inspect.NewPrincipal(inspect.User{ID: 41, Role: inspect.RoleMerchant}, nil, []int64{300}),
		site100:       inspect.Site{ID: 100, GridID: 4, MerchantIDs: []int64{40}},
		site200:       inspect.Site{ID: 200, GridID: 8},
	}
}

func TestSiteScopeMatrix(t *testing.T) {
	f := setupScope(t)
	type want struct{ see, edit, assign bool }
	tests := []struct {
		name string
		p    inspect.Principal
		site inspect.Site
		want want
	}{
		{"admin/any site", f.admin, f.site200, want{true, true, true}},
		{"inspector/own grid", f.inspector4, f.site100, want{true, true, false}},
		{"inspector/other grid (subtree argument ignored)", f.inspector4, f.site200, want{false, false, false}},
		{"officer/site below community", f.officer3, f.site100, want{true, true, true}},
		{"officer/site in other subdistrict", f.officer3, f.site200, want{false, false, false}},
		{"subdistrict officer/site two levels down", f.officer2, f.site100, want{true, true, true}},
		{"merchant/linked site", f.merchant40, f.site100, want{true, false, false}},
		{"merchant/unlinked site", f.merchant40, f.site200, want{false, false, false}},
		{"other merchant/site 100", f.merchantOther, f.site100, want{false, false, false}},
		{"unknown role", inspect.NewPrincipal(inspect.User{ID: 99, Role: "guest"}, []int64{4}, []int64{100}), f.site100, want{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := want{tt.p.CanSeeSite(tt.site), tt.p.CanEditSite(tt.site), tt.p.CanAssign(tt.site)}
			if got != tt.want {
				t.Errorf("see/edit/assign = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInspectionScopeMatrix(t *testing.T) {
	f := setupScope(t)
	insp := inspect.Inspection{ID: 1, SiteID: 100, InspectorID: 10}
	tests := []struct {
		name      string
		p         inspect.Principal
		see, act  bool
		canReview bool
	}{
		{"assigned inspector", f.inspector4, true, true, false},
		{"other inspector", f.inspector8, false, false, false},
		{"officer in scope", f.officer3, true, false, true},
		{"admin", f.admin, true, false, true},
		{"merchant of the site", f.merchant40, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.CanSeeInspection(insp, f.site100); got != tt.see {
				t.Errorf("CanSeeInspection = %v, want %v", got, tt.see)
			}
			if got := tt.p.CanActOnInspection(insp); got != tt.act {
				t.Errorf("CanActOnInspection = %v, want %v", got, tt.act)
			}
			if got := tt.p.CanReviewInspection(f.site100); got != tt.canReview {
				t.Errorf("CanReviewInspection = %v, want %v", got, tt.canReview)
			}
		})
	}
}

func TestHazardScopeMatrix(t *testing.T) {
	f := setupScope(t)
	atGrid := inspect.Hazard{ID: 1, SiteID: 100, GridID: 4, Level: inspect.LevelGrid, UnitID: 4, State: inspect.StateNotified}
	// escalated to subdistrict 2: community officer 3 still sees it, no longer manages it
	escalated := inspect.Hazard{ID: 2, SiteID: 100, GridID: 4, Level: inspect.LevelSubdistrict, UnitID: 2, State: inspect.StateEscalated}
	type want struct{ see, manage, notify, proof, reinspect, deadline, rate bool }
	tests := []struct {
		name string
		p    inspect.Principal
		h    inspect.Hazard
		want want
	}{
		{"admin/grid hazard", f.admin, atGrid, want{true, true, true, true, true, false, false}},
		{"inspector of grid", f.inspector4, atGrid, want{true, false, false, true, true, false, false}},
		{"inspector elsewhere", f.inspector8, atGrid, want{false, false, false, false, false, false, false}},
		{"community officer/grid hazard", f.officer3, atGrid, want{true, true, true, false, false, false, false}},
		{"community officer/escalated above", f.officer3, escalated, want{true, false, false, false, false, false, false}},
		{"subdistrict officer/escalated to it", f.officer2, escalated, want{true, true, true, false, false, false, false}},
		{"merchant of site", f.merchant40, atGrid, want{true, false, false, true, false, false, true}},
		{"other merchant", f.merchantOther, atGrid, want{false, false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := want{
				see:       tt.p.CanSeeHazard(tt.h),
				manage:    tt.p.CanManageHazard(tt.h),
				notify:    tt.p.CanPerform(tt.h, inspect.ActionNotify),
				proof:     tt.p.CanPerform(tt.h, inspect.ActionSubmitProof),
				reinspect: tt.p.CanPerform(tt.h, inspect.ActionReinspectFixed),
				deadline:  tt.p.CanPerform(tt.h, inspect.ActionDeadlinePassed),
				rate:      tt.p.CanRate(tt.h),
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if f.admin.CanPerform(atGrid, "explode") {
		t.Error("an unknown action must be refused, even to an admin")
	}
}

func TestEveryActionHasAnActor(t *testing.T) {
	// A hazard action missing from the policy table would be refused to everyone
	// but never fail loudly; catch it here.
	f := setupScope(t)
	h := inspect.Hazard{SiteID: 100, GridID: 4, UnitID: 4}
	for _, s := range []inspect.HazardState{inspect.StateOpen, inspect.StateReturned, inspect.StateNotified, inspect.StateRectificationSubmitted, inspect.StateReinspectionDue, inspect.StateEscalated, inspect.StateUnderDetermination} {
		for _, a := range inspect.Actions(s) {
			if a == inspect.ActionDeadlinePassed {
				continue // system only
			}
			if !f.admin.CanPerform(h, a) {
				t.Errorf("action %s: no principal may take it", a)
			}
		}
	}
}

func TestUserValidate(t *testing.T) {
	valid := inspect.User{Username: "li.wei", Phone: "138 0013 8000", DisplayName: "李伟", Role: inspect.RoleInspector, UnitID: 4, GridIDs: []int64{4, 5}}
	tests := []struct {
		name      string
		edit      func(u *inspect.User)
		wantField string
	}{
		{"valid inspector", func(u *inspect.User) {}, ""},
		{"valid merchant", func(u *inspect.User) { u.Role, u.UnitID, u.GridIDs = inspect.RoleMerchant, 0, nil }, ""},
		{"valid admin without unit", func(u *inspect.User) { u.Role, u.UnitID, u.GridIDs = inspect.RoleAdmin, 0, nil }, ""},
		{"upper-case username", func(u *inspect.User) { u.Username = "LiWei" }, "username"},
		{"short username", func(u *inspect.User) { u.Username = "li" }, "username"},
		{"phone with letters", func(u *inspect.User) { u.Phone = "call me" }, "phone"},
		{"phone too short", func(u *inspect.User) { u.Phone = "1234" }, "phone"},
		{"no display name", func(u *inspect.User) { u.DisplayName = " " }, "display_name"},
		{"unknown role", func(u *inspect.User) { u.Role = "boss" }, "role"},
		{"officer without unit", func(u *inspect.User) { u.Role, u.UnitID, u.GridIDs = inspect.RoleSafetyOfficer, 0, nil }, "unit_id"},
		{"merchant with unit", func(u *inspect.User) { u.Role, u.GridIDs = inspect.RoleMerchant, nil }, "unit_id"},
		{"officer with grids", func(u *inspect.User) { u.Role = inspect.RoleSafetyOfficer }, "grid_ids"},
		{"duplicate grid", func(u *inspect.User) { u.GridIDs = []int64{4, 4} }, "grid_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid
			u.GridIDs = append([]int64(nil), valid.GridIDs...)
			tt.edit(&u)
			assertField(t, u.Validate(), tt.wantField)
		})
	}
}

func TestCheckAssignee(t *testing.T) {
	site := inspect.Site{ID: 100, GridID: 4}
	tests := []struct {
		name    string
		user    inspect.User
		wantErr bool
	}{
		{"inspector of the grid", inspect.User{ID: 10, Role: inspect.RoleInspector, GridIDs: []int64{5, 4}}, false},
		{"inspector of another grid", inspect.User{ID: 11, Role: inspect.RoleInspector, GridIDs: []int64{8}}, true},
		{"officer", inspect.User{ID: 20, Role: inspect.RoleSafetyOfficer, UnitID: 4}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inspect.CheckAssignee(tt.user, site)
			if tt.wantErr {
				assertField(t, err, "inspector_id")
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}
