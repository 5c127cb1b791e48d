package inspect_test

import (
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

func TestNewHazard(t *testing.T) {
	p := inspect.DefaultPolicy()
	base := inspect.Finding{SiteID: 100, GridID: 4, RuleCode: "EBIKE-INDOOR", InspectionID: 7, InspectorID: 10, RuleSeverity: inspect.SeverityGeneral}
	tests := []struct {
		name         string
		edit         func(f *inspect.Finding)
		wantSeverity inspect.Severity
		wantDeadline time.Time
		wantField    string
	}{
		{"policy default at the grid: 1 day", func(f *inspect.Finding) {}, inspect.SeverityGeneral, t0.Add(24 * time.Hour), ""},
		{"rule's own days win", func(f *inspect.Finding) { f.RuleRectifyDays = 3 }, inspect.SeverityGeneral, t0.Add(72 * time.Hour), ""},
		{"inspector's deadline wins", func(f *inspect.Finding) { f.RuleRectifyDays = 3; f.Deadline = t0.Add(5 * time.Hour) }, inspect.SeverityGeneral, t0.Add(5 * time.Hour), ""},
		{"rule says possibly major", func(f *inspect.Finding) { f.RuleSeverity = inspect.SeverityPossiblyMajor }, inspect.SeverityPossiblyMajor, t0.Add(24 * time.Hour), ""},
		{"inspector raises severity", func(f *inspect.Finding) { f.Severity = inspect.SeverityPossiblyMajor }, inspect.SeverityPossiblyMajor, t0.Add(24 * time.Hour), ""},
		{"no severity anywhere: general", func(f *inspect.Finding) { f.RuleSeverity = "" }, inspect.SeverityGeneral, t0.Add(24 * time.Hour), ""},
		{"inspector cannot record major", func(f *inspect.Finding) { f.Severity = inspect.SeverityMajor }, "", time.Time{}, "severity"},
		{"deadline in the past", func(f *inspect.Finding) { f.Deadline = t0 }, "", time.Time{}, "deadline"},
		{"no rule", func(f *inspect.Finding) { f.RuleCode = "" }, "", time.Time{}, "rule_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.edit(&f)
			h, err := inspect.NewHazard(f, t0, p)
			assertField(t, err, tt.wantField)
			if err != nil {
				return
			}
			if h.State != inspect.StateOpen || h.Level != inspect.LevelGrid || h.UnitID != 4 || h.GridID != 4 || h.Observations != 1 {
				t.Errorf("hazard = %+v", h)
			}
			if h.Severity != tt.wantSeverity || !h.Deadline.Equal(tt.wantDeadline) {
				t.Errorf("severity, deadline = %s, %s; want %s, %s", h.Severity, h.Deadline, tt.wantSeverity, tt.wantDeadline)
			}
		})
	}
}

func TestAddObservation(t *testing.T) {
	open := inspect.Hazard{ID: 1, State: inspect.StateNotified, Severity: inspect.SeverityGeneral, Observations: 1}
	tests := []struct {
		name       string
		h          inspect.Hazard
		sev        inspect.Severity
		wantSev    inspect.Severity
		wantRaised bool
		wantCode   string
	}{
		{"same severity", open, inspect.SeverityGeneral, inspect.SeverityGeneral, false, ""},
		{"more serious raises", open, inspect.SeverityPossiblyMajor, inspect.SeverityPossiblyMajor, true, ""},
		{"less serious never lowers", inspect.Hazard{State: inspect.StateOpen, Severity: inspect.SeverityPossiblyMajor, Observations: 1}, inspect.SeverityGeneral, inspect.SeverityPossiblyMajor, false, ""},
		{"closed hazard", inspect.Hazard{State: inspect.StateClosedFixed, Severity: inspect.SeverityGeneral, Observations: 1}, inspect.SeverityGeneral, "", false, inspect.ECONFLICT},
		{"major from a report", open, inspect.SeverityMajor, "", false, inspect.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, raised, err := tt.h.AddObservation(tt.sev)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Observations != tt.h.Observations+1 || got.Severity != tt.wantSev || raised != tt.wantRaised {
				t.Errorf("got %d observations, %s, raised %v", got.Observations, got.Severity, raised)
			}
		})
	}
}

