package inspect

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user is to SafeGrid. It decides which actions a user may take; the
// user's scope (units or sites) decides on what.
type Role string

// The four roles.
const (
	// RoleInspector walks one or more grids, runs checklists and re-inspections.
	RoleInspector Role = "inspector"
	// RoleSafetyOfficer works in a safety office and acts on its unit's subtree:
	// assigns inspections, reviews findings, manages hazards.
	RoleSafetyOfficer Role = "safety_officer"
	// RoleMerchant is a merchant or landlord, who sees only the premises linked to
	// them.
	RoleMerchant Role = "merchant"
	// RoleAdmin manages units, users, sites, rule packs and models everywhere.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	switch r {
	case RoleInspector, RoleSafetyOfficer, RoleMerchant, RoleAdmin:
		return true
	}
	return false
}

// User is a person who logs in.
type User struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	Phone       string `json:"phone"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	// UnitID is the user's home unit: the root of a safety officer's scope, the
	// grid or community an inspector belongs to. 0 for merchants and may be 0 for
	// admins.
	UnitID int64 `json:"unit_id,omitempty"`
	// GridIDs are the grids an inspector works in; empty for other roles.
	GridIDs   []int64   `json:"grid_ids,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)
	// phonePattern accepts an optional + and 5 to 20 digits after spaces and dashes
	// are removed: mainland mobiles (13800138000), landlines and E.164 numbers.
	phonePattern = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
)

// NormalizePhone removes spaces and dashes, so that "138 0013 8000" and
// "138-0013-8000" are stored, compared and texted as the same number.
func NormalizePhone(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
}

// Validate checks u's fields. The error is an EINVALID *Error naming the field.
func (u User) Validate() error {
	if !usernamePattern.MatchString(u.Username) {
		return FieldErrorf("username", "must be 3 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if !phonePattern.MatchString(NormalizePhone(u.Phone)) {
		return FieldErrorf("phone", "must be a phone number of 5 to 20 digits, optionally starting with +")
	}
	name := strings.TrimSpace(u.DisplayName)
	if name == "" {
		return FieldErrorf("display_name", "is required")
	}
	if utf8.RuneCountInString(name) > 64 {
		return FieldErrorf("display_name", "is longer than 64 characters")
	}
	if !u.Role.Valid() {
		return FieldErrorf("role", "must be one of inspector, safety_officer, merchant, admin (got %q)", u.Role)
	}
	switch u.Role {
	case RoleInspector, RoleSafetyOfficer:
		if u.UnitID <= 0 {
			return FieldErrorf("unit_id", "a %s needs a home unit", u.Role)
		}
	case RoleMerchant:
		if u.UnitID != 0 {
			return FieldErrorf("unit_id", "a merchant has no home unit; link them to sites instead")
		}
	}
	if u.Role != RoleInspector && len(u.GridIDs) > 0 {
		return FieldErrorf("grid_ids", "only inspectors have grids")
	}
	for i, g := range u.GridIDs {
		if g <= 0 {
			return FieldErrorf("grid_ids", "entry %d is not a unit id", i)
		}
		if slices.Contains(u.GridIDs[:i], g) {
			return FieldErrorf("grid_ids", "grid %d is listed twice", g)
		}
	}
	return nil
}

// Principal is who is calling: the user, with their scope resolved. Build it with
// NewPrincipal; the Can* methods decide access as pure functions of the principal
// and the thing acted on, so the API can answer 403/404 before touching anything.
type Principal struct {
	User User
	// units are the unit IDs in scope: an inspector's grids, or a safety officer's
	// home unit and everything below it. Empty for merchants and admins.
	units map[int64]bool
	// sites are the site IDs linked to a merchant. Empty for other roles.
	sites map[int64]bool
}

// NewPrincipal returns the principal for u. subtree is the home unit and every unit
// below it (used for safety officers; storage resolves it with a recursive query, or
// SubtreeIDs in memory); merchantSites are the sites linked to a merchant. Arguments
// that do not apply to u's role are ignored: an inspector's scope is u.GridIDs, an
// admin's is everything.
func NewPrincipal(u User, subtree []int64, merchantSites []int64) Principal {
	p := Principal{User: u, units: map[int64]bool{}, sites: map[int64]bool{}}
	switch u.Role {
	case RoleInspector:
		for _, id := range u.GridIDs {
			p.units[id] = true
		}
	case RoleSafetyOfficer:
		for _, id := range subtree {
			p.units[id] = true
		}
	case RoleMerchant:
		for _, id := range merchantSites {
			p.sites[id] = true
		}
	}
	return p
}

// IsAdmin reports whether the principal is an admin, who may act everywhere.
func (p Principal) IsAdmin() bool { return p.User.Role == RoleAdmin }

// InScope reports whether unit is in the principal's unit scope: true for admins,
// for an inspector's grids and for a safety officer's subtree.
func (p Principal) InScope(unitID int64) bool {
	return p.IsAdmin() || (unitID != 0 && p.units[unitID])
}

// ScopeUnitIDs returns the unit IDs in scope, sorted, for filtering lists in SQL
// (WHERE grid_id = ANY($1)). all is true for admins, whose lists are not filtered.
func (p Principal) ScopeUnitIDs() (ids []int64, all bool) {
	if p.IsAdmin() {
		return nil, true
	}
	for id := range p.units {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, false
}

// SiteIDs returns a merchant's linked site IDs, sorted, for filtering their lists.
func (p Principal) SiteIDs() []int64 {
	var ids []int64
	for id := range p.sites {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ownsSite reports whether the principal is a merchant linked to the site.
func (p Principal) ownsSite(siteID int64) bool {
	return p.User.Role == RoleMerchant && siteID != 0 && p.sites[siteID]
}

// CanSeeSite reports whether the principal may see the site: admins all; inspectors
// and safety officers those in a grid in their scope; merchants their linked sites.
func (p Principal) CanSeeSite(s Site) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector, RoleSafetyOfficer:
		return p.InScope(s.GridID)
	case RoleMerchant:
		return p.ownsSite(s.ID)
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
func (p Principal) CanAssign(s Site) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleSafetyOfficer:
		return p.InScope(s.GridID)
	}
	return false
}

// CanSeeInspection reports whether the principal may see the inspection of site s:
// the assigned inspector, admins and safety officers with the site in scope.
// Merchants see the hazards that come out of it, not the inspection.
func (p Principal) CanSeeInspection(insp Inspection, s Site) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector:
		return insp.InspectorID == p.User.ID
	case RoleSafetyOfficer:
		return p.InScope(s.GridID)
	}
	return false
}

