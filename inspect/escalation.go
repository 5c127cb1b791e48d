package inspect

import "time"

// Escalation is the payload of the event that records an escalation: where
// responsibility was and where it went, and the deadlines before and after.
type Escalation struct {
	Reason           Action    `json:"reason"`
	FromLevel        Level     `json:"from_level"`
	FromUnitID       int64     `json:"from_unit_id"`
	ToLevel          Level     `json:"to_level"`
	ToUnitID         int64     `json:"to_unit_id"`
	PreviousDeadline time.Time `json:"previous_deadline"`
	Deadline         time.Time `json:"deadline"`
	// SignBy is when the new unit must have signed for the hazard.
	SignBy time.Time `json:"sign_by"`
	// Overdue names the time limit whose miss caused the escalation (sign,
	// sign_grace, reinspect); empty for a person's escalation.
	Overdue TimeLimit `json:"overdue,omitempty"`
}

// EscalationTarget returns the level that responsibility for h moves to when action
// by escalates it: the district for a major hazard (or a determination of major),
// the level just above h.Level otherwise. At the district, the top, it stays at the
// district (with a new deadline). Storage looks up the unit of that level above
// h.UnitID and passes it to Escalate.
func EscalationTarget(h Hazard, by Action) Level {
	if by == ActionDetermineMajor || h.Severity == SeverityMajor {
		return LevelDistrict
	}
	if next, ok := NextLevel(h.Level); ok {
		return next
	}
	return LevelDistrict
}

// Escalate moves responsibility for h to target because of action by
// (reinspect_present, escalate or determine_major), at now: the state becomes
// escalated, the responsible unit target, the deadline target level's limit from
// the policy. A determination of major makes h major and sends it straight to the
// district. It returns the updated hazard and the payload for the event log.
//
// target must be the unit of level EscalationTarget(h, by) above h's unit (h's own
// unit when h is already at the district); another level is EINTERNAL, since it is
// the caller's mistake, not the user's.
func Escalate(h Hazard, by Action, target Unit, now time.Time, p TimeLimitPolicy) (Hazard, Escalation, error) {
	switch by {
	case ActionReinspectPresent, ActionEscalate, ActionDetermineMajor:
	default:
		return h, Escalation{}, Errorf(EINTERNAL, "escalate hazard %d: %s is not an escalating action", h.ID, by)
	}
	next, err := Transition(h.State, by)
	if err != nil {
		return h, Escalation{}, err
	}
	want := EscalationTarget(h, by)
	if target.Level != want || target.ID <= 0 {
		return h, Escalation{}, Errorf(EINTERNAL, "escalate hazard %d: target unit %d is a %q, want a %s", h.ID, target.ID, target.Level, want)
	}
	if h.Level == LevelDistrict && target.ID != h.UnitID {
		return h, Escalation{}, Errorf(EINTERNAL, "escalate hazard %d: already at district %d, target %d", h.ID, h.UnitID, target.ID)
	}
	if by == ActionDetermineMajor {
		h.Severity = SeverityMajor
	}
	e := Escalation{
		Reason:           by,
		FromLevel:        h.Level,
		FromUnitID:       h.UnitID,
		ToLevel:          target.Level,
		ToUnitID:         target.ID,
		PreviousDeadline: h.Deadline,
		Deadline:         p.Deadline(target.Level, h.Severity, now),
		SignBy:           p.SignDeadline(now),
	}
	h.State = next
	h.Level = target.Level
	h.UnitID = target.ID
	h.Deadline = e.Deadline
	h.Escalations++
	return h, e, nil
}
