package inspect

import (
	"encoding/json"
	"fmt"
)

// KPICounts are the counts behind the office's KPIs for one period and one scope
// (a unit's subtree, an inspector), as storage counts them.
type KPICounts struct {
	// Received counts hazards recorded in the period, fixed on the spot included.
	Received int64 `json:"received"`
	// Closed counts those of them closed (closed_fixed or closed_on_spot; a
	// withdrawn finding was not a hazard and counts in none of these).
	Closed int64 `json:"closed"`
	// ClosedOnTime counts the closed ones closed by their deadline at closure.
	ClosedOnTime int64 `json:"closed_on_time"`
	// Findings counts findings that went through review in the period; Returned
	// counts those returned for correction at least once.
	Findings int64 `json:"findings"`
	Returned int64 `json:"returned"`
	// Ratings counts merchants' ratings given in the period, RatingSum adds their
	// stars and RatingsAtLeast4 counts those of 4 or 5 stars.
	Ratings         int64 `json:"ratings"`
	RatingSum       int64 `json:"rating_sum"`
	RatingsAtLeast4 int64 `json:"ratings_at_least_4"`
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
	// AverageRating is the mean of the 1–5 star ratings, 0 when there are none.
	AverageRating float64 `json:"average_rating"`
	// Satisfaction (满意率) is ratings of 4 or 5 stars / ratings.
	Satisfaction Rate `json:"satisfaction"`
	// ReturnRate (退回率) is findings returned for correction / findings reviewed.
	ReturnRate Rate `json:"return_rate"`
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
		Satisfaction: Rate{c.RatingsAtLeast4, c.Ratings},
		ReturnRate:   Rate{c.Returned, c.Findings},
	}
	if c.Ratings > 0 {
		k.AverageRating = float64(c.RatingSum) / float64(c.Ratings)
	}
	return k, nil
}
