package inspect

import (
	"fmt"
	"time"
)

// Time limits besides the rectification deadline: the signature (签收) of the
// party a hazard is handed to, and the re-inspection after a passed deadline.
//
// What signing means. A hazard is handed to a party twice in its life: to the
// merchant when the notice goes out (notify, or a determination of general),
// and to a unit when it is escalated. That party must sign for it, saying "we
// have it", within the policy's SignWithin:
//   - the merchant signs by acknowledging the rectification notice (the drawn
//     signature under document "notice", POST /hazards/{id}/acknowledgement) or with
//     POST /hazards/{id}/sign; proof of the fix answers for a signature too;
//   - a unit signs through one of its safety officers, or one of a unit above it
//     (who gets its notices when it has none), with POST /hazards/{id}/sign.
//
// A hazard nobody signed for in time escalates one level, to a unit that must
// sign for it in turn; when the policy gives a SignGrace, the party is reminded
// first and the hazard escalates only when the grace ran out unsigned too. At the
// district, the top, there is nowhere to go: its officers are reminded instead.
// A re-inspection that is not made within ReinspectWithin of the passed deadline
// escalates too (escalate, by the system).

// SignParty is who must sign for a hazard handed to them.
type SignParty string

// The parties.
const (
	// SignMerchant: the site's merchant, for the rectification notice.
	SignMerchant SignParty = "merchant"
	// SignUnit: the responsible unit (h.UnitID), after an escalation.
	SignUnit SignParty = "unit"
)

// EventSigned is the event of a signature for a hazard (payload Signed).
const EventSigned = "signed"

// EventPolicyApplied is the event of an admin moving an open hazard's time limits
// to the district's changed policy (payload PolicyApplied).
const EventPolicyApplied = "policy_applied"

// Signed is the payload of the signed event.
type Signed struct {
	Party SignParty `json:"party"`
	// UnitID is the unit that signed (SignUnit).
	UnitID int64     `json:"unit_id,omitempty"`
	SignBy time.Time `json:"sign_by"`
	// Late is set when the signature came after SignBy (the job had not yet run).
	Late bool `json:"late,omitempty"`
	// Via is "notice" when the merchant's signed acknowledgement of the
	// rectification notice was the signature.
	Via string `json:"via,omitempty"`
}

// SignFor records that party signs for h at now and returns h signed for with
// the event's payload. Nothing waiting for a signature, or for another party's,
// is ECONFLICT.
func SignFor(h Hazard, party SignParty, now time.Time) (Hazard, Signed, error) {
	if !IsOpen(h.State) || h.SignBy == nil {
		return h, Signed{}, Errorf(ECONFLICT, "hazard %d waits for no signature", h.ID)
	}
	if h.SignParty != party {
		return h, Signed{}, Errorf(ECONFLICT, "hazard %d waits for the %s's signature, not the %s's", h.ID, h.SignParty, party)
	}
	s := Signed{Party: party, SignBy: h.SignBy.UTC(), Late: now.After(*h.SignBy)}
	if party == SignUnit {
		s.UnitID = h.UnitID
	}
	h.SignParty, h.SignBy = "", nil
	return h, s, nil
}

// SignerParty returns the party p signs for h as, and false when p may not sign
// for it: a merchant of the site signs for the notice, a safety officer whose
// subtree holds the responsible unit signs for the unit. Admins do not sign: a
// signature says that the party itself has the hazard.
func (p Principal) SignerParty(h Hazard) (SignParty, bool) {
	switch {
	case h.SignParty == SignMerchant && p.ownsSite(h.SiteID):
		return SignMerchant, true
	case h.SignParty == SignUnit && p.User.Role == RoleSafetyOfficer && p.InScope(h.UnitID):
		return SignUnit, true
	}
	return "", false
}

// TimeLimit names a time limit a job watches besides the rectification deadline.
type TimeLimit string

// The time limits.
const (
	// LimitSign: the party must have signed for the hazard (SignBy).
	LimitSign TimeLimit = "sign"
	// LimitSignGrace: the grace after the reminder of a missed signature.
	LimitSignGrace TimeLimit = "sign_grace"
	// LimitReinspect: the inspector must have re-inspected (ReinspectBy).
	LimitReinspect TimeLimit = "reinspect"
)

// Valid reports whether l is a known time limit.
func (l TimeLimit) Valid() bool {
	return l == LimitSign || l == LimitSignGrace || l == LimitReinspect
}

// LimitJob is one time-limit job: at At, see whether Limit, planned for Due (the
// hazard's SignBy or ReinspectBy then), was kept.
type LimitJob struct {
	Limit TimeLimit
	Due   time.Time
	At    time.Time
}

// planLimits are the time-limit jobs of h's current limits.
func planLimits(h Hazard) []LimitJob {
	var out []LimitJob
	if h.SignBy != nil {
		out = append(out, LimitJob{Limit: LimitSign, Due: h.SignBy.UTC(), At: h.SignBy.UTC()})
	}
	if h.ReinspectBy != nil {
		out = append(out, LimitJob{Limit: LimitReinspect, Due: h.ReinspectBy.UTC(), At: h.ReinspectBy.UTC()})
	}
	return out
}

