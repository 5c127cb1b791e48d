package inspect

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Judging detector models on the safety office's own decisions: a candidate model runs
// in shadow beside the active one, and both are scored per AI check against what the
// office decided on the same photos.

// Decision is the office's verdict on one AI check for one photo: a hazard when a
// flag for it was confirmed or an inspector recorded it on the photo's item, no
// hazard when its flags were rejected.
type Decision struct {
	PhotoID uuid.UUID
	Code    string
	Hazard  bool
}

// CheckScore is how one model did on one AI check over the decided photos.
type CheckScore struct {
	Code string `json:"code"`
	// Decided is the photos with a decision on the check, Hazards those decided
	// to show the hazard.
	Decided int `json:"decided"`
	Hazards int `json:"hazards"`
	// Flagged is the decided photos the model flagged; of them TruePositives showed
	// the hazard and FalsePositives did not. Missed is hazards it did not flag.
	Flagged        int  `json:"flagged"`
	TruePositives  int  `json:"true_positives"`
	FalsePositives int  `json:"false_positives"`
	Missed         int  `json:"missed"`
	Precision      Rate `json:"precision"`
	Recall         Rate `json:"recall"`
}

// ScoreChecks scores a model against decisions, one CheckScore per check code in
// order; flagged reports whether the model flagged the check on the photo. A photo
// without a decision on a check does not count for it.
func ScoreChecks(decisions []Decision, flagged func(photo uuid.UUID, code string) bool) []CheckScore {
	by := map[string]*CheckScore{}
	for _, d := range decisions {
		s := by[d.Code]
		if s == nil {
			s = &CheckScore{Code: d.Code}
			by[d.Code] = s
		}
		s.Decided++
		hit := flagged(d.PhotoID, d.Code)
		switch {
		case d.Hazard && hit:
			s.Hazards++
			s.Flagged++
			s.TruePositives++
		case d.Hazard:
			s.Hazards++
			s.Missed++
		case hit:
			s.Flagged++
			s.FalsePositives++
		}
	}
	out := make([]CheckScore, 0, len(by))
	for _, s := range by {
		s.Precision = Rate{Num: int64(s.TruePositives), Den: int64(s.Flagged)}
		s.Recall = Rate{Num: int64(s.TruePositives), Den: int64(s.Hazards)}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b CheckScore) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// ModelRef names a detector model by its manifest name and file hash.
type ModelRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// ShadowCheck compares the active model and a shadow candidate on one AI check over
// the photos both analysed: how many each flagged, how many both did, and each one's
// score against the office's decisions on those photos.
type ShadowCheck struct {
	Code           string     `json:"code"`
	ActiveFlags    int        `json:"active_flags"`
	CandidateFlags int        `json:"candidate_flags"`
	BothFlagged    int        `json:"both_flagged"`
	Active         CheckScore `json:"active"`
	Candidate      CheckScore `json:"candidate"`
}

// ShadowModel is the shadow report of one candidate model.
type ShadowModel struct {
	Model  ModelRef      `json:"model"`
	Photos int           `json:"photos"`
	Checks []ShadowCheck `json:"checks"`
}

// ModelPromotion is an admin's promotion of a candidate model to the active one,
// with the model it replaced; a reverted promotion no longer applies.
type ModelPromotion struct {
	ID         int64     `json:"id"`
	Model      ModelRef  `json:"model"`
	Previous   ModelRef  `json:"previous"`
	Reason     string    `json:"reason,omitempty"`
	PromotedBy int64     `json:"promoted_by"`
	PromotedAt time.Time `json:"promoted_at"`
	RevertedBy int64     `json:"reverted_by,omitempty"`
	RevertedAt time.Time `json:"reverted_at,omitzero"`
}

// Reverted reports whether the promotion was undone.
func (p ModelPromotion) Reverted() bool { return !p.RevertedAt.IsZero() }

// ShadowReport is the live comparison of the shadow candidates with the active model,
// and the history of promotions, newest first.
type ShadowReport struct {
	Candidates []ShadowModel    `json:"candidates"`
	Promotions []ModelPromotion `json:"promotions"`
}

// FlagKey is one AI check flagged on one photo.
type FlagKey struct {
	PhotoID uuid.UUID
	Code    string
}

// CompareShadow compares, per AI check in code order, the flags the active model and
// a candidate raised on the same photos, and scores each against the decisions on
// those photos.
func CompareShadow(active, candidate []FlagKey, decisions []Decision) []ShadowCheck {
	activeSet, candidateSet := map[FlagKey]bool{}, map[FlagKey]bool{}
	codes := map[string]*ShadowCheck{}
	check := func(code string) *ShadowCheck {
		if codes[code] == nil {
			codes[code] = &ShadowCheck{Code: code}
		}
		return codes[code]
	}
	for _, k := range active {
		activeSet[k] = true
		check(k.Code).ActiveFlags++
	}
	for _, k := range candidate {
		candidateSet[k] = true
		c := check(k.Code)
		c.CandidateFlags++
		if activeSet[k] {
			c.BothFlagged++
		}
	}
	in := func(set map[FlagKey]bool) func(uuid.UUID, string) bool {
		return func(photo uuid.UUID, code string) bool { return set[FlagKey{photo, code}] }
	}
	for _, s := range ScoreChecks(decisions, in(activeSet)) {
		check(s.Code).Active = s
	}
	for _, s := range ScoreChecks(decisions, in(candidateSet)) {
		check(s.Code).Candidate = s
	}
	out := make([]ShadowCheck, 0, len(codes))
	for _, c := range codes {
		if c.Active.Code == "" {
			c.Active.Code = c.Code
		}
		if c.Candidate.Code == "" {
			c.Candidate.Code = c.Code
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ShadowCheck) int { return strings.Compare(a.Code, b.Code) })
	return out
}
