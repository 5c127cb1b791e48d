package inspect_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// findingRequest is a failed item of rule R1 at site 3 (grid 2) by inspector 5 at
// t0, with id 40 reserved for a new hazard.
func findingRequest() inspect.FindingRequest {
	return inspect.FindingRequest{
		ActionRequest: inspect.ActionRequest{Actor: 5, At: t0, Policy: inspect.DefaultPolicy(), SiteName: "Noodle bar"},
		Finding: inspect.Finding{SiteID: 3, GridID: 2, RuleCode: "R1", InspectionID: 8, InspectorID: 5,
			Note: "blocked exit", RuleSeverity: inspect.SeverityGeneral},
		NewID: 40,
	}
}

// TestRecordFinding checks that a finding is decided in one call: a new hazard is
// named by the reserved id in its event and its deadline's jobs; one fixed on the
// spot is created and closed in two chained events, with no deadline jobs; a
// finding joining an open hazard continues its chain.
func TestRecordFinding(t *testing.T) {
	open := inspect.Hazard{ID: 12, SiteID: 3, GridID: 2, RuleCode: "R1", State: inspect.StateNotified,
		Severity: inspect.SeverityGeneral, Level: inspect.LevelGrid, UnitID: 2, Observations: 1, Deadline: t0.Add(48 * 3600e9)}
	tests := []struct {
		name        string
		edit        func(*inspect.FindingRequest)
		wantCreated bool
		wantKinds   []string
		wantState   inspect.HazardState
		wantJobs    bool
	}{
		{"new hazard", func(*inspect.FindingRequest) {}, true, []string{inspect.EventCreated}, inspect.StateOpen, true},
		{"new hazard fixed on the spot", func(r *inspect.FindingRequest) { r.FixedOnSpot = true }, true,
			[]string{inspect.EventCreated, string(inspect.ActionFixOnSpot)}, inspect.StateClosedOnSpot, false},
		{"joins the open hazard", func(r *inspect.FindingRequest) {
			r.Joins, r.Hazard, r.HeadSeq, r.HeadHash = true, open, 3, "abc"
		}, false, []string{inspect.EventObservation}, inspect.StateNotified, false},
		{"joins the open hazard and finds it fixed", func(r *inspect.FindingRequest) {
			r.Joins, r.Hazard, r.HeadSeq, r.HeadHash, r.FixedOnSpot = true, open, 3, "abc", true
		}, false, []string{inspect.EventObservation, string(inspect.ActionReinspectFixed)}, inspect.StateClosedFixed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := findingRequest()
			tt.edit(&r)
			out, err := inspect.RecordFinding(r)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, s := range out.Steps {
				kinds = append(kinds, s.Event.Kind)
			}
			if out.Created != tt.wantCreated || !slices.Equal(kinds, tt.wantKinds) {
				t.Fatalf("created %v, events %v; want %v, %v", out.Created, kinds, tt.wantCreated, tt.wantKinds)
			}
			wantID, prevSeq, prevHash := r.NewID, int64(0), ""
			if r.Joins {
				wantID, prevSeq, prevHash = open.ID, r.HeadSeq, r.HeadHash
			}
			for i, s := range out.Steps {
				if s.Hazard.ID != wantID || s.Event.HazardID != wantID || s.Event.Seq != prevSeq+1 || s.Event.PrevHash != prevHash {
					t.Errorf("step %d: hazard %d, event %d/%d after %q; want hazard %d, seq %d after %q",
						i, s.Hazard.ID, s.Event.HazardID, s.Event.Seq, s.Event.PrevHash, wantID, prevSeq+1, prevHash)
				}
				prevSeq, prevHash = s.Event.Seq, s.Event.Hash
			}
			if got := out.Steps[len(out.Steps)-1].Hazard.State; got != tt.wantState {
				t.Errorf("state = %s, want %s", got, tt.wantState)
			}
			if jobs := out.Effects.Schedule != nil; jobs != tt.wantJobs {
				t.Errorf("deadline jobs scheduled = %v, want %v", jobs, tt.wantJobs)
			} else if jobs && out.Effects.Schedule.HazardID != r.NewID {
				t.Errorf("jobs are for hazard %d, want the reserved %d", out.Effects.Schedule.HazardID, r.NewID)
			}
		})
	}
}

