package inspect

import "time"

// Merchant self-inspection (自查自纠): a merchant runs their own site's checklist
// on the phone, with photos, through the same inspection as an inspector's. It is
// an Inspection with SelfCheck set whose "inspector" is the merchant. A failed
// item becomes a hazard marked SelfReported, with the rule's severity and the
// normal deadline, the responsibility of the grid's inspector (who sees it in
// their lists and re-inspects it); the KPIs count self-reported hazards apart
// (KPI.SelfReported).

// SelfCheckDue is how long a merchant has to finish a self-inspection once begun.
const SelfCheckDue = 7 * 24 * time.Hour

// CanSelfInspect reports whether p may run a self-inspection of site s: its
// merchants.
func (p Principal) CanSelfInspect(s Site) bool {
	return p.User.Role == RoleMerchant && p.ownsSite(s.ID)
}

// NewSelfInspection returns the self-inspection of site s by merchant m, begun at
// now: assigned to m by m, due SelfCheckDue later. gridInspector is the inspector
// of the site's grid (0 when it has none): without one nobody would act on the
// hazards it finds, so it is a conflict the office must resolve first.
func NewSelfInspection(s Site, m User, gridInspector int64, now time.Time) (Inspection, error) {
	if m.Role != RoleMerchant {
		return Inspection{}, Errorf(EFORBIDDEN, "only a merchant of site %d runs its self-inspection", s.ID)
	}
	if gridInspector == 0 {
		return Inspection{}, Errorf(ECONFLICT, "grid %d of site %d has no inspector to take up what a self-inspection finds; the district's safety office must assign one", s.GridID, s.ID)
	}
	return Inspection{
		SiteID:      s.ID,
		InspectorID: m.ID,
		AssignedBy:  m.ID,
		Due:         now.Add(SelfCheckDue),
		Status:      InspectionAssigned,
		SelfCheck:   true,
		CreatedAt:   now,
	}, nil
}

// SelfCheckAnswer checks a merchant's answer to an item of their self-inspection
// and returns it as recorded: a failed item is always a hazard with the rule's
// severity and the default deadline. A merchant does not grade their own
// hazard, and cannot close it on the spot: the inspector confirms the fix.
func SelfCheckAnswer(it Item) (Item, error) {
	if it.Answer != AnswerFail {
		return it, nil
	}
	if it.Outcome == OutcomeFixedOnSpot {
		return it, FieldErrorf("outcome", "a self-inspection cannot close a hazard on the spot; the grid's inspector confirms the fix")
	}
	if it.Severity != "" || !it.Deadline.IsZero() {
		return it, FieldErrorf("severity", "a self-inspection takes the rule's severity and deadline; leave severity and deadline out")
	}
	it.Outcome = OutcomeHazard
	return it, nil
}

// SelfFinding makes finding f, from a failed item of a self-inspection, the grid
// inspector's self-reported hazard.
func SelfFinding(f Finding, gridInspector int64) Finding {
	f.SelfReported = true
	f.InspectorID = gridInspector
	return f
}
