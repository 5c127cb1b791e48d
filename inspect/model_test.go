package inspect_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// TestScoreChecks: precision is right flags over flags on decided photos, recall is
// right flags over hazards; an undecided photo's flag counts for nothing.
func TestScoreChecks(t *testing.T) {
	p := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
	const tw, esc = inspect.CheckTwoWheelerIndoor, inspect.CheckEscapeRouteObstructed
	decisions := []inspect.Decision{
		{PhotoID: p[0], Code: tw, Hazard: true},
		{PhotoID: p[1], Code: tw, Hazard: true},
		{PhotoID: p[2], Code: tw, Hazard: false},
		{PhotoID: p[0], Code: esc, Hazard: false},
	}
	flagged := map[inspect.FlagKey]bool{
		{PhotoID: p[0], Code: tw}: true, {PhotoID: p[2], Code: tw}: true, // one right, one wrong
		{PhotoID: p[3], Code: tw}: true, // undecided
	}
	got := inspect.ScoreChecks(decisions, func(id uuid.UUID, code string) bool { return flagged[inspect.FlagKey{PhotoID: id, Code: code}] })
	want := []inspect.CheckScore{
		{Code: esc, Decided: 1},
		{Code: tw, Decided: 3, Hazards: 2, Flagged: 2, TruePositives: 1, FalsePositives: 1, Missed: 1,
			Precision: inspect.Rate{Num: 1, Den: 2}, Recall: inspect.Rate{Num: 1, Den: 2}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("score %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// The shadow comparison counts each model's flags and the ones both raised.
	active := []inspect.FlagKey{{PhotoID: p[0], Code: tw}, {PhotoID: p[2], Code: tw}}
	candidate := []inspect.FlagKey{{PhotoID: p[0], Code: tw}, {PhotoID: p[1], Code: tw}, {PhotoID: p[1], Code: esc}}
	cmp := inspect.CompareShadow(active, candidate, decisions)
	if len(cmp) != 2 || cmp[1].Code != tw || cmp[1].ActiveFlags != 2 || cmp[1].CandidateFlags != 2 || cmp[1].BothFlagged != 1 ||
		cmp[1].Candidate.Precision != (inspect.Rate{Num: 2, Den: 2}) || cmp[1].Candidate.Recall != (inspect.Rate{Num: 2, Den: 2}) ||
		cmp[0].Code != esc || cmp[0].CandidateFlags != 1 || cmp[0].Candidate.Flagged != 0 {
		t.Errorf("CompareShadow = %+v", cmp)
	}
}
