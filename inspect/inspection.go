package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// InspectionStatus is where an inspection is in its life:
// assigned → in_progress → submitted, and submitted → returned → submitted when a
// safety officer returns it for correction.
type InspectionStatus string

// The inspection statuses.
const (
	InspectionAssigned   InspectionStatus = "assigned"
	InspectionInProgress InspectionStatus = "in_progress"
	InspectionSubmitted  InspectionStatus = "submitted"
	InspectionReturned   InspectionStatus = "returned"
)

// Inspection is one visit of an inspector to a site, from assignment to submission.
type Inspection struct {
	ID          int64            `json:"id"`
	SiteID      int64            `json:"site_id"`
	InspectorID int64            `json:"inspector_id"`
	AssignedBy  int64            `json:"assigned_by"`
	Due         time.Time        `json:"due"`
	Status      InspectionStatus `json:"status"`
	// RuleVersion and Checklist are set when the inspection starts: the checklist
	// generated from the rule version current at that moment, kept with the
	// inspection so that a later rule change does not rewrite what was inspected.
	RuleVersion string          `json:"rule_version,omitempty"`
	Checklist   json.RawMessage `json:"checklist,omitempty"`
	// ReturnReason is the safety officer's reason when Status is returned.
	ReturnReason string `json:"return_reason,omitempty"`
	// RequestNote is the merchant's note when the inspection answers their request
	// for a visit (RequestVisit).
	RequestNote string `json:"request_note,omitempty"`
	// SelfCheck marks a merchant's self-inspection (NewSelfInspection): its
	// InspectorID and AssignedBy are the merchant.
	SelfCheck   bool       `json:"self_check,omitempty"`
	Returns     int        `json:"returns"` // how often it was returned; feeds the return rate
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
}

// NewInspection returns an inspection of site s assigned to inspector by the safety
// officer (or admin) with ID by, due at due. It checks that the assignee may take
// the site (CheckAssignee) and that due is not in the past.
func NewInspection(s Site, inspector User, by int64, due, now time.Time) (Inspection, error) {
	if err := CheckAssignee(inspector, s); err != nil {
		return Inspection{}, err
	}
	if due.IsZero() {
		return Inspection{}, FieldErrorf("due", "is required")
	}
	if due.Before(now) {
		return Inspection{}, FieldErrorf("due", "is in the past (%s)", due.UTC().Format(time.RFC3339))
	}
	return Inspection{
		SiteID:      s.ID,
		InspectorID: inspector.ID,
		AssignedBy:  by,
		Due:         due,
		Status:      InspectionAssigned,
		CreatedAt:   now,
	}, nil
}

// Reassign gives the inspection to another inspector. Only an inspection that has
// not been started can change hands: once started, its answers are the first
// inspector's.
func (i Inspection) Reassign(s Site, inspector User, by int64) (Inspection, error) {
	if i.Status != InspectionAssigned {
		return i, Errorf(ECONFLICT, "inspection %d is %s; only an assigned inspection can be reassigned", i.ID, i.Status)
	}
	if err := CheckAssignee(inspector, s); err != nil {
		return i, err
	}
	i.InspectorID = inspector.ID
	i.AssignedBy = by
	return i, nil
}

// maxAhead is how far ahead an inspection may be due: a date further out is a
// slip of the keyboard (2062 for 2026), not a plan.
const maxAhead = 366 * 24 * time.Hour

// Reschedule moves the inspection's due time, as the office that assigned it
// decides (by: who). An inspection already submitted keeps its due time: it was
// done, on time or not. The new time must be ahead of now and within a year.
func (i Inspection) Reschedule(due, now time.Time, by int64) (Inspection, error) {
	if i.Status == InspectionSubmitted {
		return i, Errorf(ECONFLICT, "inspection %d is submitted; its due time stays as it was", i.ID)
	}
	switch {
	case due.IsZero():
		return i, FieldErrorf("due", "is required")
	case due.Before(now):
		return i, FieldErrorf("due", "is in the past (%s)", due.UTC().Format(time.RFC3339))
	case due.After(now.Add(maxAhead)):
		return i, FieldErrorf("due", "is more than a year ahead (%s)", due.UTC().Format(time.RFC3339))
	}
	i.Due = due
	i.AssignedBy = by
	return i, nil
}

