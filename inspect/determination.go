package inspect

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MinDeterminationReviewers is the least number of distinct reviewers who must vote
// before a determination can conclude: GB 35181 has a major hazard decided
// collectively, never by one person.
const MinDeterminationReviewers = 3

// maxDeterminationParticipants bounds the panel; a determination is a meeting.
const maxDeterminationParticipants = 50

// maxMeasures bounds the measures text (the rectification plan).
const maxMeasures = 4000

// Vote is one reviewer's judgement in a determination.
type Vote string

// The votes.
const (
	VoteMajor   Vote = "major"
	VoteGeneral Vote = "general"
)

// Valid reports whether v is a known vote.
func (v Vote) Valid() bool { return v == VoteMajor || v == VoteGeneral }

// Ballot is one reviewer's vote, with the reason given.
type Ballot struct {
	ReviewerID int64     `json:"reviewer_id"`
	Vote       Vote      `json:"vote"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// Determination is the collective determination (重大事故隐患判定) of a possibly
// major hazard: a panel of reviewers votes major or general, and the conclusion,
// the measures to take and the rectification deadline are recorded with it.
type Determination struct {
	ID       int64     `json:"id"`
	HazardID int64     `json:"hazard_id"`
	OpenedBy int64     `json:"opened_by"`
	OpenedAt time.Time `json:"opened_at"`
	// Participants are the reviewers on the panel; only they may vote.
	Participants []int64  `json:"participants"`
	Ballots      []Ballot `json:"ballots"`
	// Conclusion is "" while the determination is open, then SeverityMajor or
	// SeverityGeneral.
	Conclusion Severity `json:"conclusion,omitempty"`
	// Measures are the rectification measures the panel decided (治理措施).
	Measures string `json:"measures,omitempty"`
	// Deadline is the rectification deadline the panel set.
	Deadline    time.Time `json:"deadline,omitzero"`
	ConcludedAt time.Time `json:"concluded_at,omitzero"`
}

// OpenDetermination opens a determination of h by openedBy at now with the given
// panel. h must be in a state from which a determination can be opened (Hazard.Apply
// of ActionOpenDetermination then marks it possibly major); the panel must be at
// least MinDeterminationReviewers distinct users.
func OpenDetermination(h Hazard, openedBy int64, participants []int64, now time.Time) (Determination, error) {
	if _, err := Transition(h.State, ActionOpenDetermination); err != nil {
		return Determination{}, err
	}
	if openedBy <= 0 {
		return Determination{}, Errorf(EINTERNAL, "open determination of hazard %d: opened by user %d", h.ID, openedBy)
	}
	if len(participants) > maxDeterminationParticipants {
		return Determination{}, FieldErrorf("participants", "at most %d reviewers", maxDeterminationParticipants)
	}
	for i, p := range participants {
		if p <= 0 {
			return Determination{}, FieldErrorf(fmt.Sprintf("participants[%d]", i), "must be a user id")
		}
		if slices.Contains(participants[:i], p) {
			return Determination{}, FieldErrorf(fmt.Sprintf("participants[%d]", i), "user %d is listed twice", p)
		}
	}
	if len(participants) < MinDeterminationReviewers {
		return Determination{}, FieldErrorf("participants", "a determination needs at least %d different reviewers (got %d)", MinDeterminationReviewers, len(participants))
	}
	return Determination{
		HazardID:     h.ID,
		OpenedBy:     openedBy,
		OpenedAt:     now,
		Participants: slices.Clone(participants),
	}, nil
}

// Concluded reports whether the determination has its conclusion.
func (d Determination) Concluded() bool { return d.Conclusion != "" }

// SeesDeliberation reports whether p may see who sat on a determination panel
// and how each reviewer voted, with their reasons: the staff. A merchant (and an
// agency) sees the outcome — the conclusion, the measures and the deadline.
func SeesDeliberation(p Principal) bool { return isStaff(p) }

// Public is d without the panel's deliberation (participants, ballots and who
// opened it), for those who may not see it (SeesDeliberation).
func (d Determination) Public() Determination {
	d.OpenedBy, d.Participants, d.Ballots = 0, nil, nil
	return d
}

// Cast records reviewer's vote at now and returns the updated determination; d is
// not modified. Only a participant may vote, once, and only while d is open.
func (d Determination) Cast(reviewer int64, v Vote, reason string, now time.Time) (Determination, error) {
	if d.Concluded() {
		return d, Errorf(ECONFLICT, "the determination is concluded; no more votes")
	}
	if !slices.Contains(d.Participants, reviewer) {
		return d, Errorf(EFORBIDDEN, "only the reviewers on the panel may vote")
	}
	if !v.Valid() {
		return d, FieldErrorf("vote", "must be major or general (got %q)", v)
	}
	if utf8.RuneCountInString(reason) > maxMeasures {
		return d, FieldErrorf("reason", "is longer than %d characters", maxMeasures)
	}
	for _, b := range d.Ballots {
		if b.ReviewerID == reviewer {
			return d, Errorf(ECONFLICT, "this reviewer has already voted")
		}
	}
	d.Ballots = append(slices.Clone(d.Ballots), Ballot{ReviewerID: reviewer, Vote: v, Reason: strings.TrimSpace(reason), At: now})
	return d, nil
}

// Tally counts the votes.
func (d Determination) Tally() (major, general int) {
	for _, b := range d.Ballots {
		switch b.Vote {
		case VoteMajor:
			major++
		case VoteGeneral:
			general++
		}
	}
	return major, general
}

// Outcome is the severity the votes so far decide: major when more reviewers voted
// major than general, general when fewer, and major on a tie. A tie goes to major
// on purpose: when the panel is split, the hazard is handled as the more
// dangerous one (district responsibility, listed supervision) rather than the
// lighter one; a later determination can still lower it, but an accident in the
// meantime cannot be undone.
func (d Determination) Outcome() Severity {
	major, general := d.Tally()
	if major >= general {
		return SeverityMajor
	}
	return SeverityGeneral
}

// Conclude closes the determination at now with the panel's measures and
// rectification deadline. It needs votes from at least MinDeterminationReviewers
// reviewers; participants who did not vote stay on the record as participants.
// It returns the concluded determination and the hazard action to apply
// (ActionDetermineMajor or ActionDetermineGeneral); d is not modified.
func (d Determination) Conclude(measures string, deadline, now time.Time) (Determination, Action, error) {
	if d.Concluded() {
		return d, "", Errorf(ECONFLICT, "the determination is already concluded")
	}
	if len(d.Ballots) < MinDeterminationReviewers {
		return d, "", FieldErrorf("ballots", "at least %d reviewers must vote before the determination concludes (%d have)", MinDeterminationReviewers, len(d.Ballots))
	}
	measures = strings.TrimSpace(measures)
	if measures == "" {
		return d, "", FieldErrorf("measures", "is required: say what must be done about the hazard")
	}
	if utf8.RuneCountInString(measures) > maxMeasures {
		return d, "", FieldErrorf("measures", "is longer than %d characters", maxMeasures)
	}
	if !deadline.After(now) {
		return d, "", FieldErrorf("deadline", "must be in the future")
	}
	if deadline.Sub(now) > maxLimit {
		return d, "", FieldErrorf("deadline", "must be within 366 days")
	}
	d.Conclusion = d.Outcome()
	d.Measures = measures
	d.Deadline = deadline
	d.ConcludedAt = now
	d.Participants = slices.Clone(d.Participants)
	d.Ballots = slices.Clone(d.Ballots)
	if d.Conclusion == SeverityMajor {
		return d, ActionDetermineMajor, nil
	}
	return d, ActionDetermineGeneral, nil
}

// DeterminationRequest is everything the domain needs to open or conclude a
// determination of a hazard. Storage reads it in the transaction, with the hazard
// (and the open determination) locked, and passes it once to
// TakeOpenDetermination or TakeConcludeDetermination.
type DeterminationRequest struct {
	// ActionRequest is the hazard with its chain head, the actor, the time, the
	// district's policy, the units above the hazard's unit and the site's name;
	// Input.Note is the opener's note. Its Action and Deadline are set by the
	// decision.
	ActionRequest
	// Opening: NewID is the id storage reserved for the determination, so that the
	// panel's invitation can name it before its row is written; Participants are
	// the panel as asked for and Panel the users storage found for them, in the
	// same order (a zero User where there is no such user).
	NewID        int64
	Participants []int64
	Panel        []User
	// Concluding: Open is the open determination, Measures and Deadline are the
	// panel's.
	Open     Determination
	Measures string
	Deadline time.Time
}

// DeterminationOutcome is what opening or concluding a determination decides:
// the determination to store and the hazard action it takes, whose effects
// include the determination's notices.
type DeterminationOutcome struct {
	Determination Determination
	Action        ActionOutcome
}

// TakeOpenDetermination decides the opening of a determination of r.Hazard by
// r.Actor with the panel r.Participants: the determination (OpenDetermination,
// with id r.NewID), a panel of safety officers and admins only (CanSitOnPanel),
// the hazard's open_determination (TakeAction) and the panel's invitation.
func TakeOpenDetermination(r DeterminationRequest) (DeterminationOutcome, error) {
	d, err := OpenDetermination(r.Hazard, r.Actor, r.Participants, r.At)
	if err != nil {
		return DeterminationOutcome{}, err
	}
	for i, id := range r.Participants {
		if i >= len(r.Panel) || r.Panel[i].ID != id || !CanSitOnPanel(r.Panel[i]) {
			return DeterminationOutcome{}, FieldErrorf(fmt.Sprintf("participants[%d]", i), "user %d is not a safety officer or admin", id)
		}
	}
	d.ID = r.NewID
	r.Action, r.ActionRequest.Deadline = ActionOpenDetermination, time.Time{}
	return determinationOutcome(r.ActionRequest, d)
}

// TakeConcludeDetermination decides the conclusion of the open determination
// r.Open with the panel's measures and deadline: the votes decide major or
// general (Determination.Conclude), the hazard takes determine_major or
// determine_general with the panel's deadline (TakeAction), and the panel and
// the site's merchants are told.
func TakeConcludeDetermination(r DeterminationRequest) (DeterminationOutcome, error) {
	d, action, err := r.Open.Conclude(r.Measures, r.Deadline, r.At)
	if err != nil {
		return DeterminationOutcome{}, err
	}
	r.Action, r.Input, r.ActionRequest.Deadline = action, HazardActionInput{Note: d.Measures}, d.Deadline
	return determinationOutcome(r.ActionRequest, d)
}

// determinationOutcome takes the hazard action r of determination d and adds the
// determination's notices to its effects.
func determinationOutcome(r ActionRequest, d Determination) (DeterminationOutcome, error) {
	out, err := TakeAction(r)
	if err != nil {
		return DeterminationOutcome{}, err
	}
	out.Effects.Notices = append(out.Effects.Notices, DeterminationNotices(d, out.Hazard, r.SiteName)...)
	return DeterminationOutcome{Determination: d, Action: out}, nil
}
