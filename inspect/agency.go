package inspect

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Agencies at the table (多方协作): the police station, the power company, the gas
// company, the market regulation office. An agency works in one field (gas,
// electrical, police, market; the fields and which rules belong to each are data
// beside the rules, checklists/rules/fields.yaml) over the area of one org unit.
// A hazard found under a rule of the agency's field at a site of that area is
// shared with it: its staff (RoleAgency) see the hazard, comment on it and record
// what the agency did (an agency_action event), and nothing else of SafeGrid —
// no other hazard, site, inspection or merchant.
//
// Sharing is decided when the agency's staff ask (Principal.sharesHazard, and the
// same condition in storage's list query: grid in the area and rule in the field),
// not stored per hazard when it is created: so a hazard recorded before the
// agency existed, or before its rule joined the field, is shared all the same.

// Agency is one agency of a district's platform.
type Agency struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Field is the agency's field of work: a field name of fields.yaml.
	Field string `json:"field"`
	// UnitID is the org unit whose area the agency serves (a district, or a
	// subdistrict for a police station): its hazards of the field are shared.
	UnitID int64 `json:"unit_id"`
}

// Validate checks a's own fields; whether Field is a known field and UnitID a
// unit is storage's question (they are data it holds).
func (a Agency) Validate() error {
	if err := checkText("name", a.Name, maxUnitName); err != nil {
		return err
	}
	if strings.TrimSpace(a.Field) == "" {
		return FieldErrorf("field", "is required")
	}
	if a.UnitID <= 0 {
		return FieldErrorf("unit_id", "is required: the org unit whose area the agency serves")
	}
	return nil
}

// agencyScope is what an agency's staff member sees: the hazards under rules of
// the agency's field at sites in the grids of its area.
type agencyScope struct {
	agency Agency
	grids  map[int64]bool
	rules  map[string]bool
}

// NewAgencyPrincipal returns the principal of u, a staff member of agency a.
// areaGrids are the grids under a.UnitID; fieldRules the codes of the rules of
// a's field. For a user of another role it is NewPrincipal(u, nil, nil).
func NewAgencyPrincipal(u User, a Agency, areaGrids []int64, fieldRules []string) Principal {
	p := NewPrincipal(u, nil, nil)
	if u.Role != RoleAgency || u.AgencyID != a.ID {
		return p
	}
	s := &agencyScope{agency: a, grids: map[int64]bool{}, rules: map[string]bool{}}
	for _, g := range areaGrids {
		s.grids[g] = true
	}
	for _, r := range fieldRules {
		s.rules[r] = true
	}
	p.agency = s
	return p
}

// Agency returns the agency of an agency's staff member; ok is false for every
// other principal.
func (p Principal) Agency() (a Agency, ok bool) {
	if p.agency == nil {
		return Agency{}, false
	}
	return p.agency.agency, true
}

// AgencyShare returns, for an agency's staff member, the grids of the agency's
// area and the rules of its field, sorted, for the list query (grid_id = ANY
// AND rule_code = ANY); ok is false for every other principal.
func (p Principal) AgencyShare() (grids []int64, rules []string, ok bool) {
	if p.agency == nil {
		return nil, nil, false
	}
	for g := range p.agency.grids {
		grids = append(grids, g)
	}
	for r := range p.agency.rules {
		rules = append(rules, r)
	}
	slices.Sort(grids)
	slices.Sort(rules)
	return grids, rules, true
}

// sharesHazard reports whether h is shared with the principal's agency: its
// rule is of the agency's field and its site's grid in the agency's area.
func (p Principal) sharesHazard(h Hazard) bool {
	return p.User.Role == RoleAgency && p.agency != nil && p.agency.grids[h.GridID] && p.agency.rules[h.RuleCode]
}

// CanActForAgency reports whether p may record an agency action on h: staff of
// an agency the hazard is shared with. They take none of the hazard's workflow
// actions (CanPerform), which stay with inspectors and the safety office.
func (p Principal) CanActForAgency(h Hazard) bool { return p.sharesHazard(h) }

