package inspect

import "slices"

// Authorization: every "may principal P do X to Y" of the product is a function
// or method in this file, and the adapters ask it once per request. Storage asks
// on the rows it read (a thing P may not see is not_found, a thing P may see but
// not change is forbidden); the API's route table takes its role lists from here.

// Operator is the principal of a command run by the operator at the machine
// (reports, exports): an admin, who may read everything.
func Operator() Principal {
	return Principal{User: User{Role: RoleAdmin, Username: "operator"}}
}

// AllRoles, StaffRoles, ManagerRoles and AdminRoles are the role sets of the route
// table: anyone logged in but an agency's staff, who reach only the routes that
// name RoleAgency (AgencyRoles); the staff (admins, safety officers and
// inspectors); the safety office (admins and safety officers); admins.
func AllRoles() []Role {
	return []Role{RoleAdmin, RoleSafetyOfficer, RoleInspector, RoleMerchant}
}

// StaffRoles: see AllRoles.
func StaffRoles() []Role { return []Role{RoleAdmin, RoleSafetyOfficer, RoleInspector} }

// ManagerRoles: see AllRoles.
func ManagerRoles() []Role { return []Role{RoleAdmin, RoleSafetyOfficer} }

// AdminRoles: see AllRoles.
func AdminRoles() []Role { return []Role{RoleAdmin} }

// MerchantRoles is the role set of the merchant's own routes.
func MerchantRoles() []Role { return []Role{RoleMerchant} }

// isManager reports whether p is of the safety office (admin or safety officer).
func isManager(p Principal) bool { return slices.Contains(ManagerRoles(), p.User.Role) }

// CanSeeOrgTree reports whether p sees org units: the staff (not merchants, not
// agencies).
func CanSeeOrgTree(p Principal) bool { return isStaff(p) }

// isStaff reports whether p is SafeGrid's own staff: admin, safety officer or
// inspector.
func isStaff(p Principal) bool { return slices.Contains(StaffRoles(), p.User.Role) }

// CanCreateUnit reports whether p may add an org unit: admins only.
func CanCreateUnit(p Principal) bool { return p.IsAdmin() }

// CheckCreateUser says whether p may create user u: admins create anyone; a safety
// officer creates inspectors and merchants, inspectors only in units and grids of
// their subtree. The error is EFORBIDDEN and says why.
func CheckCreateUser(p Principal, u User) error {
	switch {
	case p.IsAdmin():
		return nil
	case p.User.Role == RoleSafetyOfficer && (u.Role == RoleMerchant || u.Role == RoleInspector):
		if u.Role == RoleInspector && !p.InScope(u.UnitID) {
			return Errorf(EFORBIDDEN, "unit %d is outside your area", u.UnitID)
		}
		for _, g := range u.GridIDs {
			if !p.InScope(g) {
				return Errorf(EFORBIDDEN, "grid %d is outside your area", g)
			}
		}
		return nil
	}
	return Errorf(EFORBIDDEN, "you may not create a %s", u.Role)
}

// UserScope is which users a principal may list.
type UserScope int

// The user scopes.
const (
	UsersNone   UserScope = iota // merchants and inspectors list no users
	UsersAll                     // admins
	UsersOfArea                  // a safety officer: the people of their area, and every officer and admin
)

// UsersVisibleTo returns which users p may list. A safety officer sees every
// safety officer and admin too: the colleagues they may call onto a
// major-hazard determination panel.
func UsersVisibleTo(p Principal) UserScope {
	switch p.User.Role {
	case RoleAdmin:
		return UsersAll
	case RoleSafetyOfficer:
		return UsersOfArea
	}
	return UsersNone
}

// SeesOwnSitesOnly reports whether p's lists of sites and hazards are those of
// p's linked premises (merchants) rather than of p's unit scope.
func SeesOwnSitesOnly(p Principal) bool { return p.User.Role == RoleMerchant }

// CanCreateSite reports whether p's role creates sites: admins and safety
// officers (where is CanManageSite's question).
func CanCreateSite(p Principal) bool { return isManager(p) }

// CanManageSite reports whether p may create or edit site s: admins and safety
// officers of its area. Inspectors correct a profile through their officer.
func CanManageSite(p Principal, s Site) bool {
	return p.User.Role != RoleInspector && p.CanEditSite(s)
}

