package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// KPICounts are the counts behind the office's KPIs for one period and one scope,
// as storage counts them. Every count is over the same set: the hazards found in
// the scope (their grid is in the unit's subtree) and recorded in the period
// [from, to) — so that a month's figures do not change as later months go by,
// except as those hazards themselves move on.
type KPICounts struct {
	// Received counts the hazards of the set, fixed on the spot included and
	// withdrawn findings excluded (they were not hazards).
	Received int64 `json:"received"`
	// Closed counts those of them closed (closed_fixed or closed_on_spot).
	Closed int64 `json:"closed"`
	// ClosedOnTime counts the closed ones closed by their deadline at closure (the
	// last deadline, after any escalation).
	ClosedOnTime int64 `json:"closed_on_time"`
	// Findings counts the findings of the set that went to the office's review:
	// every one not fixed on the spot, withdrawn ones included. Returned counts
	// those returned for correction at least once.
	Findings int64 `json:"findings"`
	Returned int64 `json:"returned"`
	// Ratings counts the merchants' ratings of the set, RatingSum adds their stars
	// and RatingsAtLeast4 counts those of 4 or 5 stars.
	Ratings         int64 `json:"ratings"`
	RatingSum       int64 `json:"rating_sum"`
	RatingsAtLeast4 int64 `json:"ratings_at_least_4"`
	// SelfReceived and SelfClosed are the parts of Received and Closed that the
	// merchants reported themselves in a self-inspection (自查自纠).
	SelfReceived int64 `json:"self_received"`
	SelfClosed   int64 `json:"self_closed"`
}

// Rate is a share with its numerator and denominator, so a dashboard can show
// "37 of 40" as well as 92.5 %. A rate over zero items is undefined, not 0 %.
type Rate struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.Den > 0 }

// Value returns Num/Den in [0, 1], and 0 when undefined.
func (r Rate) Value() float64 {
	if r.Den <= 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// MarshalJSON writes {"num":37,"den":40,"value":0.925}, with "value":null when
// the rate is undefined.
func (r Rate) MarshalJSON() ([]byte, error) {
	var v *float64
	if r.Defined() {
		x := r.Value()
		v = &x
	}
	return json.Marshal(struct {
		Num   int64    `json:"num"`
		Den   int64    `json:"den"`
		Value *float64 `json:"value"`
	}{r.Num, r.Den, v})
}

// KPI are the five figures the safety office is measured by.
type KPI struct {
	// Volume (办件量) is the number of hazards received.
	Volume int64 `json:"volume"`
	// Completion (办结率) is closed / received.
	Completion Rate `json:"completion"`
	// OnTime (及时率) is closed by the deadline / closed.
	OnTime Rate `json:"on_time"`
	// Satisfaction (满意率) is the merchants' ratings.
	Satisfaction Satisfaction `json:"satisfaction"`
	// Returned (退回率) is findings returned for correction / findings reviewed.
	Returned Rate `json:"returned"`
	// SelfReported are the hazards merchants reported in their own
	// self-inspections, shown apart: they are part of Volume and Completion (the
	// office still sees them rectified), but were not found by an inspector.
	SelfReported SelfReported `json:"self_reported"`
}

// SelfReported counts the self-reported hazards among those of a KPI report.
type SelfReported struct {
	// Volume is the self-reported hazards received.
	Volume int64 `json:"volume"`
	// Completion is those of them closed / received.
	Completion Rate `json:"completion"`
}

// Satisfaction is the average of the 1–5 star ratings and the share of 4 or 5.
type Satisfaction struct {
	// Average is the mean rating; nil (JSON null) when there are no ratings.
	Average *float64 `json:"average"`
	// Share4Plus is ratings of 4 or 5 stars / ratings.
	Share4Plus Rate `json:"share_4_plus"`
}

// ComputeKPI computes the KPIs from the counts. Inconsistent counts (negative, or a
// part larger than its whole) are a storage bug and an error.
func ComputeKPI(c KPICounts) (KPI, error) {
	type part struct {
		name      string
		num, den  int64
		wholeName string
	}
	for _, p := range []part{
		{"closed", c.Closed, c.Received, "received"},
		{"closed_on_time", c.ClosedOnTime, c.Closed, "closed"},
		{"returned", c.Returned, c.Findings, "findings"},
		{"ratings_at_least_4", c.RatingsAtLeast4, c.Ratings, "ratings"},
		{"self_received", c.SelfReceived, c.Received, "received"},
		{"self_closed", c.SelfClosed, c.SelfReceived, "self_received"},
		{"self_closed", c.SelfClosed, c.Closed, "closed"},
	} {
		if p.num < 0 || p.den < 0 || p.num > p.den {
			return KPI{}, fmt.Errorf("kpi counts: %s %d against %s %d", p.name, p.num, p.wholeName, p.den)
		}
	}
	// Each rating is 1–5 stars, and 4–5 for those counted in RatingsAtLeast4.
	low, high := c.Ratings-c.RatingsAtLeast4, c.RatingsAtLeast4
	if c.RatingSum < low+4*high || c.RatingSum > 3*low+5*high {
		return KPI{}, fmt.Errorf("kpi counts: rating sum %d for %d ratings (%d of 4+)", c.RatingSum, c.Ratings, c.RatingsAtLeast4)
	}
	k := KPI{
		Volume:       c.Received,
		Completion:   Rate{c.Closed, c.Received},
		OnTime:       Rate{c.ClosedOnTime, c.Closed},
		Satisfaction: Satisfaction{Share4Plus: Rate{c.RatingsAtLeast4, c.Ratings}},
		Returned:     Rate{c.Returned, c.Findings},
		SelfReported: SelfReported{Volume: c.SelfReceived, Completion: Rate{c.SelfClosed, c.SelfReceived}},
	}
	if c.Ratings > 0 {
		avg := float64(c.RatingSum) / float64(c.Ratings)
		k.Satisfaction.Average = &avg
	}
	return k, nil
}

// ReportZone is the time zone of the days a KPI period is given in: China
// Standard Time, where the users are. A fixed zone keeps the domain free of the
// time zone database.
var ReportZone = time.FixedZone("CST", 8*3600)

// Period is a KPI period: the hazards recorded from From (inclusive) to To
// (exclusive).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ParsePeriod reads a period from two days written YYYY-MM-DD in ReportZone:
// from midnight of from up to (not including) midnight of to, so that
// 2025-03-01 to 2025-04-01 is March. Errors are EINVALID naming the field.
func ParsePeriod(from, to string) (Period, error) {
	f, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(from), ReportZone)
	if err != nil {
		return Period{}, FieldErrorf("from", "must be a day written YYYY-MM-DD (got %q)", from)
	}
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(to), ReportZone)
	if err != nil {
		return Period{}, FieldErrorf("to", "must be a day written YYYY-MM-DD (got %q)", to)
	}
	if !t.After(f) {
		return Period{}, FieldErrorf("to", "must be after from (the period is from, inclusive, to to, exclusive)")
	}
	return Period{From: f, To: t}, nil
}

