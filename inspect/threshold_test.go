package inspect_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safegrid/safegrid/inspect"
)

// decisions returns n decisions at score, the first confirmed of them hazards.
func decisions(score float32, n, confirmed int) []inspect.ScoredDecision {
	out := make([]inspect.ScoredDecision, n)
	for i := range out {
		out[i] = inspect.ScoredDecision{Score: score, Hazard: i < confirmed}
	}
	return out
}

func concat(parts ...[]inspect.ScoredDecision) []inspect.ScoredDecision {
	var out []inspect.ScoredDecision
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func evidence(level float32, n, c int) *inspect.LevelEvidence {
	return &inspect.LevelEvidence{Level: level, Decisions: n, Confirmed: c, Precision: inspect.Rate{Num: int64(c), Den: int64(n)}}
}

// TestProposeLevels checks the proposal rule on decisions whose answer is worked out
// by hand. The ladder, scores high to low, with the flags at or above each level:
//
//	score  flags  confirmed | at or above: n  c   precision
//	0.90   10     10        |              10 10  1.00 (too few: n < 20)
//	0.70    5      4        |              15 14  0.93 (too few)
//	0.55    5      3        |              20 17  0.85 ≥ 0.8 → flag level
//	0.45    5      1        |              25 18  0.72
//	0.38   10      0        |              35 18  0.514 ≥ 0.5 → needs-review level
//	0.36    4      0        |              39 18  0.46
func TestProposeLevels(t *testing.T) {
	ladder := concat(decisions(0.36, 4, 0), decisions(0.9, 10, 10), decisions(0.45, 5, 1),
		decisions(0.7, 5, 4), decisions(0.38, 10, 0), decisions(0.55, 5, 3))
	tests := []struct {
		name   string
		ds     []inspect.ScoredDecision
		target float64
		want   inspect.ThresholdProposal
	}{
		{"ladder at 0.8: the lowest level keeping 0.8 with 20 flags, and 0.5 for review", ladder, 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, Decisions: 39, Confirmed: 18, Flag: evidence(0.55, 20, 17), Review: evidence(0.38, 35, 18)}},
		{"ladder at 0.7: the flag level goes down to 0.45", ladder, 0.7, inspect.ThresholdProposal{
			TargetPrecision: 0.7, Decisions: 39, Confirmed: 18, Flag: evidence(0.45, 25, 18), Review: evidence(0.38, 35, 18)}},
		{"ladder at 0.9: 0.70 has 14 of 15 but too few, 0.55 only 0.85", ladder, 0.9, inspect.ThresholdProposal{
			TargetPrecision: 0.9, Decisions: 39, Confirmed: 18, ReasonCode: inspect.NoProposalPrecision,
			Reason: "no level with at least 20 reviewed flags at or above it keeps precision 0.90: the lowest, 0.36, has 18 of 39 confirmed"}},
		{"ladder at 0.4: the needs-review level follows the lower target", ladder, 0.4, inspect.ThresholdProposal{
			TargetPrecision: 0.4, Decisions: 39, Confirmed: 18, Flag: evidence(0.36, 39, 18), Review: evidence(0.36, 39, 18)}},
		{"19 decisions, all confirmed: too few", decisions(0.7, 19, 19), 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, Decisions: 19, Confirmed: 19, ReasonCode: inspect.NoProposalTooFewDecisions,
			Reason: "19 reviewed flags; a level needs at least 20 at or above it"}},
		{"no decisions", nil, 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, ReasonCode: inspect.NoProposalTooFewDecisions,
			Reason: "0 reviewed flags; a level needs at least 20 at or above it"}},
		{"exactly 16 of 20 is 0.8", decisions(0.5, 20, 16), 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, Decisions: 20, Confirmed: 16, Flag: evidence(0.5, 20, 16), Review: evidence(0.5, 20, 16)}},
		{"15 of 20 misses 0.8", decisions(0.5, 20, 15), 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, Decisions: 20, Confirmed: 15, ReasonCode: inspect.NoProposalPrecision,
			Reason: "no level with at least 20 reviewed flags at or above it keeps precision 0.80: the lowest, 0.50, has 15 of 20 confirmed"}},
		{"ties count together: 20 flags of one score are one level", concat(decisions(0.8, 1, 1), decisions(0.6, 19, 19)), 0.8, inspect.ThresholdProposal{
			TargetPrecision: 0.8, Decisions: 20, Confirmed: 20, Flag: evidence(0.6, 20, 20), Review: evidence(0.6, 20, 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inspect.ProposeLevels(tt.ds, tt.target)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ProposeLevels (-want +got):\n%s", d)
			}
			if got.Proposed() != (tt.want.Flag != nil) {
				t.Errorf("Proposed() = %v", got.Proposed())
			}
		})
	}
}

func TestCheckTargetPrecision(t *testing.T) {
	for _, tt := range []struct {
		in, want float64
		field    string
	}{{0, 0.8, ""}, {0.5, 0.5, ""}, {1, 1, ""}, {1.2, 0, "target_precision"}, {-0.1, 0, "target_precision"}} {
		got, err := inspect.CheckTargetPrecision(tt.in)
		assertField(t, err, tt.field)
		if got != tt.want {
			t.Errorf("CheckTargetPrecision(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