// CanListInspections reports whether p lists inspections at all: everyone but an
// agency's staff, a merchant only their own self-inspections (OwnInspectionsOnly);
// of the others' inspections merchants see the hazards, not the inspections.
func CanListInspections(p Principal) bool { return p.User.Role != RoleAgency }

// OwnInspectionsOnly reports whether p's list of inspections is only those
// assigned to p: inspectors, and merchants (their self-inspections).
func OwnInspectionsOnly(p Principal) bool {
	return p.User.Role == RoleInspector || p.User.Role == RoleMerchant
}

// CanReadKPIs reports whether p's role reads KPIs: the safety office. Which units
// is p.InScope's question.
func CanReadKPIs(p Principal) bool { return isManager(p) }

// CanReadPolicy reports whether p may read a district's time-limit policy: every
// staff member (the deadlines it sets are on every hazard anyway).
func CanReadPolicy(p Principal) bool { return isStaff(p) }

// CanSetPolicy reports whether p may change a district's time-limit policy: admins.
func CanSetPolicy(p Principal) bool { return p.IsAdmin() }

// CanPromoteModel reports whether p may make a candidate detector model the active
// one, or undo that: admins.
func CanPromoteModel(p Principal) bool { return p.IsAdmin() }

// CanAcceptThresholds reports whether p may accept proposed score levels of an AI
// check, which change what the detector flags for everyone: admins.
func CanAcceptThresholds(p Principal) bool { return p.IsAdmin() }

// CanSeeSite reports whether the principal may see the site: admins all; inspectors
// and safety officers those in a grid in their scope; merchants their linked sites.
func (p Principal) CanSeeSite(s Site) bool { return p.seesPremises(s.GridID, s.ID) }

// seesPremises reports whether the principal may see what belongs to site siteID
// in grid gridID: admins all; inspectors and safety officers a grid in their
// scope; merchants their linked sites.
func (p Principal) seesPremises(gridID, siteID int64) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector, RoleSafetyOfficer:
		return p.InScope(gridID)
	case RoleMerchant:
		return p.ownsSite(siteID)
	}
	return false
}

// manages reports whether the principal manages unit: admins everywhere, safety
// officers whose subtree holds it.
func (p Principal) manages(unit int64) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleSafetyOfficer:
		return p.InScope(unit)
	}
	return false
}

// CanEditSite reports whether the principal may create or change the site (its
// address, location, profile or linked merchants): admins everywhere, safety
// officers and inspectors in their scope. Inspectors may, because they are the ones
// standing in the premises when the profile (floors, occupants) turns out wrong;
// merchants may not change the record they are inspected against.
func (p Principal) CanEditSite(s Site) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector, RoleSafetyOfficer:
		return p.InScope(s.GridID)
	}
	return false
}

// CanAssign reports whether the principal may assign (or reassign) an inspection of
// the site: admins, and safety officers whose subtree holds the site's grid. Whether
// the chosen inspector may take it is CheckAssignee's question.
func (p Principal) CanAssign(s Site) bool { return p.manages(s.GridID) }

// CanPlan reports whether p may make and run inspection plans for unit: admins,
// and safety officers whose subtree holds it.
func (p Principal) CanPlan(unit int64) bool { return p.manages(unit) }

// CanSeeInspection reports whether the principal may see the inspection of site s:
// the assigned inspector, admins and safety officers with the site in scope.
// Merchants see the hazards that come out of it, not the inspection, except their
// own self-inspections; inspectors see the self-inspections of their grids too.
func (p Principal) CanSeeInspection(insp Inspection, s Site) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector:
		// their own, and the self-inspections of the sites of their grids
		return insp.InspectorID == p.User.ID || insp.SelfCheck && p.InScope(s.GridID)
	case RoleSafetyOfficer:
		return p.InScope(s.GridID)
	case RoleMerchant:
		return insp.SelfCheck && insp.InspectorID == p.User.ID && p.ownsSite(s.ID)
	}
	return false
}

// CanActOnInspection reports whether the principal may start the inspection, answer
// its items, attach photos and submit it: only the inspector it is assigned to,
// or for a self-inspection the merchant who began it (while still linked to the
// site). Nobody else fills in an inspector's findings, admins included.
func (p Principal) CanActOnInspection(insp Inspection) bool {
	if insp.InspectorID == 0 || insp.InspectorID != p.User.ID {
		return false
	}
	if insp.SelfCheck {
		return p.User.Role == RoleMerchant && p.ownsSite(insp.SiteID)
	}
	return p.User.Role == RoleInspector
}