// KPIReport is the KPIs of one unit's subtree over one period, with the counts
// they were computed from.
type KPIReport struct {
	UnitID   int64     `json:"unit_id"`
	UnitName string    `json:"unit_name"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Counts   KPICounts `json:"counts"`
	KPI
	// Planned is the work of the inspection plans due in the period, Visits the
	// merchants' requests for a visit made in it (KPIWork).
	KPIWork
}

// KPIWork is how the unit kept its own appointments: the inspections its plans
// made, due in the period, and the visits merchants asked for in it.
type KPIWork struct {
	Planned PlannedWork `json:"planned"`
	Visits  VisitWork   `json:"visits"`
}

// PlannedWork counts the planned inspections due in a period.
type PlannedWork struct {
	// Due is the planned inspections due in the period; Done those submitted,
	// DoneOnTime those submitted by their due time, and Overdue those not
	// submitted whose due time has passed (计划逾期).
	Due        int64 `json:"due"`
	Done       int64 `json:"done"`
	DoneOnTime int64 `json:"done_on_time"`
	Overdue    int64 `json:"overdue"`
}

// VisitWork is the response to the merchants' requests for a visit (预约呼叫)
// made in a period.
type VisitWork struct {
	// Requests were made; Answered were answered by a submitted inspection,
	// AnsweredInTime within VisitResponseTime of the request.
	Requests       int64 `json:"requests"`
	Answered       int64 `json:"answered"`
	AnsweredInTime int64 `json:"answered_in_time"`
	// AverageResponseHours is the mean time from request to the submitted
	// inspection, in hours; nil when none was answered.
	AverageResponseHours *float64 `json:"average_response_hours"`
}

// WriteText writes the report as a small table for a terminal.
func (r KPIReport) WriteText(w io.Writer) {
	day := func(t time.Time) string { return t.In(ReportZone).Format(time.DateOnly) }
	rate := func(x Rate) string {
		if !x.Defined() {
			return "n/a (none)"
		}
		return fmt.Sprintf("%.1f%% (%d of %d)", 100*x.Value(), x.Num, x.Den)
	}
	avg := "n/a (no ratings)"
	if r.Satisfaction.Average != nil {
		avg = fmt.Sprintf("%.2f", *r.Satisfaction.Average)
	}
	fmt.Fprintf(w, "KPIs of %s (unit %d) for hazards recorded from %s up to %s (exclusive, UTC+8)\n", r.UnitName, r.UnitID, day(r.From), day(r.To))
	fmt.Fprintf(w, "  volume (办件量)            %d\n", r.Volume)
	fmt.Fprintf(w, "  completion (办结率)        %s\n", rate(r.Completion))
	fmt.Fprintf(w, "  on time (及时率)           %s\n", rate(r.OnTime))
	fmt.Fprintf(w, "  satisfaction (满意率)      average %s, 4 or 5 stars %s\n", avg, rate(r.Satisfaction.Share4Plus))
	fmt.Fprintf(w, "  returned (退回率)          %s\n", rate(r.Returned))
	fmt.Fprintf(w, "  self-reported (自查上报)   %d, closed %s\n", r.SelfReported.Volume, rate(r.SelfReported.Completion))
	fmt.Fprintf(w, "  planned (计划检查)         %d due, %d done (%d on time), %d overdue\n", r.Planned.Due, r.Planned.Done, r.Planned.DoneOnTime, r.Planned.Overdue)
	resp := "n/a (none answered)"
	if r.Visits.AverageResponseHours != nil {
		resp = fmt.Sprintf("%.1f h on average", *r.Visits.AverageResponseHours)
	}
	fmt.Fprintf(w, "  visit requests (预约呼叫)  %d, %d answered (%d within %.0f h), %s\n", r.Visits.Requests, r.Visits.Answered, r.Visits.AnsweredInTime, VisitResponseTime.Hours(), resp)
}

// InspectorKPI is the KPIs of the hazards one inspector is responsible for
// (Hazard.InspectorID) among those of a report's unit and period: the office's
// view of each inspector's work.
type InspectorKPI struct {
	InspectorID int64     `json:"inspector_id"`
	Name        string    `json:"name"`
	Counts      KPICounts `json:"counts"`
	KPI
}