// CanActOnInspection reports whether the principal may start the inspection, answer
// its items, attach photos and submit it: only the inspector it is assigned to.
// Nobody else fills in an inspector's findings, admins included.
func (p Principal) CanActOnInspection(insp Inspection) bool {
	return p.User.Role == RoleInspector && insp.InspectorID != 0 && insp.InspectorID == p.User.ID
}

// CanReviewInspection reports whether the principal may return a submitted
// inspection of site s for correction: admins and safety officers with the site in
// scope.
func (p Principal) CanReviewInspection(s Site) bool { return p.CanAssign(s) }

// CanSeeHazard reports whether the principal may see the hazard: admins all;
// inspectors and safety officers when the site's grid is in scope (an officer keeps
// seeing a hazard of their area after it escalated above them); merchants the
// hazards of their linked sites.
func (p Principal) CanSeeHazard(h Hazard) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleInspector, RoleSafetyOfficer:
		return p.InScope(h.GridID)
	case RoleMerchant:
		return p.ownsSite(h.SiteID)
	}
	return false
}

// CanManageHazard reports whether the principal carries responsibility for the
// hazard now: admins, and safety officers whose subtree holds the responsible unit
// (h.UnitID). After an escalation to the community, the grid's officer still sees the
// hazard but only the community (or above) manages it.
func (p Principal) CanManageHazard(h Hazard) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleSafetyOfficer:
		return p.InScope(h.UnitID)
	}
	return false
}

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

// CheckAssignee checks that the user can be given an inspection of site s: an
// inspector whose grids include the site's grid. The error names the field
// inspector_id.
func CheckAssignee(assignee User, s Site) error {
	if assignee.Role != RoleInspector {
		return FieldErrorf("inspector_id", "user %d is not an inspector", assignee.ID)
	}
	if !slices.Contains(assignee.GridIDs, s.GridID) {
		return FieldErrorf("inspector_id", "inspector %d does not work in grid %d of site %d", assignee.ID, s.GridID, s.ID)
	}
	return nil
}
