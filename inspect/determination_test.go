package inspect_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

func TestOpenDetermination(t *testing.T) {
	possiblyMajor := inspect.Hazard{ID: 7, State: inspect.StateNotified, Severity: inspect.SeverityPossiblyMajor}
	tests := []struct {
		name         string
		h            inspect.Hazard
		participants []int64
		wantField    string
		wantCode     string
	}{
		{"three reviewers", possiblyMajor, []int64{1, 2, 3}, "", ""},
		{"five reviewers", possiblyMajor, []int64{1, 2, 3, 4, 5}, "", ""},
		{"two reviewers", possiblyMajor, []int64{1, 2}, "participants", ""},
		{"three with a duplicate is two", possiblyMajor, []int64{1, 2, 1}, "participants[2]", ""},
		{"no reviewers", possiblyMajor, nil, "participants", ""},
		{"not a user", possiblyMajor, []int64{1, 0, 3}, "participants[1]", ""},
		{"closed hazard", inspect.Hazard{ID: 7, State: inspect.StateClosedFixed, Severity: inspect.SeverityPossiblyMajor}, []int64{1, 2, 3}, "", inspect.ECONFLICT},
		{"already under determination", inspect.Hazard{ID: 7, State: inspect.StateUnderDetermination}, []int64{1, 2, 3}, "", inspect.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := inspect.OpenDetermination(tt.h, 9, tt.participants, t0)
			switch {
			case tt.wantCode != "":
				assertCode(t, err, tt.wantCode)
				return
			case tt.wantField != "":
				assertField(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.HazardID != 7 || d.OpenedBy != 9 || !d.OpenedAt.Equal(t0) || !slices.Equal(d.Participants, tt.participants) || d.Concluded() {
				t.Errorf("determination = %+v", d)
			}
		})
	}
}

// panel returns an open determination with reviewers 1 to n and the given votes
// cast by reviewers 1, 2, ... in order.
func panel(t *testing.T, n int, votes ...inspect.Vote) inspect.Determination {
	t.Helper()
	var ids []int64
	for i := 1; i <= n; i++ {
		ids = append(ids, int64(i))
	}
	d, err := inspect.OpenDetermination(inspect.Hazard{ID: 7, State: inspect.StateNotified, Severity: inspect.SeverityPossiblyMajor}, 9, ids, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range votes {
		if d, err = d.Cast(int64(i+1), v, "seen on site", t0.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("vote %d: %v", i+1, err)
		}
	}
	return d
}

func TestDeterminationCast(t *testing.T) {
	concluded, _, err := panel(t, 3, inspect.VoteMajor, inspect.VoteMajor, inspect.VoteGeneral).Conclude("shut the gas", t0.Add(72*time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		d         inspect.Determination
		reviewer  int64
		vote      inspect.Vote
		reason    string
		wantField string
		wantCode  string
	}{
		{"participant votes", panel(t, 3), 2, inspect.VoteMajor, "", "", ""},
		{"outsider", panel(t, 3), 4, inspect.VoteMajor, "", "", inspect.EFORBIDDEN},
		{"twice", panel(t, 3, inspect.VoteGeneral), 1, inspect.VoteMajor, "", "", inspect.ECONFLICT},
		{"unknown vote", panel(t, 3), 1, "maybe", "", "vote", ""},
		{"possibly major is not a vote", panel(t, 3), 1, inspect.Vote(inspect.SeverityPossiblyMajor), "", "vote", ""},
		{"reason too long", panel(t, 3), 1, inspect.VoteMajor, strings.Repeat("因", 4001), "reason", ""},
		{"after the conclusion", concluded, 3, inspect.VoteMajor, "", "", inspect.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.d.Ballots)
			got, err := tt.d.Cast(tt.reviewer, tt.vote, tt.reason, t0)
			switch {
			case tt.wantCode != "":
				assertCode(t, err, tt.wantCode)
			case tt.wantField != "":
				assertField(t, err, tt.wantField)
			case err != nil:
				t.Fatal(err)
			default:
				if len(got.Ballots) != before+1 || got.Ballots[before].ReviewerID != tt.reviewer || got.Ballots[before].Vote != tt.vote {
					t.Errorf("ballots = %+v", got.Ballots)
				}
			}
			if err != nil && len(got.Ballots) != before {
				t.Errorf("a refused vote was recorded: %+v", got.Ballots)
			}
			if len(tt.d.Ballots) != before {
				t.Error("Cast modified its receiver")
			}
		})
	}
}

func TestDeterminationConclude(t *testing.T) {
	M, G := inspect.VoteMajor, inspect.VoteGeneral
	now := t0.Add(2 * time.Hour)
	deadline := now.Add(7 * 24 * time.Hour)
	tests := []struct {
		name       string
		d          inspect.Determination
		measures   string
		deadline   time.Time
		wantSev    inspect.Severity
		wantAction inspect.Action
		wantField  string
		wantCode   string
	}{
		{"unanimous major", panel(t, 3, M, M, M), "stop charging e-bikes indoors", deadline, inspect.SeverityMajor, inspect.ActionDetermineMajor, "", ""},
		{"majority major", panel(t, 3, M, G, M), "x", deadline, inspect.SeverityMajor, inspect.ActionDetermineMajor, "", ""},
		{"majority general", panel(t, 3, G, M, G), "x", deadline, inspect.SeverityGeneral, inspect.ActionDetermineGeneral, "", ""},
		{"unanimous general", panel(t, 5, G, G, G, G, G), "x", deadline, inspect.SeverityGeneral, inspect.ActionDetermineGeneral, "", ""},
		// A split panel errs on the side of safety.
		{"tie is major", panel(t, 4, M, G, G, M), "x", deadline, inspect.SeverityMajor, inspect.ActionDetermineMajor, "", ""},
		{"larger panel, three votes suffice", panel(t, 6, G, G, M), "x", deadline, inspect.SeverityGeneral, inspect.ActionDetermineGeneral, "", ""},
		{"two votes are not enough", panel(t, 3, M, M), "x", deadline, "", "", "ballots", ""},
		{"no votes", panel(t, 3), "x", deadline, "", "", "ballots", ""},
		{"measures missing", panel(t, 3, M, M, M), "  ", deadline, "", "", "measures", ""},
		{"measures too long", panel(t, 3, M, M, M), strings.Repeat("措", 4001), deadline, "", "", "measures", ""},
		{"deadline in the past", panel(t, 3, M, M, M), "x", now.Add(-time.Minute), "", "", "deadline", ""},
		{"deadline missing", panel(t, 3, M, M, M), "x", time.Time{}, "", "", "deadline", ""},
		{"deadline too far", panel(t, 3, M, M, M), "x", now.Add(400 * 24 * time.Hour), "", "", "deadline", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, action, err := tt.d.Conclude(tt.measures, tt.deadline, now)
			if tt.wantField != "" || tt.wantCode != "" {
				if tt.wantField != "" {
					assertField(t, err, tt.wantField)
				} else {
					assertCode(t, err, tt.wantCode)
				}
				if got.Concluded() || action != "" {
					t.Errorf("a refused conclusion concluded: %+v, %q", got, action)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Conclusion != tt.wantSev || action != tt.wantAction {
				t.Errorf("conclusion %q action %q, want %q %q", got.Conclusion, action, tt.wantSev, tt.wantAction)
			}
			if got.Measures != strings.TrimSpace(tt.measures) || !got.Deadline.Equal(tt.deadline) || !got.ConcludedAt.Equal(now) {
				t.Errorf("record = %+v", got)
			}
			if len(got.Participants) != len(tt.d.Participants) || len(got.Ballots) != len(tt.d.Ballots) {
				t.Errorf("the record lost participants or ballots: %+v", got)
			}
			if tt.d.Concluded() {
				t.Error("Conclude modified its receiver")
			}
			if _, _, err := got.Conclude("again", tt.deadline, now); inspect.ErrorCode(err) != inspect.ECONFLICT {
				t.Errorf("concluding twice: %v, want conflict", err)
			}
		})
	}
}

// TestDeterminationDrivesTheHazard checks that the action Conclude returns is the
// one the hazard state machine takes from under_determination.
func TestDeterminationDrivesTheHazard(t *testing.T) {
	for _, votes := range [][]inspect.Vote{
		{inspect.VoteMajor, inspect.VoteMajor, inspect.VoteGeneral},
		{inspect.VoteGeneral, inspect.VoteGeneral, inspect.VoteMajor},
	} {
		_, action, err := panel(t, 3, votes...).Conclude("x", t0.Add(48*time.Hour), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inspect.Transition(inspect.StateUnderDetermination, action); err != nil {
			t.Errorf("action %q is not legal under determination: %v", action, err)
		}
	}
}