func TestHazardApply(t *testing.T) {
	p := inspect.DefaultPolicy()
	now := t0.Add(10 * 24 * time.Hour)
	notified := inspect.Hazard{ID: 1, State: inspect.StateNotified, Severity: inspect.SeverityGeneral, Level: inspect.LevelGrid, UnitID: 4, Deadline: t0.Add(24 * time.Hour)}
	tests := []struct {
		name     string
		h        inspect.Hazard
		action   inspect.Action
		check    func(t *testing.T, h inspect.Hazard)
		wantCode string
	}{
		{"reinspect fixed closes", notified, inspect.ActionReinspectFixed, func(t *testing.T, h inspect.Hazard) {
			if h.State != inspect.StateClosedFixed || h.ClosedAt == nil || !h.ClosedAt.Equal(now) {
				t.Errorf("%+v", h)
			}
		}, ""},
		{"fix on spot closes", inspect.Hazard{State: inspect.StateOpen}, inspect.ActionFixOnSpot, func(t *testing.T, h inspect.Hazard) {
			if h.State != inspect.StateClosedOnSpot || h.ClosedAt == nil {
				t.Errorf("%+v", h)
			}
		}, ""},
		{"return counts", inspect.Hazard{State: inspect.StateOpen, Returns: 1}, inspect.ActionReturnForCorrection, func(t *testing.T, h inspect.Hazard) {
			if h.State != inspect.StateReturned || h.Returns != 2 {
				t.Errorf("%+v", h)
			}
		}, ""},
		{"opening a determination marks possibly major", notified, inspect.ActionOpenDetermination, func(t *testing.T, h inspect.Hazard) {
			if h.State != inspect.StateUnderDetermination || h.Severity != inspect.SeverityPossiblyMajor {
				t.Errorf("%+v", h)
			}
		}, ""},
		{"general after determination gets a fresh deadline once the old one passed",
			inspect.Hazard{State: inspect.StateUnderDetermination, Severity: inspect.SeverityPossiblyMajor, Level: inspect.LevelCommunity, Deadline: t0},
			inspect.ActionDetermineGeneral, func(t *testing.T, h inspect.Hazard) {
				if h.State != inspect.StateNotified || h.Severity != inspect.SeverityGeneral || !h.Deadline.Equal(now.Add(72*time.Hour)) {
					t.Errorf("%+v", h)
				}
			}, ""},
		{"general after determination keeps a future deadline",
			inspect.Hazard{State: inspect.StateUnderDetermination, Severity: inspect.SeverityPossiblyMajor, Level: inspect.LevelGrid, Deadline: now.Add(time.Hour)},
			inspect.ActionDetermineGeneral, func(t *testing.T, h inspect.Hazard) {
				if !h.Deadline.Equal(now.Add(time.Hour)) {
					t.Errorf("deadline moved to %s", h.Deadline)
				}
			}, ""},
		{"illegal", notified, inspect.ActionResubmit, nil, inspect.ECONFLICT},
		{"escalating action needs Escalate", notified, inspect.ActionEscalate, nil, inspect.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.h.Apply(tt.action, now, p)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode)
				if got.State != tt.h.State {
					t.Errorf("a refused action changed the state to %s", got.State)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestHazardRate(t *testing.T) {
	tests := []struct {
		name     string
		h        inspect.Hazard
		rating   int
		wantCode string
	}{
		{"closed fixed, 5 stars", inspect.Hazard{State: inspect.StateClosedFixed}, 5, ""},
		{"closed on spot, 1 star", inspect.Hazard{State: inspect.StateClosedOnSpot}, 1, ""},
		{"0 stars", inspect.Hazard{State: inspect.StateClosedFixed}, 0, inspect.EINVALID},
		{"6 stars", inspect.Hazard{State: inspect.StateClosedFixed}, 6, inspect.EINVALID},
		{"still open", inspect.Hazard{State: inspect.StateNotified}, 4, inspect.ECONFLICT},
		{"withdrawn finding", inspect.Hazard{State: inspect.StateWithdrawn}, 4, inspect.ECONFLICT},
		{"rated twice", inspect.Hazard{State: inspect.StateClosedFixed, Rating: 3}, 4, inspect.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.h.Rate(tt.rating)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode)
				return
			}
			if err != nil || got.Rating != tt.rating {
				t.Fatalf("Rate = %d, %v", got.Rating, err)
			}
		})
	}
}

func TestHazardFilterNormalize(t *testing.T) {
	tests := []struct {
		name      string
		f         inspect.HazardFilter
		wantField string
		wantLimit int
	}{
		{"defaults", inspect.HazardFilter{}, "", inspect.DefaultHazardPage},
		{"overdue escalated", inspect.HazardFilter{States: []inspect.HazardState{inspect.StateEscalated}, Overdue: true, Limit: 10}, "", 10},
		{"unknown state", inspect.HazardFilter{States: []inspect.HazardState{"pending"}}, "states", 0},
		{"unknown severity", inspect.HazardFilter{Severities: []inspect.Severity{"critical"}}, "severities", 0},
		{"page too large", inspect.HazardFilter{Limit: 10000}, "limit", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			err := f.Normalize()
			assertField(t, err, tt.wantField)
			if err == nil && f.Limit != tt.wantLimit {
				t.Errorf("limit = %d, want %d", f.Limit, tt.wantLimit)
			}
		})
	}
}
