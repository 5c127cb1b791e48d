package inspect_test

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// agencyWorld is a gas company and a power company over the grids 4 and 5 of
// districtTree, and hazards in and out of their fields and area.
type agencyWorld struct {
	gas, power            inspect.Principal
	gasHazard, elecHazard inspect.Hazard
	gasElsewhere          inspect.Hazard
}

func newAgencyWorld() agencyWorld {
	gasCo := inspect.Agency{ID: 10, Name: "武侯燃气", Field: "gas", UnitID: 1}
	powerCo := inspect.Agency{ID: 11, Name: "武侯供电", Field: "electrical", UnitID: 1}
	grids := []int64{4, 5}
	return agencyWorld{
		gas: inspect.NewAgencyPrincipal(inspect.User{ID: 100, Role: inspect.RoleAgency, AgencyID: 10}, gasCo, grids, []string{"GAS-001", "GAS-003"}),
		power: inspect.NewAgencyPrincipal(inspect.User{ID: 101, Role: inspect.RoleAgency, AgencyID: 11}, powerCo, grids,
			[]string{"SHOP-003", "RENT-011"}),
		gasHazard:    inspect.Hazard{ID: 1, SiteID: 50, GridID: 4, UnitID: 4, RuleCode: "GAS-003", State: inspect.StateOpen},
		elecHazard:   inspect.Hazard{ID: 2, SiteID: 50, GridID: 4, UnitID: 4, RuleCode: "SHOP-003", State: inspect.StateOpen},
		gasElsewhere: inspect.Hazard{ID: 3, SiteID: 60, GridID: 9, UnitID: 9, RuleCode: "GAS-003", State: inspect.StateOpen},
	}
}

func TestAgencySeesOnlyHazardsOfItsFieldAndArea(t *testing.T) {
	w := newAgencyWorld()
	for _, c := range []struct {
		name string
		p    inspect.Principal
		h    inspect.Hazard
		want bool
	}{
		{"gas company, gas hazard of its area", w.gas, w.gasHazard, true},
		{"gas company, electrical hazard", w.gas, w.elecHazard, false},
		{"gas company, gas hazard outside its area", w.gas, w.gasElsewhere, false},
		{"power company, gas hazard", w.power, w.gasHazard, false},
		{"power company, electrical hazard", w.power, w.elecHazard, true},
	} {
		if got := c.p.CanSeeHazard(c.h); got != c.want {
			t.Errorf("%s: CanSeeHazard = %v, want %v", c.name, got, c.want)
		}
		if got := c.p.CanActForAgency(c.h); got != c.want {
			t.Errorf("%s: CanActForAgency = %v, want %v", c.name, got, c.want)
		}
		if got := c.p.CanComment(c.h); got != c.want {
			t.Errorf("%s: CanComment = %v, want %v", c.name, got, c.want)
		}
	}
	// An agency's staff see no premises, units or scope of the staff's.
	if w.gas.CanSeeSite(inspect.Site{ID: 50, GridID: 4}) || w.gas.InScope(4) || inspect.CanSeeOrgTree(w.gas) ||
		inspect.CanListInspections(w.gas) || inspect.CanReadPolicy(w.gas) || inspect.CanReadKPIs(w.gas) {
		t.Error("the gas company's user sees premises, units, inspections, policy or KPIs")
	}
	if ids, all := w.gas.ScopeUnitIDs(); all || len(ids) != 0 {
		t.Errorf("the gas company's unit scope = %v, %v; want none", ids, all)
	}
	// A principal built for another agency than the user's sees nothing.
	wrong := inspect.NewAgencyPrincipal(inspect.User{ID: 100, Role: inspect.RoleAgency, AgencyID: 99},
		inspect.Agency{ID: 10, Field: "gas", UnitID: 1}, []int64{4}, []string{"GAS-003"})
	if wrong.CanSeeHazard(w.gasHazard) {
		t.Error("a principal of another agency sees the gas hazard")
	}
}

