package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage/storagetest"
)

func TestDistrictPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)

	p, err := db.DistrictPolicy(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inspect.DefaultPolicy(), p); diff != "" {
		t.Errorf("a district without an override differs from the default (-want +got):\n%s", diff)
	}

	// Wuhou gives communities 2 days for general hazards and reminds 48 h before.
	o, err := inspect.ParsePolicyOverride([]byte(`{"remind_before":["2d"],"rectify":{"community":{"general":"2d"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetDistrictPolicy(ctx, 1, o); err != nil {
		t.Fatal(err)
	}
	p, err = db.DistrictPolicy(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := inspect.DefaultPolicy().WithOverride(o)
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if got := p.Deadline(inspect.LevelCommunity, inspect.SeverityGeneral, t0); !got.Equal(t0.Add(48 * time.Hour)) {
		t.Errorf("community deadline %s, want 2 days", got)
	}
	if got := p.Deadline(inspect.LevelGrid, inspect.SeverityGeneral, t0); !got.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("grid deadline %s, want the default 1 day", got)
	}
	if got := p.Reminders(t0.Add(72 * time.Hour)); len(got) != 1 || !got[0].Equal(t0.Add(24*time.Hour)) {
		t.Errorf("reminders %v, want one 2 days before", got)
	}
	if other, err := db.DistrictPolicy(ctx, 2); err != nil || !cmp.Equal(other, inspect.DefaultPolicy()) {
		t.Errorf("another district got %+v, %v; want the default: %s", other, err, cmp.Diff(inspect.DefaultPolicy(), other))
	}

	// "No reminders" survives the round trip and does not become the default ones.
	if err := db.SetDistrictPolicy(ctx, 1, inspect.PolicyOverride{RemindBefore: []inspect.Duration{}}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.DistrictPolicy(ctx, 1); err != nil || len(p.RemindBefore) != 0 {
		t.Errorf("after turning reminders off: %v, %v; want none", p.RemindBefore, err)
	}

	// An empty override returns the district to the default.
	if err := db.SetDistrictPolicy(ctx, 1, inspect.PolicyOverride{}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.DistrictPolicy(ctx, 1); err != nil || !cmp.Equal(p, inspect.DefaultPolicy()) {
		t.Errorf("after an empty override: %v; differs from the default (-want +got):\n%s", err, cmp.Diff(inspect.DefaultPolicy(), p))
	}
}

func TestSetDistrictPolicyRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	good, err := inspect.ParsePolicyOverride([]byte(`{"sign_within":"4h"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetDistrictPolicy(ctx, 1, good); err != nil {
		t.Fatal(err)
	}
	zero := inspect.Duration(0)
	tests := []struct {
		name      string
		district  int64
		o         inspect.PolicyOverride
		wantField string
	}{
		{"no district", 0, good, "district_id"},
		{"zero sign-within", 1, inspect.PolicyOverride{SignWithin: &zero}, "sign_within"},
		{"unknown level", 1, inspect.PolicyOverride{Rectify: map[inspect.Level]map[inspect.Severity]inspect.Duration{"province": {inspect.SeverityGeneral: inspect.Duration(time.Hour)}}}, "rectify.province"},
		{"duplicate reminder", 1, inspect.PolicyOverride{RemindBefore: []inspect.Duration{inspect.Duration(time.Hour), inspect.Duration(time.Hour)}}, "remind_before[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.SetDistrictPolicy(ctx, tt.district, tt.o)
			var e *inspect.Error
			if !errors.As(err, &e) || e.Code != inspect.EINVALID || e.Field != tt.wantField {
				t.Fatalf("error %v, want invalid %s", err, tt.wantField)
			}
		})
	}
	// Nothing half-written: district 1 keeps its good override.
	p, err := db.DistrictPolicy(ctx, 1)
	if err != nil || p.SignWithin != inspect.Duration(4*time.Hour) {
		t.Errorf("after refused changes: sign within %s, %v; want 4h", p.SignWithin, err)
	}
	if _, err := db.DistrictPolicy(ctx, -3); inspect.ErrorCode(err) != inspect.EINVALID {
		t.Errorf("negative district: %v, want invalid", err)
	}
}

func TestDistrictPolicyRefusesACorruptedSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	// Edited by hand with a typo: refused, not half applied.
	if err := db.PutSetting(ctx, "policy.district.4", map[string]any{"sign_withn": "2h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DistrictPolicy(ctx, 4); err == nil {
		t.Error("a stored override with an unknown field was applied")
	}
}
