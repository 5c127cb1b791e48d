package inspect_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

const day = 24 * time.Hour

func TestDefaultPolicy(t *testing.T) {
	p := inspect.DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		level inspect.Level
		sev   inspect.Severity
		want  time.Duration
	}{
		{inspect.LevelGrid, inspect.SeverityGeneral, day},
		{inspect.LevelCommunity, inspect.SeverityGeneral, 3 * day},
		{inspect.LevelSubdistrict, inspect.SeverityPossiblyMajor, 7 * day},
		{inspect.LevelDistrict, inspect.SeverityMajor, 7 * day},
	}
	for _, tt := range tests {
		if got := p.Deadline(tt.level, tt.sev, t0); !got.Equal(t0.Add(tt.want)) {
			t.Errorf("Deadline(%s, %s) = %s, want %s later", tt.level, tt.sev, got, tt.want)
		}
	}
	if got := p.SignDeadline(t0); !got.Equal(t0.Add(8 * time.Hour)) {
		t.Errorf("SignDeadline = %s", got)
	}
	deadline := t0.Add(3 * day)
	want := []time.Time{deadline.Add(-24 * time.Hour), deadline.Add(-2 * time.Hour)}
	if got := p.Reminders(deadline); !reflect.DeepEqual(got, want) {
		t.Errorf("Reminders = %v, want %v", got, want)
	}
	// An incomplete policy never yields a deadline of "now".
	if got := (inspect.TimeLimitPolicy{}).Deadline(inspect.LevelCommunity, inspect.SeverityGeneral, t0); !got.Equal(t0.Add(3 * day)) {
		t.Errorf("empty policy deadline = %s", got)
	}
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	p := inspect.DefaultPolicy()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	// Readable by a person editing it: days and hours, not nanoseconds.
	for _, s := range []string{`"sign_within":"8h"`, `"remind_before":["1d","2h"]`, `"community":{"general":"3d"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("%s lacks %s", b, s)
		}
	}
	got, err := inspect.ParsePolicy(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip changed the policy:\n%+v\n%+v", got, p)
	}
}

func TestPolicyOverride(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		wantField string
		check     func(t *testing.T, p inspect.TimeLimitPolicy)
	}{
		{"empty keeps the default", `{}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if !reflect.DeepEqual(p, inspect.DefaultPolicy()) {
				t.Errorf("%+v", p)
			}
		}},
		{"one entry", `{"rectify":{"grid":{"possibly_major":"12h"}}}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if got := p.Limit(inspect.LevelGrid, inspect.SeverityPossiblyMajor); got != 12*time.Hour {
				t.Errorf("grid/possibly_major = %s", got)
			}
			if got := p.Limit(inspect.LevelGrid, inspect.SeverityGeneral); got != day {
				t.Errorf("grid/general changed to %s", got)
			}
		}},
		{"sign and reminders", `{"sign_within":"4h","remind_before":["48h","3h","30m"]}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if p.SignWithin != inspect.Duration(4*time.Hour) || len(p.RemindBefore) != 3 {
				t.Errorf("%+v", p)
			}
		}},
		{"grace and re-inspection", `{"sign_grace":"2h","reinspect_within":"3d"}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if p.SignGrace != inspect.Duration(2*time.Hour) || p.ReinspectWithin != inspect.Duration(3*day) || p.SignWithin != inspect.Duration(8*time.Hour) {
				t.Errorf("%+v", p)
			}
		}},
		{"no grace: escalate at once", `{"sign_grace":"0h"}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if p.SignGrace != 0 {
				t.Errorf("grace %s", p.SignGrace)
			}
		}},
		{"negative grace", `{"sign_grace":"-1h"}`, "sign_grace", nil},
		{"zero re-inspection", `{"reinspect_within":"0h"}`, "reinspect_within", nil},
		{"re-inspection not a duration", `{"reinspect_within":"soon"}`, "reinspect_within", nil},
		{"no reminders at all", `{"remind_before":[]}`, "", func(t *testing.T, p inspect.TimeLimitPolicy) {
			if len(p.Reminders(t0)) != 0 {
				t.Errorf("reminders %v", p.Reminders(t0))
			}
		}},
		{"unknown top-level key", `{"sign_whithin":"4h"}`, "sign_whithin", nil},
		{"unknown level", `{"rectify":{"village":{"general":"1d"}}}`, "rectify.village", nil},
		{"unknown severity", `{"rectify":{"grid":{"urgent":"1d"}}}`, "rectify.grid.urgent", nil},
		{"zero duration", `{"rectify":{"grid":{"general":"0h"}}}`, "rectify.grid.general", nil},
		{"negative duration", `{"sign_within":"-1h"}`, "sign_within", nil},
		{"not a duration", `{"rectify":{"community":{"general":"three days"}}}`, "rectify.community.general", nil},
		{"number instead of text", `{"sign_within":8}`, "sign_within", nil},
		{"over a year", `{"rectify":{"district":{"major":"400d"}}}`, "rectify.district.major", nil},
		{"duplicate reminder", `{"remind_before":["2h","120m"]}`, "remind_before[1]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := inspect.ParsePolicyOverride([]byte(tt.json))
			if err == nil {
				var p inspect.TimeLimitPolicy
				p, err = inspect.DefaultPolicy().WithOverride(o)
				if err == nil && tt.check != nil {
					tt.check(t, p)
				}
			}
			assertField(t, err, tt.wantField)
		})
	}
}

func TestPolicyOverrideLeavesDefaultAlone(t *testing.T) {
	base := inspect.DefaultPolicy()
	o, err := inspect.ParsePolicyOverride([]byte(`{"rectify":{"grid":{"general":"2d"}},"remind_before":["1h"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.WithOverride(o); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(base, inspect.DefaultPolicy()) {
		t.Error("WithOverride modified the policy it was called on")
	}
}

func TestParsePolicyRejects(t *testing.T) {
	tests := []struct{ name, json, wantField string }{
		{"missing severity", `{"sign_within":"8h","remind_before":[],"rectify":{"grid":{"general":"1d"}}}`, "rectify.district.general"},
		{"missing sign", `{"remind_before":[],"rectify":{}}`, "sign_within"},
		{"bad grace", `{"sign_within":"8h","sign_grace":"-2h","remind_before":[],"rectify":{}}`, "sign_grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspect.ParsePolicy([]byte(tt.json))
			assertField(t, err, tt.wantField)
		})
	}
	for _, bad := range []string{``, `{`, `{} {}`, `[]`} {
		if _, err := inspect.ParsePolicy([]byte(bad)); inspect.ErrorCode(err) != inspect.EINVALID {
			t.Errorf("ParsePolicy(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		out     string
		wantErr bool
	}{
		{"3d", 3 * day, "3d", false},
		{"72h", 3 * day, "3d", false},
		{"8h", 8 * time.Hour, "8h", false},
		{"90m", 90 * time.Minute, "1h30m0s", false},
		{"1.5d", 0, "", true},
		{"d", 0, "", true},
		{"3 days", 0, "", true},
	}
	for _, tt := range tests {
		d, err := inspect.ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v", tt.in, err)
			continue
		}
		if err == nil && (time.Duration(d) != tt.want || d.String() != tt.out) {
			t.Errorf("ParseDuration(%q) = %s (%v), want %s", tt.in, d, time.Duration(d), tt.out)
		}
	}
}
