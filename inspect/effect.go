package inspect

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Reminder is one reminder job of a deadline: it runs At, Before the deadline.
type Reminder struct {
	Before Duration
	At     time.Time
}

// DeadlineSchedule is what the job system must run for a hazard's deadline: a
// reminder at each offset of the policy still in the future, the deadline job at
// the deadline (even when it is past, so that it runs at once), and a job for
// each of its other time limits (the signature, the re-inspection).
// A zero Deadline plans the time limits alone.
type DeadlineSchedule struct {
	HazardID  int64
	Deadline  time.Time
	Reminders []Reminder
	Limits    []LimitJob
}

// PlanDeadline returns the schedule of h's current deadline under p at now, and
// false for a closed hazard, whose deadline needs no job.
func PlanDeadline(h Hazard, p TimeLimitPolicy, now time.Time) (DeadlineSchedule, bool) {
	if !IsOpen(h.State) {
		return DeadlineSchedule{}, false
	}
	s := DeadlineSchedule{HazardID: h.ID, Deadline: h.Deadline.UTC()}
	for _, before := range p.RemindBefore {
		at := s.Deadline.Add(-time.Duration(before))
		if at.After(now) {
			s.Reminders = append(s.Reminders, Reminder{Before: before, At: at})
		}
	}
	s.Limits = planLimits(h)
	return s, true
}

// Audience says who a notice goes to.
type Audience string

// The audiences storage resolves to users.
const (
	ToSiteMerchants Audience = "site_merchants" // the merchants linked to SiteID
	ToUnitOfficers  Audience = "unit_officers"  // the safety officers whose home unit is UnitID
	ToUsers         Audience = "users"          // UserIDs
)

// Notice is one message the domain decided to send: to whom, what, and the dedup
// key that makes sending it twice store it once. Storage resolves the audience,
// and enqueues it in-app (and by SMS when that is on) in the transaction of the
// change.
type Notice struct {
	To       Audience
	SiteID   int64
	UnitID   int64
	UserIDs  []int64
	Message  HazardMessage
	DedupKey string
}

// Effects are the consequences of a change, as data: storage carries them out in
// the same transaction as the change.
type Effects struct {
	Notices []Notice
	// Supervise, when set, lists the hazard for supervision (or moves the
	// deadline of its listing); storage names the site's first merchant as
	// responsible.
	Supervise *Supervision
	// Schedule, when set, is the deadline's jobs (reminders, the deadline).
	Schedule *DeadlineSchedule
}

// ActionRequest is everything the domain needs to decide one action on a hazard.
// Storage reads it, with the hazard locked, and passes it to TakeAction once.
type ActionRequest struct {
	Hazard Hazard
	// HeadSeq and HeadHash are the head of the hazard's event chain (0 and "" for
	// none).
	HeadSeq  int64
	HeadHash string
	Action   Action
	Input    HazardActionInput
	Actor    int64 // 0 is the system
	At       time.Time
	// Policy is the time-limit policy of the hazard's district.
	Policy TimeLimitPolicy
	// Units are the unit responsible for the hazard and every unit above it: an
	// escalation takes its target from them.
	Units    []Unit
	SiteName string
	// Deadline, when not zero, replaces the deadline the action sets: a
	// determination's panel sets its own.
	Deadline time.Time
	// Overdue names the time limit whose miss makes the system escalate
	// (PassTimeLimit); it is recorded in the escalation's event.
	Overdue TimeLimit
}

// ActionOutcome is what an action decides: the hazard's new state, the event that
// records it (the next link of the chain) and its effects.
type ActionOutcome struct {
	Hazard  Hazard
	Event   Event
	Effects Effects
}