// CanComment reports whether p may comment on h: the staff who see it (admins,
// safety officers and inspectors with it in scope) and the agencies it is shared
// with. Merchants answer through proof, not comments.
func (p Principal) CanComment(h Hazard) bool {
	if p.User.Role == RoleMerchant {
		return false
	}
	return p.CanSeeHazard(h)
}

// CanCreateAgency reports whether p may add an agency: admins.
func CanCreateAgency(p Principal) bool { return p.IsAdmin() }

// CanSeeAgency reports whether p may see agency a and its KPIs: admins, safety
// officers whose area holds the agency's unit, and the agency's own staff.
func (p Principal) CanSeeAgency(a Agency) bool {
	switch p.User.Role {
	case RoleAdmin:
		return true
	case RoleSafetyOfficer:
		return p.InScope(a.UnitID)
	case RoleAgency:
		own, ok := p.Agency()
		return ok && own.ID == a.ID
	}
	return false
}

// AgencyRoles is the role set of the agencies' own routes.
func AgencyRoles() []Role { return []Role{RoleAgency} }

// Event kinds of the agencies' part in a hazard's chain.
const (
	EventAgencyAction = "agency_action" // an agency recorded what it did (AgencyActionPayload)
	EventComment      = "comment"       // someone who sees the hazard commented (CommentPayload)
)

// maxComment bounds a comment's and an agency action's note, in characters.
const maxComment = 2000

// AgencyActionPayload is the payload of an agency_action event.
type AgencyActionPayload struct {
	Agency     int64  `json:"agency"`
	AgencyName string `json:"agency_name"`
	// Action is one of the actions of the agency's field (fields.yaml).
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// NewAgencyAction returns the payload of p's agency action on h: forbidden unless
// h is shared with p's agency, invalid unless action is one of its field's
// (allowed, from fields.yaml) and the note fits.
func NewAgencyAction(p Principal, h Hazard, action, note string, allowed []string) (AgencyActionPayload, error) {
	if !p.CanActForAgency(h) {
		return AgencyActionPayload{}, Errorf(EFORBIDDEN, "only an agency hazard %d is shared with records agency actions on it", h.ID)
	}
	a := p.agency.agency
	if !slices.Contains(allowed, action) {
		return AgencyActionPayload{}, FieldErrorf("action", "must be one of %s, the actions of the %s field (got %q)",
			strings.Join(allowed, ", "), a.Field, action)
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxComment {
		return AgencyActionPayload{}, FieldErrorf("note", "is longer than %d characters", maxComment)
	}
	return AgencyActionPayload{Agency: a.ID, AgencyName: a.Name, Action: action, Note: note}, nil
}

// CommentPayload is the payload of a comment event; Agency is the commenter's
// agency (0 for SafeGrid's own staff).
type CommentPayload struct {
	Note   string `json:"note"`
	Agency int64  `json:"agency,omitempty"`
}

// NewComment returns the payload of p's comment on h: forbidden unless
// CanComment, invalid when the note is empty or too long.
func NewComment(p Principal, h Hazard, note string) (CommentPayload, error) {
	if !p.CanComment(h) {
		return CommentPayload{}, Errorf(EFORBIDDEN, "you may not comment on hazard %d", h.ID)
	}
	if err := checkText("note", note, maxComment); err != nil {
		return CommentPayload{}, err
	}
	c := CommentPayload{Note: strings.TrimSpace(note)}
	if a, ok := p.Agency(); ok {
		c.Agency = a.ID
	}
	return c, nil
}

// AgencyKPI is an agency's part in the hazards of a period (hazards recorded
// from Period.From, inclusive, to Period.To, exclusive): how many were shared
// with it, how many of those it recorded at least one action on, and how many
// of those shared are closed.
type AgencyKPI struct {
	Agency  Agency `json:"agency"`
	Period  Period `json:"period"`
	Shared  int    `json:"shared"`
	ActedOn int    `json:"acted_on"`
	Closed  int    `json:"closed"`
}