// Start marks the inspection in progress and stores the checklist generated from
// ruleVersion. Starting an inspection already in progress is a conflict, so that a
// retried request does not regenerate the checklist under the inspector's answers.
func (i Inspection) Start(ruleVersion string, checklist json.RawMessage, now time.Time) (Inspection, error) {
	if i.Status != InspectionAssigned {
		return i, Errorf(ECONFLICT, "inspection %d is %s; only an assigned inspection can be started", i.ID, i.Status)
	}
	if strings.TrimSpace(ruleVersion) == "" {
		return i, Errorf(EINTERNAL, "start inspection %d: empty rule version", i.ID)
	}
	if c := bytes.TrimSpace(checklist); len(c) == 0 || !json.Valid(c) {
		return i, Errorf(EINTERNAL, "start inspection %d: checklist is not JSON", i.ID)
	}
	i.Status = InspectionInProgress
	i.RuleVersion = ruleVersion
	i.Checklist = checklist
	i.StartedAt = &now
	return i, nil
}

// CanAnswer returns nil when the inspection's items may still change: while it is in
// progress or returned for correction. Otherwise it returns ECONFLICT.
func (i Inspection) CanAnswer() error {
	switch i.Status {
	case InspectionInProgress, InspectionReturned:
		return nil
	case InspectionAssigned:
		return Errorf(ECONFLICT, "inspection %d has not been started", i.ID)
	}
	return Errorf(ECONFLICT, "inspection %d is %s; its answers can no longer change", i.ID, i.Status)
}

// Submit checks the items (CheckSubmission) and marks the inspection submitted.
func (i Inspection) Submit(items []Item, now time.Time) (Inspection, error) {
	if err := i.CanAnswer(); err != nil {
		return i, err
	}
	if err := CheckSubmission(items); err != nil {
		return i, err
	}
	i.Status = InspectionSubmitted
	i.SubmittedAt = &now
	i.ReturnReason = ""
	return i, nil
}

// Return sends a submitted inspection back to its inspector for correction, with a
// reason the inspector will read. It counts toward the inspector's return rate.
func (i Inspection) Return(reason string) (Inspection, error) {
	if i.Status != InspectionSubmitted {
		return i, Errorf(ECONFLICT, "inspection %d is %s; only a submitted inspection can be returned", i.ID, i.Status)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return i, FieldErrorf("reason", "is required: tell the inspector what to correct")
	}
	if utf8.RuneCountInString(reason) > maxNote {
		return i, FieldErrorf("reason", "is longer than %d characters", maxNote)
	}
	i.Status = InspectionReturned
	i.ReturnReason = reason
	i.Returns++
	return i, nil
}

// Answer is an inspector's answer to one checklist item.
type Answer string

// The answers. The zero value "" means unanswered, like AnswerUnanswered.
const (
	AnswerUnanswered Answer = "unanswered"
	AnswerPass       Answer = "pass"
	AnswerFail       Answer = "fail"
	AnswerNA         Answer = "na"
)

// Answered reports whether a is pass, fail or na.
func (a Answer) Answered() bool { return a == AnswerPass || a == AnswerFail || a == AnswerNA }

// Outcome is what became of a failed item.
type Outcome string

// The outcomes of a failed item.
const (
	// OutcomeFixedOnSpot: fixed in front of the inspector (当场整改) and closed at
	// once; needs a photo of the fixed state.
	OutcomeFixedOnSpot Outcome = "fixed_on_spot"
	// OutcomeHazard: recorded as a hazard with a severity and a deadline.
	OutcomeHazard Outcome = "hazard"
)

// maxNote bounds free-text notes and reasons, in characters.
const maxNote = 2000

// Item is one checklist item of an inspection with its answer.
type Item struct {
	InspectionID int64  `json:"inspection_id"`
	Code         string `json:"code"` // the rule's item code
	Answer       Answer `json:"answer"`
	Note         string `json:"note,omitempty"`
	// NeedsPhoto is true when the rule's evidence is "photo"; storage copies it from
	// the checklist item when the inspection starts.
	NeedsPhoto bool `json:"needs_photo"`
	// PhotoCount is the number of photos stored for this item.
	PhotoCount int `json:"photo_count"`
	// Outcome, Severity and Deadline apply to a failed item only. Severity defaults
	// to the rule's; a zero Deadline means the policy's default (HazardDeadline).
	Outcome  Outcome   `json:"outcome,omitempty"`
	Severity Severity  `json:"severity,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"`
}

