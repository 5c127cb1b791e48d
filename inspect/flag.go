package inspect

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Review states of an AI flag in the safety office's queue.
const (
	ReviewPending   = "pending"
	ReviewConfirmed = "confirmed"
	ReviewRejected  = "rejected"
)

// FlagBox is one detected object behind a flag, in the photo's pixels.
type FlagBox struct {
	Class string  `json:"class"`
	Score float32 `json:"score"`
	X1    float32 `json:"x1"`
	Y1    float32 `json:"y1"`
	X2    float32 `json:"x2"`
	Y2    float32 `json:"y2"`
}

// AIFlag is a possible hazard the detector (or an inspector, by hand) raised on one
// evidence photo, waiting for or past a reviewer's decision. Every decision is kept:
// confirmed and rejected flags are the labelled examples the next model learns from.
type AIFlag struct {
	ID           int64     `json:"id"`
	PhotoID      uuid.UUID `json:"photo_id"`
	SiteID       int64     `json:"site_id"`
	RuleCode     string    `json:"rule_code"` // the checklist item (rule) the photo belongs to
	Code         string    `json:"code"`      // the AI check, e.g. two_wheeler_indoor
	Status       string    `json:"status"`    // flag (score ≥ flag threshold) or needs_review
	Score        float32   `json:"score"`
	Boxes        []FlagBox `json:"boxes"`
	Reason       string    `json:"reason"`
	Manual       bool      `json:"manual"`
	ModelName    string    `json:"model_name"`
	ModelSHA256  string    `json:"model_sha256"`
	Review       string    `json:"review"`
	ReviewedBy   int64     `json:"reviewed_by,omitempty"`
	ReviewedAt   time.Time `json:"reviewed_at,omitzero"`
	RejectReason string    `json:"reject_reason,omitempty"`
	HazardID     int64     `json:"hazard_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// RecordedHazardID is, for a pending flag in the review queue, the hazard of
	// the same rule the photo already shows: the one the inspector recorded on the
	// item the photo answers, or the hazard a proof photo was sent for. Confirming
	// the flag joins it; it is no new sighting. 0 elsewhere.
	RecordedHazardID int64 `json:"recorded_hazard_id,omitempty"`
}

// CheckReview validates a decision on flag f: only pending flags are decided, and a
// rejection needs a reason (it is what the next model learns from).
func CheckReview(f AIFlag, confirm bool, reason string) error {
	if f.Review != ReviewPending {
		return Errorf(ECONFLICT, "flag %d was already %s", f.ID, f.Review)
	}
	if !confirm && strings.TrimSpace(reason) == "" {
		return FieldErrorf("reason", "say why the flag is wrong (for example: it is a wheelchair, not a bicycle)")
	}
	if len(reason) > 2000 {
		return FieldErrorf("reason", "is longer than 2000 characters")
	}
	return nil
}

// FlagStats is how one AI check fared in review: precision as reviewed is the share
// of decided flags that reviewers confirmed.
type FlagStats struct {
	Code      string `json:"code"`
	Pending   int    `json:"pending"`
	Confirmed int    `json:"confirmed"`
	Rejected  int    `json:"rejected"`
	Precision Rate   `json:"precision"`
}

// Page sizes of the review queue.
const (
	DefaultFlagPage = 50
	MaxFlagPage     = 200
)

// FlagFilter selects flags for the review queue, oldest (lowest id) first.
type FlagFilter struct {
	Review  string // pending (the default), confirmed, rejected or all
	Code    string // one AI check; empty for all
	AfterID int64  // for paging: only flags with a larger id
	Limit   int    // 1–MaxFlagPage, default DefaultFlagPage
}

// Normalize fills in the defaults and checks the filter, naming the field at
// fault.
func (f *FlagFilter) Normalize() error {
	switch f.Review {
	case "":
		f.Review = ReviewPending
	case ReviewPending, ReviewConfirmed, ReviewRejected, "all":
	default:
		return FieldErrorf("review", "must be pending, confirmed, rejected or all, not %q", f.Review)
	}
	if f.AfterID < 0 {
		return FieldErrorf("after_id", "must be a positive id")
	}
	return pageLimit(&f.Limit, DefaultFlagPage, MaxFlagPage)
}

// ManualHazard is a hazard the detector cannot see (COCO has no class for it) that an
// inspector may mark by hand on their photo.
type ManualHazard struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// ManualHazards lists the hazards inspectors may add by hand.
func ManualHazards() []ManualHazard {
	return []ManualHazard{
		{Code: "combustibles_stacked", Title: "cardboard boxes or other combustibles stacked"},
		{Code: "ebike_charging_indoor", Title: "e-bike or battery charging indoors (cable, charger)"},
		{Code: "escape_route_obstructed", Title: "escape route or exit obstructed"},
		{Code: "two_wheeler_indoor", Title: "bicycle, e-bike or motorcycle parked indoors"},
	}
}

// NewManualFlag returns the flag for a hazard an inspector marked by hand; code must
// be one of ManualHazards. It enters the review queue like the detector's flags.
func NewManualFlag(code, note string) (AIFlag, error) {
	if len(note) > 2000 {
		return AIFlag{}, FieldErrorf("note", "is longer than 2000 characters")
	}
	for _, h := range ManualHazards() {
		if h.Code == code {
			reason := "added by the inspector: " + h.Title
			if note = strings.TrimSpace(note); note != "" {
				reason += ": " + note
			}
			return AIFlag{Code: code, Status: "flag", Score: 1, Boxes: []FlagBox{}, Reason: reason, Manual: true, Review: ReviewPending}, nil
		}
	}
	codes := make([]string, 0, 4)
	for _, h := range ManualHazards() {
		codes = append(codes, h.Code)
	}
	return AIFlag{}, FieldErrorf("code", "%q is not a hazard that can be added by hand (one of %s)", code, strings.Join(codes, ", "))
}