// TestRecordFindingRefused checks the refusals of a finding: a hazard that can be
// neither fixed on the spot nor found fixed, and an invalid finding.
func TestRecordFindingRefused(t *testing.T) {
	r := findingRequest()
	r.Joins, r.FixedOnSpot = true, true
	r.Hazard = inspect.Hazard{ID: 12, SiteID: 3, GridID: 2, State: inspect.StateUnderDetermination, Severity: inspect.SeverityPossiblyMajor, Observations: 1}
	_, err := inspect.RecordFinding(r)
	assertCode(t, err, inspect.ECONFLICT, "fixed on the spot")

	r = findingRequest()
	r.Finding.Note = strings.Repeat("x", 5000)
	_, err = inspect.RecordFinding(r)
	assertField(t, err, "note")
}

// TestTakeDetermination checks that opening and concluding a determination are
// each one decision: the panel must be safety officers or admins, the hazard's
// action and the determination's notices (naming the reserved id) come together.
func TestTakeDetermination(t *testing.T) {
	h := inspect.Hazard{ID: 7, SiteID: 3, GridID: 2, UnitID: 2, Level: inspect.LevelGrid, State: inspect.StateNotified,
		Severity: inspect.SeverityPossiblyMajor, Deadline: t0.Add(72 * 3600e9)}
	officer := func(id int64) inspect.User { return inspect.User{ID: id, Role: inspect.RoleSafetyOfficer} }
	req := inspect.DeterminationRequest{
		ActionRequest: inspect.ActionRequest{Hazard: h, Actor: 9, At: t0, Policy: inspect.DefaultPolicy(), SiteName: "Noodle bar"},
		NewID:         31, Participants: []int64{1, 2, 3},
		Panel: []inspect.User{officer(1), officer(2), {ID: 3, Role: inspect.RoleMerchant}},
	}
	_, err := inspect.TakeOpenDetermination(req)
	assertField(t, err, "participants[2]")
	req.Panel[2] = inspect.User{} // no such user
	_, err = inspect.TakeOpenDetermination(req)
	assertField(t, err, "participants[2]")

	req.Panel[2] = officer(3)
	out, err := inspect.TakeOpenDetermination(req)
	if err != nil {
		t.Fatal(err)
	}
	d := out.Determination
	if d.ID != 31 || d.HazardID != 7 || out.Action.Hazard.State != inspect.StateUnderDetermination ||
		out.Action.Event.Kind != string(inspect.ActionOpenDetermination) {
		t.Fatalf("opened %+v, hazard %s by %s", d, out.Action.Hazard.State, out.Action.Event.Kind)
	}
	if n := out.Action.Effects.Notices; len(n) != 1 || !slices.Equal(n[0].UserIDs, []int64{1, 2, 3}) ||
		n[0].DedupKey != "hazard:7:determination:31:requested" {
		t.Fatalf("notices = %+v, want the panel invited to determination 31", n)
	}

	for _, v := range []int64{1, 2, 3} {
		if d, err = d.Cast(v, inspect.VoteGeneral, "", t0); err != nil {
			t.Fatal(err)
		}
	}
	concl := inspect.DeterminationRequest{Open: d, Measures: "clear the exit", Deadline: t0.Add(240 * 3600e9)}
	concl.ActionRequest = req.ActionRequest
	concl.Hazard, concl.HeadSeq, concl.HeadHash = out.Action.Hazard, out.Action.Event.Seq, out.Action.Event.Hash
	done, err := inspect.TakeConcludeDetermination(concl)
	if err != nil {
		t.Fatal(err)
	}
	if done.Determination.Conclusion != inspect.SeverityGeneral || done.Action.Event.Kind != string(inspect.ActionDetermineGeneral) ||
		!done.Action.Hazard.Deadline.Equal(concl.Deadline) {
		t.Fatalf("concluded %+v, hazard %+v", done.Determination, done.Action.Hazard)
	}
	var keys []string
	for _, n := range done.Action.Effects.Notices {
		keys = append(keys, string(n.To)+" "+n.DedupKey)
	}
	want := []string{
		"site_merchants " + inspect.HazardEventKey(7, done.Action.Event.Seq), // the notice of determine_general
		"users hazard:7:determination:31:concluded",
		"site_merchants hazard:7:determination:31:concluded",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("notices = %q, want %q", keys, want)
	}
}
