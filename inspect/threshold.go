package inspect

import (
	"fmt"
	"slices"
	"time"
)

// Score levels learned from review: per AI check and place, the detector's two levels
// (flag, needs review) are proposed from the office's decisions on the flags it
// raised there, and an admin accepts a proposal; new photo analyses then use it.

// Default score levels of every check: a flag from DefaultFlagScore, "needs review"
// from DefaultReviewScore. The detector's check table starts from them.
const (
	DefaultFlagScore   float32 = 0.6
	DefaultReviewScore float32 = 0.35
)

// The proposal rule's parameters (see ProposeLevels).
const (
	// DefaultTargetPrecision is the share of flags at or above the flag level the
	// office should confirm, unless a proposal asks for another.
	DefaultTargetPrecision = 0.8
	// ReviewTargetPrecision is the share of flags at or above the needs-review level
	// the office should confirm: a weaker signal is still worth a reviewer's look
	// when at least half of what reaches the queue from there is a hazard.
	ReviewTargetPrecision = 0.5
	// MinThresholdDecisions is the fewest reviewed flags at or above a level that
	// may back it.
	MinThresholdDecisions = 20
)

// ScoreLevels are one check's two score levels: a detection scoring at least Flag raises
// a flag, one scoring at least Review (and less than Flag) a "needs review" flag.
type ScoreLevels struct {
	Flag   float32 `json:"flag"`
	Review float32 `json:"review"`
}

// DefaultLevels returns the levels every check has until an admin accepts others.
func DefaultLevels() ScoreLevels {
	return ScoreLevels{Flag: DefaultFlagScore, Review: DefaultReviewScore}
}

// ScoredDecision is the office's decision on one flag the detector raised: its score
// and whether it was confirmed (a hazard) or rejected.
type ScoredDecision struct {
	Score  float32
	Hazard bool
}

// LevelEvidence is what backs a level: the reviewed flags scoring at or above it,
// how many of them were confirmed, and so the precision at the level.
type LevelEvidence struct {
	Level     float32 `json:"level"`
	Decisions int     `json:"decisions"`
	Confirmed int     `json:"confirmed"`
	Precision Rate    `json:"precision"`
}

// Reasons there is no proposal.
const (
	NoProposalTooFewDecisions = "too_few_decisions"
	NoProposalPrecision       = "precision_not_reached"
)

// ThresholdProposal is the levels the decisions on one check at one place support,
// with their evidence; or, when Flag is nil, why there is none (ReasonCode, Reason).
type ThresholdProposal struct {
	TargetPrecision float64 `json:"target_precision"`
	// Decisions is every reviewed flag of the check at the place, Confirmed those
	// the office confirmed.
	Decisions  int            `json:"decisions"`
	Confirmed  int            `json:"confirmed"`
	Flag       *LevelEvidence `json:"flag,omitempty"`
	Review     *LevelEvidence `json:"review,omitempty"`
	ReasonCode string         `json:"reason_code,omitempty"`
	Reason     string         `json:"reason,omitempty"`
}

// Proposed reports whether there is a proposal.
func (p ThresholdProposal) Proposed() bool { return p.Flag != nil && p.Review != nil }

// Levels returns the proposed levels (zero without a proposal).
func (p ThresholdProposal) Levels() ScoreLevels {
	if !p.Proposed() {
		return ScoreLevels{}
	}
	return ScoreLevels{Flag: p.Flag.Level, Review: p.Review.Level}
}

// CheckTargetPrecision validates a requested target precision; 0 takes the default.
func CheckTargetPrecision(target float64) (float64, error) {
	if target == 0 {
		return DefaultTargetPrecision, nil
	}
	if !(target > 0 && target <= 1) {
		return 0, FieldErrorf("target_precision", "must be more than 0 and at most 1, e.g. 0.8")
	}
	return target, nil
}