// CanReviewInspection reports whether the principal may return a submitted
// inspection of site s for correction: admins and safety officers with the site in
// scope.
func (p Principal) CanReviewInspection(s Site) bool { return p.CanAssign(s) }

// CanSeeHazard reports whether the principal may see the hazard: admins all;
// inspectors and safety officers when the site's grid is in scope (an officer keeps
// seeing a hazard of their area after it escalated above them); merchants the
// hazards of their linked sites.
// Agencies see the hazards shared with them (agency.go).
func (p Principal) CanSeeHazard(h Hazard) bool {
	return p.seesPremises(h.GridID, h.SiteID) || p.sharesHazard(h)
}

// CanManageHazard reports whether the principal carries responsibility for the
// hazard now: admins, and safety officers whose subtree holds the responsible unit
// (h.UnitID). After an escalation to the community, the grid's officer still sees the
// hazard but only the community (or above) manages it.
func (p Principal) CanManageHazard(h Hazard) bool { return p.manages(h.UnitID) }

// actor kinds in the hazard action table.
type actorKind int

const (
	actorSystem    actorKind = iota // the scheduler only (actor 0); no principal
	actorInspector                  // an inspector of the site's grid
	actorManager                    // a safety officer responsible for the hazard
	actorMerchant                   // a merchant linked to the site
)

// hazardActors is the policy table: which kinds of principal may take each action
// on a hazard. Admins may take every action that is not reserved to the system.
var hazardActors = map[Action][]actorKind{
	ActionNotify:              {actorManager},
	ActionSubmitProof:         {actorMerchant, actorInspector}, // an inspector may upload for a merchant without a smartphone
	ActionReinspectFixed:      {actorInspector},
	ActionReinspectPresent:    {actorInspector},
	ActionDeadlinePassed:      {actorSystem},
	ActionEscalate:            {actorSystem, actorManager},
	ActionFixOnSpot:           {actorInspector},
	ActionReturnForCorrection: {actorManager},
	ActionResubmit:            {actorInspector},
	ActionWithdraw:            {actorManager},
	ActionOpenDetermination:   {actorManager},
	ActionDetermineMajor:      {actorManager},
	ActionDetermineGeneral:    {actorManager},
}

// CanPerform reports whether the principal may take action a on hazard h, from the
// policy table above: inspectors act on hazards in their grids, safety officers on
// hazards they are responsible for, merchants submit proof for their sites, admins
// everything except system-only actions (deadline_passed). Whether the action is
// legal in h's current state is Transition's question (ECONFLICT), not this one's.
func (p Principal) CanPerform(h Hazard, a Action) bool {
	kinds, ok := hazardActors[a]
	if !ok {
		return false
	}
	for _, k := range kinds {
		switch k {
		case actorSystem:
			// no principal is the system
		case actorInspector:
			if p.User.Role == RoleInspector && p.InScope(h.GridID) {
				return true
			}
		case actorManager:
			if p.User.Role == RoleSafetyOfficer && p.InScope(h.UnitID) {
				return true
			}
		case actorMerchant:
			if p.ownsSite(h.SiteID) {
				return true
			}
		}
	}
	return p.IsAdmin() && !slices.Equal(kinds, []actorKind{actorSystem})
}

// CanRate reports whether the principal may rate the handling of hazard h: only a
// merchant linked to its site. Whether h is closed and not yet rated is Rate's
// question.
func (p Principal) CanRate(h Hazard) bool { return p.ownsSite(h.SiteID) }

// CanRequestVisit reports whether p may ask for a visit to site s: its merchants.
func (p Principal) CanRequestVisit(s Site) bool { return p.ownsSite(s.ID) }

// CanReview reports whether the principal's role reviews AI flags at all; which
// flags is decided by the site's scope.
func (p Principal) CanReview() bool {
	return p.User.Role == RoleSafetyOfficer || p.User.Role == RoleAdmin
}

// CanSitOnPanel reports whether user u may be a reviewer of a determination
// panel: safety officers and admins.
func CanSitOnPanel(u User) bool { return u.Role == RoleSafetyOfficer || u.Role == RoleAdmin }
