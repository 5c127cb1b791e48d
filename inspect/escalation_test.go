package inspect_test

import (
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

func TestEscalate(t *testing.T) {
	p := inspect.DefaultPolicy()
	now := t0.Add(36 * time.Hour)
	community := inspect.Unit{ID: 3, ParentID: 2, Level: inspect.LevelCommunity}
	subdistrict := inspect.Unit{ID: 2, ParentID: 1, Level: inspect.LevelSubdistrict}
	district := inspect.Unit{ID: 1, Level: inspect.LevelDistrict}
	atGrid := inspect.Hazard{ID: 9, State: inspect.StateReinspectionDue, Severity: inspect.SeverityGeneral, Level: inspect.LevelGrid, UnitID: 4, Deadline: t0.Add(24 * time.Hour)}
	atCommunity := inspect.Hazard{ID: 9, State: inspect.StateRectificationSubmitted, Severity: inspect.SeverityGeneral, Level: inspect.LevelCommunity, UnitID: 3, Escalations: 1}
	atDistrict := inspect.Hazard{ID: 9, State: inspect.StateReinspectionDue, Severity: inspect.SeverityGeneral, Level: inspect.LevelDistrict, UnitID: 1, Escalations: 3}
	determining := inspect.Hazard{ID: 9, State: inspect.StateUnderDetermination, Severity: inspect.SeverityPossiblyMajor, Level: inspect.LevelGrid, UnitID: 4}

	tests := []struct {
		name         string
		h            inspect.Hazard
		by           inspect.Action
		target       inspect.Unit
		wantLevel    inspect.Level
		wantSeverity inspect.Severity
		wantDeadline time.Time
		wantCode     string
	}{
		{"grid to community: 3 days", atGrid, inspect.ActionEscalate, community, inspect.LevelCommunity, inspect.SeverityGeneral, now.Add(72 * time.Hour), ""},
		{"still present at community: to subdistrict, 7 days", atCommunity, inspect.ActionReinspectPresent, subdistrict, inspect.LevelSubdistrict, inspect.SeverityGeneral, now.Add(7 * 24 * time.Hour), ""},
		{"at the top it stays at the district", atDistrict, inspect.ActionEscalate, district, inspect.LevelDistrict, inspect.SeverityGeneral, now.Add(7 * 24 * time.Hour), ""},
		{"major goes from grid straight to district", determining, inspect.ActionDetermineMajor, district, inspect.LevelDistrict, inspect.SeverityMajor, now.Add(7 * 24 * time.Hour), ""},
		{"major determination refuses the community", determining, inspect.ActionDetermineMajor, community, "", "", time.Time{}, inspect.EINTERNAL},
		{"skipping a level is refused", atGrid, inspect.ActionEscalate, subdistrict, "", "", time.Time{}, inspect.EINTERNAL},
		{"another district at the top is refused", atDistrict, inspect.ActionEscalate, inspect.Unit{ID: 99, Level: inspect.LevelDistrict}, "", "", time.Time{}, inspect.EINTERNAL},
		{"illegal in state", atCommunity, inspect.ActionEscalate, subdistrict, "", "", time.Time{}, inspect.ECONFLICT},
		{"not an escalating action", atGrid, inspect.ActionNotify, community, "", "", time.Time{}, inspect.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e, err := inspect.Escalate(tt.h, tt.by, tt.target, now, p)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != inspect.StateEscalated || got.Level != tt.wantLevel || got.UnitID != tt.target.ID ||
				got.Severity != tt.wantSeverity || !got.Deadline.Equal(tt.wantDeadline) || got.Escalations != tt.h.Escalations+1 {
				t.Errorf("hazard = %+v", got)
			}
			if e.Reason != tt.by || e.FromLevel != tt.h.Level || e.FromUnitID != tt.h.UnitID || e.ToUnitID != tt.target.ID ||
				!e.PreviousDeadline.Equal(tt.h.Deadline) || !e.Deadline.Equal(tt.wantDeadline) || !e.SignBy.Equal(now.Add(8*time.Hour)) {
				t.Errorf("payload = %+v", e)
			}
			if tt.wantSeverity == inspect.SeverityMajor && !got.ListedSupervision() {
				t.Error("a major hazard is under listed supervision")
			}
		})
	}
}

func TestEscalationTarget(t *testing.T) {
	tests := []struct {
		h    inspect.Hazard
		by   inspect.Action
		want inspect.Level
	}{
		{inspect.Hazard{Level: inspect.LevelGrid, Severity: inspect.SeverityGeneral}, inspect.ActionEscalate, inspect.LevelCommunity},
		{inspect.Hazard{Level: inspect.LevelCommunity, Severity: inspect.SeverityPossiblyMajor}, inspect.ActionReinspectPresent, inspect.LevelSubdistrict},
		{inspect.Hazard{Level: inspect.LevelGrid, Severity: inspect.SeverityMajor}, inspect.ActionReinspectPresent, inspect.LevelDistrict},
		{inspect.Hazard{Level: inspect.LevelGrid, Severity: inspect.SeverityPossiblyMajor}, inspect.ActionDetermineMajor, inspect.LevelDistrict},
		{inspect.Hazard{Level: inspect.LevelDistrict, Severity: inspect.SeverityGeneral}, inspect.ActionEscalate, inspect.LevelDistrict},
	}
	for _, tt := range tests {
		if got := inspect.EscalationTarget(tt.h, tt.by); got != tt.want {
			t.Errorf("EscalationTarget(%s %s, %s) = %s, want %s", tt.h.Level, tt.h.Severity, tt.by, got, tt.want)
		}
	}
}