// ValidateAnswer checks an answer as the inspector sends it: a known answer
// (unanswered takes one back, alone); for a fail, an outcome, and for a hazard a
// severity an inspector may record and a deadline in the future; nothing of those
// for pass or na. Photos are checked at
// submission, because they may still be in the phone's upload queue.
func ValidateAnswer(it Item, now time.Time) error {
	if strings.TrimSpace(it.Code) == "" {
		return FieldErrorf("code", "is required")
	}
	if it.Answer == AnswerUnanswered {
		// An answer taken back before submission (the undo of "the rest is not
		// applicable"): nothing else goes with it.
		if it.Note != "" || it.Outcome != "" || it.Severity != "" || !it.Deadline.IsZero() {
			return FieldErrorf("answer", "an answer taken back (unanswered) has no note, outcome, severity or deadline")
		}
		return nil
	}
	if !it.Answer.Answered() {
		return FieldErrorf("answer", "must be pass, fail or na, or unanswered to take an answer back (got %q)", it.Answer)
	}
	if utf8.RuneCountInString(it.Note) > maxNote {
		return FieldErrorf("note", "is longer than %d characters", maxNote)
	}
	if it.Answer != AnswerFail {
		if it.Outcome != "" || it.Severity != "" || !it.Deadline.IsZero() {
			return FieldErrorf("outcome", "only a failed item has an outcome, severity or deadline")
		}
		return nil
	}
	switch it.Outcome {
	case OutcomeFixedOnSpot:
		if !it.Deadline.IsZero() {
			return FieldErrorf("deadline", "an item fixed on the spot has no deadline")
		}
		return nil
	case OutcomeHazard:
		if err := checkRecordableSeverity(it.Severity, true); err != nil {
			return err
		}
		if !it.Deadline.IsZero() && !it.Deadline.After(now) {
			return FieldErrorf("deadline", "must be in the future")
		}
		return nil
	case "":
		return FieldErrorf("outcome", "a failed item is either fixed_on_spot or a hazard")
	}
	return FieldErrorf("outcome", "must be fixed_on_spot or hazard (got %q)", it.Outcome)
}

// needsPhoto reports whether the item cannot be submitted without a photo: the rule
// asks for one and the item was not marked not applicable, or it was fixed on the
// spot (the photo is the proof of the fix).
func (it Item) needsPhoto() bool {
	if it.Answer == AnswerFail && it.Outcome == OutcomeFixedOnSpot {
		return true
	}
	return it.NeedsPhoto && it.Answer != AnswerNA
}

// MissingItems returns, in checklist order, the codes of unanswered items and of
// answered items that still need a photo, for the UI to highlight.
func MissingItems(items []Item) (unanswered, needPhoto []string) {
	for _, it := range items {
		if !it.Answer.Answered() {
			unanswered = append(unanswered, it.Code)
			continue
		}
		if it.needsPhoto() && it.PhotoCount <= 0 {
			needPhoto = append(needPhoto, it.Code)
		}
	}
	return unanswered, needPhoto
}

// CheckSubmission returns nil when the inspection can be submitted: every item
// answered, and every item that needs a photo has one. Otherwise it returns one
// EINVALID *Error (field "items") whose message names every unanswered item and
// every item missing a photo, so the inspector can fix all of them in one pass.
func CheckSubmission(items []Item) error {
	unanswered, needPhoto := MissingItems(items)
	if len(unanswered) == 0 && len(needPhoto) == 0 {
		return nil
	}
	var parts []string
	if len(unanswered) > 0 {
		parts = append(parts, fmt.Sprintf("%s unanswered: %s", countItems(len(unanswered)), strings.Join(unanswered, ", ")))
	}
	if len(needPhoto) > 0 {
		parts = append(parts, fmt.Sprintf("%s without the photo they need: %s", countItems(len(needPhoto)), strings.Join(needPhoto, ", ")))
	}
	return &Error{Code: EINVALID, Field: "items", Message: "cannot submit yet: " + strings.Join(parts, "; ")}
}

func countItems(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}