// TakeAction decides action r.Action on r.Hazard: the state machine and the
// escalation rules give the new hazard, the event records the transition, and the
// effects say who is told (the merchants of a notice, the inspector of a
// re-inspection task, the officers of the unit a hazard was escalated to), whether
// a major hazard at the district goes under listed supervision, and which deadline
// jobs to schedule.
func TakeAction(r ActionRequest) (ActionOutcome, error) {
	h, a := r.Hazard, r.Action
	from := h.State
	var payload any
	escalating := false
	if a == ActionResubmit && r.Input.Note != "" {
		h.Note = r.Input.Note // the corrected description
	}
	switch a {
	case ActionReinspectPresent, ActionEscalate, ActionDetermineMajor:
		if _, err := Transition(h.State, a); err != nil {
			return ActionOutcome{}, err
		}
		level := EscalationTarget(h, a)
		i := slices.IndexFunc(r.Units, func(u Unit) bool { return u.Level == level })
		if i < 0 {
			return ActionOutcome{}, Errorf(EINTERNAL, "escalate hazard %d: no %s above unit %d", h.ID, level, h.UnitID)
		}
		next, esc, err := Escalate(h, a, r.Units[i], r.At, r.Policy)
		if err != nil {
			return ActionOutcome{}, err
		}
		if !r.Deadline.IsZero() {
			next.Deadline, esc.Deadline = r.Deadline, r.Deadline
		}
		esc.Overdue = r.Overdue
		escalating = true
		h = trackLimits(next, a, r.At, r.Policy, &esc, r.Deadline.IsZero())
		payload = struct {
			Escalation
			TransitionPayload
		}{esc, TransitionPayload{From: from, To: next.State, Note: r.Input.Note, PhotoIDs: r.Input.PhotoIDs}}
	default:
		next, err := h.Apply(a, r.At, r.Policy)
		if err != nil {
			return ActionOutcome{}, err
		}
		if !r.Deadline.IsZero() {
			next.Deadline = r.Deadline
		}
		tp := TransitionPayload{From: from, To: next.State, Note: r.Input.Note, PhotoIDs: r.Input.PhotoIDs}
		if a == ActionDeadlinePassed {
			passed := h.Deadline.UTC()
			tp.PassedDeadline = &passed
		}
		h = trackLimits(next, a, r.At, r.Policy, nil, false)
		payload = tp
	}
	var prev *Event
	if r.HeadSeq > 0 {
		prev = &Event{HazardID: h.ID, Seq: r.HeadSeq, Hash: r.HeadHash}
	}
	e, err := NewEvent(prev, h.ID, r.Actor, r.At, string(a), payload)
	if err != nil {
		return ActionOutcome{}, err
	}
	out := ActionOutcome{Hazard: h, Event: e}
	if escalating && NeedsSupervision(h) {
		out.Effects.Supervise = &Supervision{HazardID: h.ID, SupervisingUnitID: h.UnitID, Deadline: h.Deadline}
	}
	out.Effects.Notices = noticesAfter(h, a, e, r.SiteName)
	if plan, ok := PlanDeadline(h, r.Policy, r.At); ok {
		out.Effects.Schedule = &plan
	}
	return out, nil
}

// noticesAfter is who action a on h (recorded as event e) tells: the merchants
// of the notice, of the deadline after a determination of general and of a
// re-inspection that found the hazard not fixed; the
// inspector of the re-inspection task; the safety officers of the unit a hazard
// was escalated to.
func noticesAfter(h Hazard, a Action, e Event, site string) []Notice {
	key := HazardEventKey(h.ID, e.Seq)
	switch a {
	case ActionNotify, ActionDetermineGeneral:
		return []Notice{{To: ToSiteMerchants, SiteID: h.SiteID, Message: NotifiedMessage(h, site), DedupKey: key}}
	case ActionDeadlinePassed:
		if h.InspectorID == 0 {
			return nil
		}
		return []Notice{{To: ToUsers, UserIDs: []int64{h.InspectorID}, Message: ReinspectionMessage(h, site, h.Deadline), DedupKey: DeadlineDueKey(h.ID, h.Deadline)}}
	case ActionReinspectPresent:
		// The merchant, who sent proof and waits, learns it was not enough and why.
		var p TransitionPayload
		_ = json.Unmarshal(e.Payload, &p) // an unreadable payload only loses the reason
		return []Notice{{To: ToUnitOfficers, UnitID: h.UnitID, Message: EscalatedMessage(h, site), DedupKey: key},
			{To: ToSiteMerchants, SiteID: h.SiteID, Message: NotFixedMessage(h, site, p.Note), DedupKey: key}}
	case ActionEscalate, ActionDetermineMajor:
		return []Notice{{To: ToUnitOfficers, UnitID: h.UnitID, Message: EscalatedMessage(h, site), DedupKey: key}}
	}
	return nil
}

