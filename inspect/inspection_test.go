package inspect_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func TestInspectionLifecycle(t *testing.T) {
	site := inspect.Site{ID: 100, GridID: 4}
	inspector := inspect.User{ID: 10, Role: inspect.RoleInspector, GridIDs: []int64{4}}

	if _, err := inspect.NewInspection(site, inspector, 20, t0.Add(-time.Hour), t0); err == nil {
		t.Fatal("a due date in the past must be refused")
	}
	insp, err := inspect.NewInspection(site, inspector, 20, t0.Add(48*time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if insp.Status != inspect.InspectionAssigned {
		t.Fatalf("status = %s", insp.Status)
	}
	assertCode(t, insp.CanAnswer(), inspect.ECONFLICT, "not been started")
	if _, err := insp.Submit(nil, t0); inspect.ErrorCode(err) != inspect.ECONFLICT {
		t.Fatalf("submit before start: %v", err)
	}

	insp, err = insp.Start("2026.03", json.RawMessage(`{"items":[]}`), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if insp.Status != inspect.InspectionInProgress || insp.StartedAt == nil || insp.RuleVersion != "2026.03" {
		t.Fatalf("after start: %+v", insp)
	}
	// A retried start must not regenerate the checklist under the answers.
	assertCode(t, second(insp.Start("2026.04", json.RawMessage(`{}`), t0)), inspect.ECONFLICT, "in_progress")
	assertCode(t, second(insp.Reassign(site, inspector, 20)), inspect.ECONFLICT)

	items := []inspect.Item{{Code: "EXIT-01", Answer: inspect.AnswerPass}}
	if insp, err = insp.Submit(items, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	assertCode(t, insp.CanAnswer(), inspect.ECONFLICT, "can no longer change")

	assertField(t, second(insp.Return("  ")), "reason")
	if insp, err = insp.Return("photo of EXIT-01 shows another building"); err != nil {
		t.Fatal(err)
	}
	if insp.Status != inspect.InspectionReturned || insp.Returns != 1 {
		t.Fatalf("after return: %+v", insp)
	}
	if err := insp.CanAnswer(); err != nil {
		t.Fatalf("a returned inspection must be correctable: %v", err)
	}
	if insp, err = insp.Submit(items, t0.Add(3*time.Hour)); err != nil || insp.Status != inspect.InspectionSubmitted || insp.ReturnReason != "" {
		t.Fatalf("resubmit: %+v, %v", insp, err)
	}
}

func TestInspectionReassign(t *testing.T) {
	site := inspect.Site{ID: 100, GridID: 4}
	a := inspect.User{ID: 10, Role: inspect.RoleInspector, GridIDs: []int64{4}}
	b := inspect.User{ID: 12, Role: inspect.RoleInspector, GridIDs: []int64{4}}
	c := inspect.User{ID: 13, Role: inspect.RoleInspector, GridIDs: []int64{8}}
	insp, err := inspect.NewInspection(site, a, 20, t0.Add(time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	assertField(t, second(insp.Reassign(site, c, 21)), "inspector_id")
	insp, err = insp.Reassign(site, b, 21)
	if err != nil || insp.InspectorID != 12 || insp.AssignedBy != 21 {
		t.Fatalf("reassign: %+v, %v", insp, err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestValidateAnswer(t *testing.T) {
	tests := []struct {
		name      string
		item      inspect.Item
		wantField string
	}{
		{"pass", inspect.Item{Code: "A", Answer: inspect.AnswerPass}, ""},
		{"na with note", inspect.Item{Code: "A", Answer: inspect.AnswerNA, Note: "no kitchen"}, ""},
		{"fail fixed on spot", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeFixedOnSpot}, ""},
		{"fail hazard, rule defaults", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard}, ""},
		{"fail hazard possibly major with deadline", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Severity: inspect.SeverityPossiblyMajor, Deadline: t0.Add(time.Hour)}, ""},
		{"no code", inspect.Item{Answer: inspect.AnswerPass}, "code"},
		{"unanswered takes the answer back", inspect.Item{Code: "A", Answer: inspect.AnswerUnanswered}, ""},
		{"unanswered with a note", inspect.Item{Code: "A", Answer: inspect.AnswerUnanswered, Note: "x"}, "answer"},
		{"no answer", inspect.Item{Code: "A"}, "answer"},
		{"made-up answer", inspect.Item{Code: "A", Answer: "maybe"}, "answer"},
		{"fail without outcome", inspect.Item{Code: "A", Answer: inspect.AnswerFail}, "outcome"},
		{"fail with bad outcome", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: "ignored"}, "outcome"},
		{"pass with outcome", inspect.Item{Code: "A", Answer: inspect.AnswerPass, Outcome: inspect.OutcomeHazard}, "outcome"},
		{"inspector records major", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Severity: inspect.SeverityMajor}, "severity"},
		{"deadline in the past", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Deadline: t0.Add(-time.Minute)}, "deadline"},
		{"fixed on spot with deadline", inspect.Item{Code: "A", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeFixedOnSpot, Deadline: t0.Add(time.Hour)}, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertField(t, inspect.ValidateAnswer(tt.item, t0), tt.wantField)
		})
	}
}

func TestCheckSubmission(t *testing.T) {
	tests := []struct {
		name       string
		items      []inspect.Item
		wantOK     bool
		mentions   []string
		notMention []string
	}{
		{
			name: "complete",
			items: []inspect.Item{
				{Code: "EXIT-01", Answer: inspect.AnswerPass, NeedsPhoto: true, PhotoCount: 1},
				{Code: "GAS-02", Answer: inspect.AnswerNA, NeedsPhoto: true}, // not applicable: no photo
				{Code: "DOC-03", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard},
				{Code: "EBIKE-04", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeFixedOnSpot, PhotoCount: 2},
			},
			wantOK: true,
		},
		{
			name:   "empty checklist",
			items:  nil,
			wantOK: true,
		},
		{
			name: "every problem named",
			items: []inspect.Item{
				{Code: "EXIT-01", Answer: inspect.AnswerPass, NeedsPhoto: true},
				{Code: "GAS-02"},
				{Code: "DOC-03", Answer: inspect.AnswerUnanswered},
				{Code: "EBIKE-04", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeFixedOnSpot},
				{Code: "OK-05", Answer: inspect.AnswerPass},
				{Code: "HAZ-06", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, NeedsPhoto: true},
			},
			mentions:   []string{"2 items unanswered: GAS-02, DOC-03", "3 items without the photo they need: EXIT-01, EBIKE-04, HAZ-06"},
			notMention: []string{"OK-05"},
		},
		{
			name:       "one missing photo",
			items:      []inspect.Item{{Code: "EXIT-01", Answer: inspect.AnswerFail, Outcome: inspect.OutcomeFixedOnSpot}},
			mentions:   []string{"1 item without the photo they need: EXIT-01"},
			notMention: []string{"unanswered"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inspect.CheckSubmission(tt.items)
			if tt.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertField(t, err, "items")
			assertCode(t, err, inspect.EINVALID, tt.mentions...)
			for _, s := range tt.notMention {
				if msg := inspect.ErrorMessage(err); strings.Contains(msg, s) {
					t.Errorf("message %q mentions %q", msg, s)
				}
			}
		})
	}
}
