package inspect

import (
	"regexp"
	"slices"
	"strings"
	"time"
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
	// RoleAgency is a staff member of an agency (gas company, power company,
	// police station, ...), who sees only the hazards shared with it (agency.go).
	RoleAgency Role = "agency"
)

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool {
	switch r {
	case RoleInspector, RoleSafetyOfficer, RoleMerchant, RoleAdmin, RoleAgency:
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
	GridIDs []int64 `json:"grid_ids,omitempty"`
	// AgencyID is the agency of an agency's staff member; 0 for other roles.
	AgencyID  int64     `json:"agency_id,omitempty"`
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
	if err := checkText("display_name", u.DisplayName, 64); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return FieldErrorf("role", "must be one of inspector, safety_officer, merchant, admin, agency (got %q)", u.Role)
	}
	switch {
	case u.Role == RoleAgency && u.AgencyID <= 0:
		return FieldErrorf("agency_id", "an agency's staff member needs their agency")
	case u.Role == RoleAgency && u.UnitID != 0:
		return FieldErrorf("unit_id", "an agency's staff member has no home unit; their agency has its area")
	case u.Role != RoleAgency && u.AgencyID != 0:
		return FieldErrorf("agency_id", "only an agency's staff member has an agency")
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
	return checkIDs("grid_ids", u.GridIDs, "unit", "grid")
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
	// agency is what an agency's staff member sees (NewAgencyPrincipal); nil for
	// other roles. units and sites stay empty for them, so that every list and
	// predicate of the other roles shows them nothing.
	agency *agencyScope
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

// Page sizes of the user list.
const (
	DefaultUserPage = 500
	MaxUserPage     = 1000
)

// UserFilter selects users for a list: by role (zero: every role), and one page
// of them by id, those after AfterID, Limit at most (0 is DefaultUserPage).
// Storage applies the caller's scope (UsersVisibleTo) on top.
type UserFilter struct {
	Role    Role
	AfterID int64
	Limit   int
}

// Normalize checks f and fills in the default page size.
func (f *UserFilter) Normalize() error {
	if f.Role != "" && !f.Role.Valid() {
		return FieldErrorf("role", "unknown role %q", f.Role)
	}
	if f.AfterID < 0 {
		return FieldErrorf("after_id", "must be a positive id")
	}
	if err := pageLimit(&f.Limit, DefaultUserPage, MaxUserPage); err != nil {
		return err
	}
	return nil
}