// LimitOutcome is what a time-limit job decided: an escalation (Change), or a
// reminder (Effects alone), or nothing (the job was stale).
type LimitOutcome struct {
	Change  *ActionOutcome
	Effects Effects
}

// Acted reports whether the job did anything.
func (o LimitOutcome) Acted() bool {
	return o.Change != nil || len(o.Effects.Notices) > 0 || o.Effects.Schedule != nil
}

// PassTimeLimit is the time-limit job's decision for limit, planned for due, on
// r.Hazard at r.At. The job is stale (a zero outcome) when the hazard closed or
// no longer has that limit at due: it was signed for, re-inspected, escalated,
// or an admin moved the limit. Otherwise:
//   - a missed signature escalates the hazard one level (escalate, by the
//     system), unless the policy gives a grace: then the party is reminded and a
//     LimitSignGrace job is planned at the grace's end, which escalates. At the
//     district, the top, the district's officers are reminded instead;
//   - a missed re-inspection escalates the hazard.
func PassTimeLimit(r ActionRequest, limit TimeLimit, due time.Time) (LimitOutcome, error) {
	h := r.Hazard
	if !IsOpen(h.State) {
		return LimitOutcome{}, nil
	}
	switch limit {
	case LimitSign, LimitSignGrace:
		if h.SignBy == nil || !h.SignBy.Equal(due) {
			return LimitOutcome{}, nil
		}
		if _, err := Transition(h.State, ActionEscalate); err != nil {
			return LimitOutcome{}, nil
		}
		if limit == LimitSign && r.Policy.SignGrace > 0 {
			end := due.Add(time.Duration(r.Policy.SignGrace)).UTC()
			return LimitOutcome{Effects: Effects{
				Notices: []Notice{signNotice(h, r.SiteName, due, false)},
				Schedule: &DeadlineSchedule{HazardID: h.ID,
					Limits: []LimitJob{{Limit: LimitSignGrace, Due: due.UTC(), At: end}}},
			}}, nil
		}
		if h.Level == LevelDistrict {
			return LimitOutcome{Effects: Effects{Notices: []Notice{signNotice(h, r.SiteName, due, true)}}}, nil
		}
	case LimitReinspect:
		if h.State != StateReinspectionDue || h.ReinspectBy == nil || !h.ReinspectBy.Equal(due) {
			return LimitOutcome{}, nil
		}
	default:
		return LimitOutcome{}, Errorf(EINTERNAL, "hazard %d: unknown time limit %q", h.ID, limit)
	}
	r.Action, r.Actor, r.Input, r.Overdue, r.Deadline = ActionEscalate, 0, HazardActionInput{}, limit, time.Time{}
	out, err := TakeAction(r)
	if err != nil {
		return LimitOutcome{}, fmt.Errorf("escalate hazard %d for its %s limit %s: %w", h.ID, limit, due, err)
	}
	return LimitOutcome{Change: &out}, nil
}

// signNotice reminds the party of h that its signature, due at due, is missing:
// the merchants of the site or the officers of the responsible unit. overdue
// says it is the district's, for which there is no escalation left.
func signNotice(h Hazard, site string, due time.Time, overdue bool) Notice {
	n := Notice{To: ToUnitOfficers, UnitID: h.UnitID, Message: SignReminderMessage(h, site, due),
		DedupKey: fmt.Sprintf("hazard:%d:sign:%s:remind", h.ID, due.UTC().Format(time.RFC3339))}
	if h.SignParty == SignMerchant {
		n.To, n.UnitID, n.SiteID = ToSiteMerchants, 0, h.SiteID
	}
	if overdue {
		n.DedupKey = fmt.Sprintf("hazard:%d:sign:%s:overdue", h.ID, due.UTC().Format(time.RFC3339))
	}
	return n
}

// SignReminderMessage tells the party of h that it has not signed for it by due.
// It is a deadline reminder (KindDeadlineReminder) about the signature.
func SignReminderMessage(h Hazard, site string, due time.Time) HazardMessage {
	return HazardMessage{
		Kind:   KindDeadlineReminder,
		TextZH: fmt.Sprintf("【签收提醒】%s 的隐患（%s，编号 %d）应于 %s 前签收，至今未签收，请立即签收。", site, h.RuleCode, h.ID, clock(due)),
		TextEN: fmt.Sprintf("Hazard %d (%s) at %s was to be signed for by %s and is not yet: please sign for it now.", h.ID, h.RuleCode, site, clock(due)),
	}
}