// ProposeLevels proposes the levels of one check at one place from the office's
// decisions on the flags the detector raised there.
//
// The candidate levels are the scores of the reviewed flags. At a level L the
// evidence is the reviewed flags scoring at least L: their number n and how many were
// confirmed c, so the precision c/n is what the office would have seen had L been the
// level. The flag level is the lowest candidate with n ≥ MinThresholdDecisions and
// c/n ≥ target; the needs-review level the lowest with n ≥ MinThresholdDecisions and
// c/n ≥ min(target, ReviewTargetPrecision), never above the flag level (the flag level
// itself qualifies). No level is proposed below the lowest reviewed score: below it
// there is no evidence. When no candidate qualifies there is no proposal, with the
// reason: too few decisions, or the target precision reached nowhere.
func ProposeLevels(ds []ScoredDecision, target float64) ThresholdProposal {
	p := ThresholdProposal{TargetPrecision: target, Decisions: len(ds)}
	reviewTarget := min(target, ReviewTargetPrecision)
	sorted := slices.SortedFunc(slices.Values(ds), func(a, b ScoredDecision) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	var lowest *LevelEvidence // the lowest level with enough decisions
	n, c := 0, 0
	for i, d := range sorted {
		n++
		if d.Hazard {
			c++
		}
		if i+1 < len(sorted) && sorted[i+1].Score == d.Score {
			continue // a level counts every flag of its score
		}
		if n < MinThresholdDecisions {
			continue
		}
		ev := &LevelEvidence{Level: d.Score, Decisions: n, Confirmed: c, Precision: Rate{Num: int64(c), Den: int64(n)}}
		lowest = ev
		// Going down the scores, the last level that qualifies is the lowest.
		if reaches(ev.Precision, target) {
			p.Flag = ev
		}
		if reaches(ev.Precision, reviewTarget) {
			p.Review = ev
		}
	}
	p.Confirmed = c
	switch {
	case lowest == nil:
		p.Flag, p.Review = nil, nil
		p.ReasonCode = NoProposalTooFewDecisions
		p.Reason = fmt.Sprintf("%d reviewed flags; a level needs at least %d at or above it", len(ds), MinThresholdDecisions)
	case p.Flag == nil:
		p.Review = nil
		p.ReasonCode = NoProposalPrecision
		p.Reason = fmt.Sprintf("no level with at least %d reviewed flags at or above it keeps precision %.2f: the lowest, %.2f, has %d of %d confirmed",
			MinThresholdDecisions, target, lowest.Level, lowest.Confirmed, lowest.Decisions)
	}
	return p
}

// reaches reports whether r is at least target, allowing for the rounding of
// target (0.8 × 20 is 16 confirmed, not 16.000000000000004).
func reaches(r Rate, target float64) bool {
	return float64(r.Num) >= target*float64(r.Den)-1e-9
}

// CheckThreshold is one check at one place: the levels in force (the defaults, or the
// newest levels an admin accepted) and what the decisions there propose.
type CheckThreshold struct {
	Code     string      `json:"code"`
	Location string      `json:"location"`
	Current  ScoreLevels `json:"current"`
	// Accepted is whether Current is an admin's accepted levels rather than the
	// defaults.
	Accepted bool              `json:"accepted"`
	Proposal ThresholdProposal `json:"proposal"`
}

// ThresholdReport is the levels of every check at every place with reviewed flags or
// accepted levels, with their proposals at one target precision.
type ThresholdReport struct {
	TargetPrecision float64          `json:"target_precision"`
	MinDecisions    int              `json:"min_decisions"`
	Checks          []CheckThreshold `json:"checks"`
}

// ThresholdChange is an admin's acceptance of a proposal for one check at one place:
// who and when, the levels before and after, and the evidence behind them.
type ThresholdChange struct {
	ID              int64         `json:"id"`
	Code            string        `json:"code"`
	Location        string        `json:"location"`
	Previous        ScoreLevels   `json:"previous"`
	Levels          ScoreLevels   `json:"levels"`
	TargetPrecision float64       `json:"target_precision"`
	Decisions       int           `json:"decisions"`
	FlagEvidence    LevelEvidence `json:"flag_evidence"`
	ReviewEvidence  LevelEvidence `json:"review_evidence"`
	AcceptedBy      int64         `json:"accepted_by"`
	AcceptedAt      time.Time     `json:"accepted_at"`
}

// CheckThresholdTarget validates the check and place a proposal is accepted for: an
// AI check of the vocabulary and a location tag.
func CheckThresholdTarget(code, location string) error {
	if !slices.Contains(AICheckCodes(), code) {
		return FieldErrorf("check", "is %q, not an AI check; want one of %v", code, AICheckCodes())
	}
	if !slices.Contains(LocationTags(), location) {
		return FieldErrorf("location", "is %q, not a location tag; want one of %v", location, LocationTags())
	}
	return nil
}
