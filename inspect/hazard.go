package inspect

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity is how serious a hazard is. An inspector records general or
// possibly_major; only a collective determination makes a hazard major (GB 35181
// asks for at least three people deciding together), never a single inspector or
// a model.
type Severity string

// The severities, from least to most serious.
const (
	SeverityGeneral       Severity = "general"
	SeverityPossiblyMajor Severity = "possibly_major"
	SeverityMajor         Severity = "major"
)

// severities lists every severity, least serious first.
var severities = [...]Severity{SeverityGeneral, SeverityPossiblyMajor, SeverityMajor}

// Severities returns every severity, least serious first.
func Severities() []Severity { return slices.Clone(severities[:]) }

// rank orders severities; -1 for an unknown one.
func (s Severity) rank() int {
	for i, x := range severities {
		if x == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s.rank() >= 0 }

// checkRecordableSeverity checks a severity an inspector records; "" (the rule's
// default) is allowed when allowEmpty.
func checkRecordableSeverity(s Severity, allowEmpty bool) error {
	switch {
	case s == "" && allowEmpty, s == SeverityGeneral, s == SeverityPossiblyMajor:
		return nil
	case s == SeverityMajor:
		return FieldErrorf("severity", "major is decided by a determination of at least three reviewers; record possibly_major")
	}
	return FieldErrorf("severity", "must be general or possibly_major (got %q)", s)
}

// Hazard is one hazard at one site under one rule, from the finding to its closure.
// A later report of the same rule at the same site while it is open joins it as
// another observation instead of opening a second hazard.
type Hazard struct {
	ID     int64 `json:"id"`
	SiteID int64 `json:"site_id"`
	// GridID is the site's grid, kept on the hazard so that scope checks need no
	// join; it does not change when the hazard escalates.
	GridID       int64       `json:"grid_id"`
	RuleCode     string      `json:"rule_code"`
	RuleVersion  string      `json:"rule_version,omitempty"`
	InspectionID int64       `json:"inspection_id,omitempty"` // 0 when it came from outside an inspection
	State        HazardState `json:"state"`
	Severity     Severity    `json:"severity"`
	// Level and UnitID are the responsible unit: the grid at first, a unit higher
	// after each escalation.
	Level        Level  `json:"level"`
	UnitID       int64  `json:"unit_id"`
	InspectorID  int64  `json:"inspector_id"`
	Note         string `json:"note,omitempty"`
	Observations int    `json:"observations"`
	Escalations  int    `json:"escalations"`
	Returns      int    `json:"returns"` // times returned for correction; feeds the return rate
	// Deadline is the rectification deadline at the current level.
	Deadline time.Time `json:"deadline"`
	// DeadlineByPolicy says that Deadline is the policy's limit from HandedAt (an
	// escalation's), so that applying a changed policy moves it (ApplyPolicy). A
	// deadline an inspector, a rule or a determination panel set does not move.
	DeadlineByPolicy bool `json:"deadline_by_policy,omitempty"`
	// HandedAt is when the hazard was last handed to a party that must sign for
	// it: the merchant at the notice, a unit at an escalation.
	HandedAt *time.Time `json:"handed_at,omitempty"`
	// SignParty is who must sign for (签收) the hazard by SignBy; both are empty
	// once it is signed for, or when nothing waits for a signature (SignFor).
	SignParty SignParty  `json:"sign_party,omitempty"`
	SignBy    *time.Time `json:"sign_by,omitempty"`
	// ReinspectBy is when the inspector must have re-inspected a hazard whose
	// deadline passed (reinspection_due); nil in every other state.
	ReinspectBy *time.Time `json:"reinspect_by,omitempty"`
	Rating      int        `json:"rating,omitempty"` // the merchant's 1–5 rating after closure; 0 = none
	// SelfReported marks a hazard the merchant found in their own
	// self-inspection (自查自纠); the KPIs count these apart.
	SelfReported bool       `json:"self_reported,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// ListedSupervision reports whether h is under listed supervision (挂牌督办): an
// open major hazard, which is always the district's.
func (h Hazard) ListedSupervision() bool {
	return h.Severity == SeverityMajor && IsOpen(h.State)
}

// Finding is what an inspector records for a failed item that was not (or not only)
// fixed on the spot: the input of NewHazard.
type Finding struct {
	SiteID       int64
	GridID       int64 // the site's grid: the first responsible unit
	RuleCode     string
	RuleVersion  string
	InspectionID int64
	InspectorID  int64
	Note         string
	// Severity is the inspector's choice, or "" for the rule's (RuleSeverity).
	Severity     Severity
	RuleSeverity Severity
	// Deadline is the inspector's choice, or zero for the default (HazardDeadline).
	Deadline        time.Time
	RuleRectifyDays int // the rule's rectification days; 0 when the rule sets none
	// SelfReported marks a finding of a merchant's self-inspection.
	SelfReported bool
}

// NewHazard returns the open hazard for finding f, recorded at now: responsible unit
// the site's grid, severity the inspector's or the rule's, deadline the
// inspector's or the default from the rule and the policy. It does not check for an
// open hazard of the same site and rule; storage does that inside the transaction
// and calls AddObservation instead.
func NewHazard(f Finding, now time.Time, p TimeLimitPolicy) (Hazard, error) {
	if f.SiteID <= 0 || f.GridID <= 0 {
		return Hazard{}, Errorf(EINTERNAL, "new hazard: site %d, grid %d", f.SiteID, f.GridID)
	}
	if strings.TrimSpace(f.RuleCode) == "" {
		return Hazard{}, FieldErrorf("rule_code", "is required")
	}
	if utf8.RuneCountInString(f.Note) > maxNote {
		return Hazard{}, FieldErrorf("note", "is longer than %d characters", maxNote)
	}
	sev := f.Severity
	if sev == "" {
		sev = f.RuleSeverity
	}
	if sev == "" {
		sev = SeverityGeneral
	}
	if err := checkRecordableSeverity(sev, false); err != nil {
		return Hazard{}, err
	}
	deadline := f.Deadline
	if deadline.IsZero() {
		deadline = HazardDeadline(p, LevelGrid, sev, f.RuleRectifyDays, now)
	} else if !deadline.After(now) {
		return Hazard{}, FieldErrorf("deadline", "must be in the future")
	}
	return Hazard{
		SiteID:       f.SiteID,
		GridID:       f.GridID,
		RuleCode:     f.RuleCode,
		RuleVersion:  f.RuleVersion,
		InspectionID: f.InspectionID,
		InspectorID:  f.InspectorID,
		Note:         strings.TrimSpace(f.Note),
		State:        StateOpen,
		Severity:     sev,
		Level:        LevelGrid,
		UnitID:       f.GridID,
		Observations: 1,
		Deadline:     deadline,
		SelfReported: f.SelfReported,
		CreatedAt:    now,
	}, nil
}

// HazardDeadline returns the default rectification deadline of a new hazard: the
// rule's own number of days when it sets one (ruleDays > 0), the policy's limit for
// the level and severity otherwise.
func HazardDeadline(p TimeLimitPolicy, level Level, sev Severity, ruleDays int, from time.Time) time.Time {
	if ruleDays > 0 {
		return from.Add(time.Duration(ruleDays) * 24 * time.Hour)
	}
	return p.Deadline(level, sev, from)
}

// AddObservation records another report of the same rule at the same site on open
// hazard h: one more observation, and the severity raised (never lowered) to sev
// when the new report is more serious. raised tells whether the severity changed.
func (h Hazard) AddObservation(sev Severity) (next Hazard, raised bool, err error) {
	if !IsOpen(h.State) {
		return h, false, Errorf(ECONFLICT, "hazard %d is %s; a new report opens a new hazard", h.ID, h.State)
	}
	if sev != "" {
		if err := checkRecordableSeverity(sev, false); err != nil {
			return h, false, err
		}
		if sev.rank() > h.Severity.rank() {
			h.Severity = sev
			raised = true
		}
	}
	h.Observations++
	return h, raised, nil
}

// Apply takes action a on h at now and returns the hazard after it. It checks the
// transition and updates what the action changes: closing sets ClosedAt; a
// determination of general sets the severity and, when the old deadline has passed,
// a fresh one from the policy; opening a determination marks the hazard possibly
// major; a return counts toward the return rate.
//
// Actions that move responsibility up (reinspect_present, escalate,
// determine_major) need the target unit: use Escalate for those.
func (h Hazard) Apply(a Action, now time.Time, p TimeLimitPolicy) (Hazard, error) {
	switch a {
	case ActionReinspectPresent, ActionEscalate, ActionDetermineMajor:
		return h, Errorf(EINTERNAL, "hazard action %s moves responsibility up: use Escalate", a)
	}
	next, err := Transition(h.State, a)
	if err != nil {
		return h, err
	}
	h.State = next
	switch a {
	case ActionFixOnSpot, ActionReinspectFixed, ActionWithdraw:
		h.ClosedAt = &now
	case ActionReturnForCorrection:
		h.Returns++
	case ActionOpenDetermination:
		if h.Severity.rank() < SeverityPossiblyMajor.rank() {
			h.Severity = SeverityPossiblyMajor
		}
	case ActionDetermineGeneral:
		h.Severity = SeverityGeneral
		if !h.Deadline.After(now) {
			h.Deadline = p.Deadline(h.Level, SeverityGeneral, now)
		}
	}
	return h, nil
}

// Rate records the merchant's 1–5 rating of how the closed hazard h was handled.
// A hazard is rated once.
func (h Hazard) Rate(rating int) (Hazard, error) {
	if err := ValidateRating(rating); err != nil {
		return h, err
	}
	if h.State != StateClosedFixed && h.State != StateClosedOnSpot {
		return h, Errorf(ECONFLICT, "hazard %d is %s; it can be rated once it is closed", h.ID, h.State)
	}
	if h.Rating != 0 {
		return h, Errorf(ECONFLICT, "hazard %d has already been rated", h.ID)
	}
	h.Rating = rating
	return h, nil
}

// ValidateRating checks a satisfaction rating: a whole number of stars from 1 to 5.
func ValidateRating(rating int) error {
	if rating < 1 || rating > 5 {
		return FieldErrorf("rating", "must be 1 to 5 stars (got %d)", rating)
	}
	return nil
}

// Page sizes for hazard lists.
const (
	DefaultHazardPage = 50
	MaxHazardPage     = 500
)

// HazardFilter selects hazards for a list (the office's filters, a merchant's own
// list). Zero fields do not filter. Storage applies the caller's scope
// (Principal.ScopeUnitIDs, Principal.SiteIDs) on top: a filter narrows a scope,
// never widens it.
type HazardFilter struct {
	States      []HazardState `json:"states,omitempty"`
	Severities  []Severity    `json:"severities,omitempty"`
	SiteID      int64         `json:"site_id,omitempty"`
	UnitID      int64         `json:"unit_id,omitempty"` // the responsible unit
	InspectorID int64         `json:"inspector_id,omitempty"`
	RuleCode    string        `json:"rule_code,omitempty"`
	// Overdue selects open hazards whose deadline is before the query's now.
	Overdue bool `json:"overdue,omitempty"`
	// Search selects hazards whose site name or address, rule code or title
	// contains it (any case), or whose number it is ("12" or "#12").
	Search string `json:"q,omitempty"`
	// AfterID and Limit page by keyset: hazards with ID > AfterID, Limit at most.
	AfterID int64 `json:"after_id,omitempty"`
	Limit   int   `json:"limit,omitempty"`
}

// Normalize checks f and fills in the default page size. The error is an EINVALID
// *Error naming the field.
func (f *HazardFilter) Normalize() error {
	for _, s := range f.States {
		if !s.Valid() {
			return FieldErrorf("states", "unknown state %q", s)
		}
	}
	for _, s := range f.Severities {
		if !s.Valid() {
			return FieldErrorf("severities", "unknown severity %q", s)
		}
	}
	for _, id := range []struct {
		field string
		v     int64
	}{{"site_id", f.SiteID}, {"unit_id", f.UnitID}, {"inspector_id", f.InspectorID}, {"after_id", f.AfterID}} {
		if id.v < 0 {
			return FieldErrorf(id.field, "must be a positive id")
		}
	}
	f.Search = strings.TrimSpace(f.Search)
	if utf8.RuneCountInString(f.Search) > maxSearch {
		return FieldErrorf("q", "is longer than %d characters", maxSearch)
	}
	if err := pageLimit(&f.Limit, DefaultHazardPage, MaxHazardPage); err != nil {
		return err
	}
	return nil
}

// maxSearch bounds a list's search text, in characters.
const maxSearch = 100

// SearchID returns the hazard number the search names ("12" or "#12"), if it is one.
func (f HazardFilter) SearchID() (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(f.Search, "#"), 10, 64)
	return id, err == nil && id > 0
}

// OwnHazardKey is where a merchant's hazard sits in their list, which shows open
// hazards first and, within open and closed, the newest first (the highest id):
// the list pages by this key, so a merchant with thousands of closed hazards
// still sees every open one on the first page.
type OwnHazardKey struct {
	Closed bool  `json:"closed"`
	ID     int64 `json:"id"`
}

// OwnHazardKeyOf is h's key in its merchant's list.
func OwnHazardKeyOf(h Hazard) OwnHazardKey { return OwnHazardKey{Closed: !IsOpen(h.State), ID: h.ID} }

// OwnHazardPage asks for one page of a merchant's hazards: those after After
// (the zero key is the start), Limit at most (1 to MaxHazardPage; 0 is
// MaxHazardPage, so a merchant's screen has everything most merchants have).
type OwnHazardPage struct {
	After OwnHazardKey
	Limit int
}

// Normalize checks the page and fills in its default size.
func (pg *OwnHazardPage) Normalize() error {
	if err := pageLimit(&pg.Limit, MaxHazardPage, MaxHazardPage); err != nil {
		return err
	}
	if pg.After.ID < 0 {
		return FieldErrorf("cursor", "is not a cursor of this list")
	}
	return nil
}
