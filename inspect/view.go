package inspect

import (
	"encoding/json"
	"time"
)

// ItemDetail is a checklist item of a started inspection as the inspector's phone
// shows it: the answer, what the rule asks, and the hazard it led to.
type ItemDetail struct {
	Item
	Position     int      `json:"position"`
	Location     string   `json:"location"`
	AIChecks     []string `json:"ai_checks,omitempty"`
	RuleSeverity Severity `json:"rule_severity"`
	RectifyDays  int      `json:"rectify_days"`
	HazardID     int64    `json:"hazard_id,omitempty"`
	// Rule is the checklist item as generated (titles, explanation, citations,
	// evidence), from the checklist stored with the inspection.
	Rule json.RawMessage `json:"rule"`
}

// InspectionDetail is an inspection with its site and items.
type InspectionDetail struct {
	Inspection
	Site  Site         `json:"site"`
	Items []ItemDetail `json:"items,omitempty"`
}

// HazardDetail is a hazard with what a reader needs around it: the rule it was
// found under (title, plain-words explanation, citations, the evidence that
// proves a fix), the site, its event log and its photos, and — on the detail of
// one hazard — its listed supervision and its latest determination.
type HazardDetail struct {
	Hazard
	Rule        json.RawMessage `json:"rule"`
	SiteName    string          `json:"site_name"`
	SiteAddress string          `json:"site_address"`
	Events      []Event         `json:"events,omitempty"`
	PhotoIDs    []string        `json:"photo_ids,omitempty"`
	// Supervision is the listed-supervision record, once the hazard was major at
	// the district.
	Supervision *Supervision `json:"supervision,omitempty"`
	// Determination is the latest major-hazard determination, open or concluded.
	Determination *Determination `json:"determination,omitempty"`
	// ProofChecks are the AI's before/after suggestions on the proof photos (for
	// the office and inspectors; a merchant does not see them).
	ProofChecks []ProofCheck `json:"proof_checks,omitempty"`
}

// SiteFilter selects sites for a list; the caller's scope applies on top.
type SiteFilter struct {
	GridID  int64
	Type    SiteType
	AfterID int64
	Limit   int
}

// InspectionFilter selects inspections for a list; the caller's scope applies on
// top (an inspector sees their own).
type InspectionFilter struct {
	Status  InspectionStatus
	SiteID  int64
	AfterID int64
	Limit   int
}

// HazardActionInput is what a user sends with a hazard action: a note, and the
// photos (already uploaded to the hazard) that are its evidence.
type HazardActionInput struct {
	Note     string   `json:"note,omitempty"`
	PhotoIDs []string `json:"photo_ids,omitempty"`
}

// PhotoTarget says what a photo is evidence for: one item of an inspection, or a
// hazard (rectification proof or a re-inspection picture).
type PhotoTarget struct {
	InspectionID int64
	ItemCode     string
	HazardID     int64
}

// Validate checks that exactly one target is named.
func (t PhotoTarget) Validate() error {
	switch {
	case t.HazardID < 0 || t.InspectionID < 0:
		return FieldErrorf("target", "ids must be positive")
	case t.HazardID > 0 && (t.InspectionID > 0 || t.ItemCode != ""):
		return FieldErrorf("hazard_id", "name either a hazard or an inspection item, not both")
	case t.HazardID > 0:
		return nil
	case t.InspectionID == 0:
		return FieldErrorf("inspection_id", "name the inspection item (inspection_id and item_code) or the hazard (hazard_id) the photo is for")
	case t.ItemCode == "":
		return FieldErrorf("item_code", "is required with inspection_id")
	}
	return nil
}

// Session is a login session: the hash of its opaque token and when it expires.
type Session struct {
	UserID    int64
	TokenHash []byte
	ExpiresAt time.Time
}

// officeOnly are the event kinds of the office's and its partners' own work on a
// hazard: a finding returned to the inspector and sent again, a change of
// inspector, comments and agencies' records. A merchant does not read them.
var officeOnly = map[string]bool{
	string(ActionReturnForCorrection): true, string(ActionResubmit): true,
	EventReassigned: true, EventComment: true, EventAgencyAction: true,
}

// noteOnlyForOffice are the event kinds a merchant reads without their note: the
// note opening a determination is addressed to the panel.
var noteOnlyForOffice = map[string]bool{string(ActionOpenDetermination): true}

// ForMerchant is d as a merchant of its site reads it: the events of what
// happened at their premises and to their hazard, without the office's internal
// deliberation (officeOnly, noteOnlyForOffice); the determination's is left out
// by Determination.Public.
func (d HazardDetail) ForMerchant() HazardDetail {
	events := make([]Event, 0, len(d.Events))
	for _, e := range d.Events {
		if officeOnly[e.Kind] {
			continue
		}
		if noteOnlyForOffice[e.Kind] {
			var p map[string]any
			if json.Unmarshal(e.Payload, &p) == nil && p["note"] != nil {
				delete(p, "note")
				if b, err := json.Marshal(p); err == nil {
					e.Payload = b
				}
			}
		}
		events = append(events, e)
	}
	d.Events = events
	d.ProofChecks = nil
	return d
}