// PassDeadline is the deadline job's decision: when h still has the planned
// deadline and its clock runs (notified or escalated), the system takes
// deadline_passed (r.Action is ignored) and the outcome is returned with true;
// otherwise the job is stale and nothing happens (false).
func PassDeadline(r ActionRequest, planned time.Time) (ActionOutcome, bool, error) {
	if !r.Hazard.Deadline.Equal(planned) || !ClockRuns(r.Hazard.State) {
		return ActionOutcome{}, false, nil
	}
	r.Action, r.Actor, r.Input = ActionDeadlinePassed, 0, HazardActionInput{}
	out, err := TakeAction(r)
	// The deadline did not move and its job is the one running: only the
	// re-inspection's limit is new (planning the deadline and its reminders again
	// would only find their jobs already there).
	if s := out.Effects.Schedule; s != nil {
		s.Deadline, s.Reminders = time.Time{}, nil
	}
	return out, err == nil, err
}

// RemindDeadline is the reminder job's decision: when h is open and still has the
// planned deadline, the reminder goes to the site's merchants (while the clock
// runs) and the responsible inspector; otherwise the job is stale (no notices).
func RemindDeadline(h Hazard, planned time.Time, before Duration, site string) []Notice {
	if !IsOpen(h.State) || !h.Deadline.Equal(planned) {
		return nil
	}
	msg, key := ReminderMessage(h, site, before), DeadlineReminderKey(h.ID, h.Deadline, before)
	var out []Notice
	if RemindMerchant(h.State) {
		out = append(out, Notice{To: ToSiteMerchants, SiteID: h.SiteID, Message: msg, DedupKey: key})
	}
	if RemindInspector(h.State) && h.InspectorID != 0 {
		out = append(out, Notice{To: ToUsers, UserIDs: []int64{h.InspectorID}, Message: msg, DedupKey: key})
	}
	return out
}

// FixedOnSpotAction is the action that closes open hazard h when an inspector
// finds it fixed on the spot: fix_on_spot where the state machine allows it,
// else reinspect_fixed; a hazard in neither case is ECONFLICT.
func FixedOnSpotAction(h Hazard) (Action, error) {
	for _, a := range []Action{ActionFixOnSpot, ActionReinspectFixed} {
		if _, err := Transition(h.State, a); err == nil {
			return a, nil
		}
	}
	return "", Errorf(ECONFLICT, "hazard %d for this rule at this site is %s; record this finding as a hazard, not as fixed on the spot", h.ID, h.State)
}

// DeterminationOnly reports whether a is taken only by a determination, with its
// panel (opening it, concluding major or general): one officer must not declare a
// hazard major (or general) through the generic action.
func DeterminationOnly(a Action) bool {
	switch a {
	case ActionOpenDetermination, ActionDetermineMajor, ActionDetermineGeneral:
		return true
	}
	return false
}

// CheckHazardAction checks, before anything is read, that action a may be asked
// for through the generic hazard action: a known action, not one a determination
// takes, not the scheduler's.
func CheckHazardAction(a Action) error {
	if _, err := Transition(StateOpen, a); ErrorCode(err) == EINVALID {
		return err
	}
	if DeterminationOnly(a) {
		return FieldErrorf("action", "%s is taken through a determination: a determination needs a panel of at least %d reviewers",
			a, MinDeterminationReviewers)
	}
	if a == ActionDeadlinePassed {
		return Errorf(EFORBIDDEN, "%s is recorded by the scheduler only", a)
	}
	return nil
}

// DeterminationNotices is who hears of determination d of hazard h at site
// siteName: when it is open, its panel is invited; when concluded, the panel and
// the site's merchants are told the outcome.
func DeterminationNotices(d Determination, h Hazard, siteName string) []Notice {
	if d.ConcludedAt.IsZero() {
		return []Notice{{To: ToUsers, UserIDs: d.Participants, Message: DeterminationRequestedMessage(h, siteName),
			DedupKey: fmt.Sprintf("hazard:%d:determination:%d:requested", h.ID, d.ID)}}
	}
	msg, key := DeterminationConcludedMessage(h, siteName, d), fmt.Sprintf("hazard:%d:determination:%d:concluded", h.ID, d.ID)
	return []Notice{
		{To: ToUsers, UserIDs: d.Participants, Message: msg, DedupKey: key},
		{To: ToSiteMerchants, SiteID: h.SiteID, Message: msg, DedupKey: key},
	}
}