// trackLimits updates the time limits of h after action a took it to its new
// state at at: a hand-over (the notice to the merchant, an escalation to a unit,
// esc set) starts a signature limit; a passed deadline starts the re-inspection
// limit; a state in which a missed limit can no longer escalate ends it (proof
// submitted, a determination opened, closed). byPolicy says an escalation's
// deadline is the policy's (no panel set it).
func trackLimits(h Hazard, a Action, at time.Time, p TimeLimitPolicy, esc *Escalation, byPolicy bool) Hazard {
	at = at.UTC()
	switch {
	case esc != nil:
		sign := esc.SignBy.UTC()
		h.HandedAt, h.SignParty, h.SignBy, h.DeadlineByPolicy = &at, SignUnit, &sign, byPolicy
	case a == ActionNotify || a == ActionDetermineGeneral:
		sign := p.SignDeadline(at).UTC()
		h.HandedAt, h.SignParty, h.SignBy, h.DeadlineByPolicy = &at, SignMerchant, &sign, false
	}
	if _, err := Transition(h.State, ActionEscalate); err != nil || !IsOpen(h.State) {
		h.SignParty, h.SignBy = "", nil
	}
	switch {
	case a == ActionDeadlinePassed:
		by := p.ReinspectDeadline(h.Deadline).UTC()
		h.ReinspectBy = &by
	case h.State != StateReinspectionDue:
		h.ReinspectBy = nil
	}
	return h
}

// PolicyApplied is the payload of the event that records an admin applying the
// district's policy, as it is now, to an open hazard's time limits: each limit
// that moved, before and after. The event's actor is the admin.
type PolicyApplied struct {
	PreviousDeadline    *time.Time `json:"previous_deadline,omitempty"`
	Deadline            *time.Time `json:"deadline,omitempty"`
	PreviousSignBy      *time.Time `json:"previous_sign_by,omitempty"`
	SignBy              *time.Time `json:"sign_by,omitempty"`
	PreviousReinspectBy *time.Time `json:"previous_reinspect_by,omitempty"`
	ReinspectBy         *time.Time `json:"reinspect_by,omitempty"`
}

// DeadlineMove is one hazard whose time limits an admin moved (PolicyApplied).
type DeadlineMove struct {
	HazardID int64 `json:"hazard_id"`
	PolicyApplied
}

// ApplyPolicy is the decision of an admin (r.Actor) applying r.Policy, the
// district's policy now, to open hazard r.Hazard at r.At. Each time limit that
// the policy set is computed again from when it started: the rectification
// deadline of an escalation (DeadlineByPolicy) from HandedAt while its clock
// runs, the signature from HandedAt, the re-inspection from the passed deadline.
// A deadline an inspector, a rule or a panel set stays. When nothing moves it
// returns false; otherwise the hazard, the policy_applied event and the new
// limits' jobs (the old jobs find their limit moved and do nothing). A limit
// moved into the past is due at once.
func ApplyPolicy(r ActionRequest) (ActionOutcome, bool, error) {
	h, p := r.Hazard, r.Policy
	if !IsOpen(h.State) || h.HandedAt == nil && h.ReinspectBy == nil {
		return ActionOutcome{}, false, nil
	}
	var pa PolicyApplied
	move := func(cur *time.Time, next time.Time, prev, now **time.Time) *time.Time {
		next = next.UTC()
		if cur == nil || cur.Equal(next) {
			return cur
		}
		old := cur.UTC()
		*prev, *now = &old, &next
		return &next
	}
	if h.DeadlineByPolicy && h.HandedAt != nil && ClockRuns(h.State) {
		d := move(&h.Deadline, p.Deadline(h.Level, h.Severity, *h.HandedAt), &pa.PreviousDeadline, &pa.Deadline)
		h.Deadline = *d
	}
	if h.SignBy != nil && h.HandedAt != nil {
		h.SignBy = move(h.SignBy, p.SignDeadline(*h.HandedAt), &pa.PreviousSignBy, &pa.SignBy)
	}
	if h.ReinspectBy != nil {
		h.ReinspectBy = move(h.ReinspectBy, p.ReinspectDeadline(h.Deadline), &pa.PreviousReinspectBy, &pa.ReinspectBy)
	}
	if pa.Deadline == nil && pa.SignBy == nil && pa.ReinspectBy == nil {
		return ActionOutcome{}, false, nil
	}
	var prev *Event
	if r.HeadSeq > 0 {
		prev = &Event{HazardID: h.ID, Seq: r.HeadSeq, Hash: r.HeadHash}
	}
	e, err := NewEvent(prev, h.ID, r.Actor, r.At, EventPolicyApplied, pa)
	if err != nil {
		return ActionOutcome{}, false, err
	}
	out := ActionOutcome{Hazard: h, Event: e}
	if pa.Deadline != nil && NeedsSupervision(h) {
		out.Effects.Supervise = &Supervision{HazardID: h.ID, SupervisingUnitID: h.UnitID, Deadline: h.Deadline}
	}
	if plan, ok := PlanDeadline(h, p, r.At); ok {
		out.Effects.Schedule = &plan
	}
	return out, true, nil
}
