package storage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safegrid/safegrid/inspect"
)

func TestKPISpans(t *testing.T) {
	cst := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, inspect.ReportZone)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		from, to string
		want     []kpiSpan
	}{
		{name: "months of whole days (the API's periods) read rollups only", from: "2023-01-01 00:00", to: "2026-01-01 00:00",
			want: []kpiSpan{{kpiFromMonths, cst("2023-01-01 00:00"), cst("2026-01-01 00:00")}}},
		{name: "days around whole months", from: "2025-02-20 00:00", to: "2025-05-03 00:00",
			want: []kpiSpan{{kpiFromDays, cst("2025-02-20 00:00"), cst("2025-03-01 00:00")},
				{kpiFromMonths, cst("2025-03-01 00:00"), cst("2025-05-01 00:00")},
				{kpiFromDays, cst("2025-05-01 00:00"), cst("2025-05-03 00:00")}}},
		{name: "partial days at both edges", from: "2025-02-27 16:30", to: "2025-03-02 08:00",
			want: []kpiSpan{{kpiFromHazards, cst("2025-02-27 16:30"), cst("2025-02-28 00:00")},
				{kpiFromDays, cst("2025-02-28 00:00"), cst("2025-03-02 00:00")},
				{kpiFromHazards, cst("2025-03-02 00:00"), cst("2025-03-02 08:00")}}},
		{name: "within one day", from: "2025-03-02 01:00", to: "2025-03-02 23:00",
			want: []kpiSpan{{kpiFromHazards, cst("2025-03-02 01:00"), cst("2025-03-02 23:00")}}},
		{name: "across one midnight without a whole day", from: "2025-03-02 13:00", to: "2025-03-03 09:00",
			want: []kpiSpan{{kpiFromHazards, cst("2025-03-02 13:00"), cst("2025-03-03 09:00")}}},
		{name: "empty", from: "2025-03-02 13:00", to: "2025-03-02 13:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The edges given in UTC are the same instants.
			got := kpiSpans(inspect.Period{From: cst(tt.from).UTC(), To: cst(tt.to).UTC()})
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
		})
	}
}