// TestAgencyTakesNoWorkflowAction: the agency records what it did, but never
// notifies, re-inspects, escalates or closes a hazard, even one shared with it.
func TestAgencyTakesNoWorkflowAction(t *testing.T) {
	w := newAgencyWorld()
	for _, a := range []inspect.Action{inspect.ActionNotify, inspect.ActionSubmitProof, inspect.ActionReinspectFixed,
		inspect.ActionReinspectPresent, inspect.ActionDeadlinePassed, inspect.ActionEscalate, inspect.ActionFixOnSpot,
		inspect.ActionReturnForCorrection, inspect.ActionResubmit, inspect.ActionWithdraw, inspect.ActionOpenDetermination,
		inspect.ActionDetermineMajor, inspect.ActionDetermineGeneral} {
		if w.gas.CanPerform(w.gasHazard, a) {
			t.Errorf("the gas company may %s its shared hazard", a)
		}
	}
	if w.gas.CanManageHazard(w.gasHazard) || w.gas.CanRate(w.gasHazard) || w.gas.CanReview() ||
		w.gas.CanAssign(inspect.Site{ID: 50, GridID: 4}) || w.gas.CanPlan(1) {
		t.Error("the gas company manages, rates, reviews, assigns or plans")
	}
}

func TestNewAgencyAction(t *testing.T) {
	w := newAgencyWorld()
	gasActions := []string{"supply_cut_off", "valve_fitted"}
	got, err := inspect.NewAgencyAction(w.gas, w.gasHazard, "supply_cut_off", "  已关闭表前阀  ", gasActions)
	assertField(t, err, "")
	if want := (inspect.AgencyActionPayload{Agency: 10, AgencyName: "武侯燃气", Action: "supply_cut_off", Note: "已关闭表前阀"}); got != want {
		t.Errorf("payload = %+v, want %+v", got, want)
	}
	_, err = inspect.NewAgencyAction(w.gas, w.gasHazard, "case_opened", "", gasActions)
	assertField(t, err, "action")
	_, err = inspect.NewAgencyAction(w.power, w.gasHazard, "supply_cut_off", "", gasActions)
	assertCode(t, err, inspect.EFORBIDDEN)
	officer := inspect.NewPrincipal(inspect.User{ID: 5, Role: inspect.RoleSafetyOfficer, UnitID: 1}, []int64{1, 2, 3, 4, 5}, nil)
	_, err = inspect.NewAgencyAction(officer, w.gasHazard, "supply_cut_off", "", gasActions)
	assertCode(t, err, inspect.EFORBIDDEN)

	c, err := inspect.NewComment(w.gas, w.gasHazard, "明天上门")
	assertField(t, err, "")
	if c.Agency != 10 {
		t.Errorf("comment agency = %d, want 10", c.Agency)
	}
	if c, err := inspect.NewComment(officer, w.gasHazard, "请燃气公司配合"); err != nil || c.Agency != 0 {
		t.Errorf("officer's comment = %+v, %v", c, err)
	}
	_, err = inspect.NewComment(w.gas, w.gasHazard, "  ")
	assertField(t, err, "note")
	merchant := inspect.NewPrincipal(inspect.User{ID: 7, Role: inspect.RoleMerchant}, nil, []int64{50})
	_, err = inspect.NewComment(merchant, w.gasHazard, "我已整改")
	assertCode(t, err, inspect.EFORBIDDEN)
}

func TestAgencyUserValidation(t *testing.T) {
	base := inspect.User{Username: "gas.li", Phone: "13800138000", DisplayName: "李工"}
	for _, c := range []struct {
		name      string
		edit      func(*inspect.User)
		wantField string
	}{
		{"agency staff", func(u *inspect.User) { u.Role, u.AgencyID = inspect.RoleAgency, 3 }, ""},
		{"agency staff without agency", func(u *inspect.User) { u.Role = inspect.RoleAgency }, "agency_id"},
		{"agency staff with a unit", func(u *inspect.User) { u.Role, u.AgencyID, u.UnitID = inspect.RoleAgency, 3, 1 }, "unit_id"},
		{"inspector with an agency", func(u *inspect.User) {
			u.Role, u.UnitID, u.AgencyID = inspect.RoleInspector, 4, 3
		}, "agency_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := base
			c.edit(&u)
			assertField(t, u.Validate(), c.wantField)
		})
	}
	w := newAgencyWorld()
	if !w.gas.CanSeeAgency(inspect.Agency{ID: 10}) || w.gas.CanSeeAgency(inspect.Agency{ID: 11}) {
		t.Error("the gas company's user should see its own agency and not the power company")
	}
}
