package inspect_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func TestComputeKPI(t *testing.T) {
	tests := []struct {
		name       string
		counts     inspect.KPICounts
		completion float64
		onTime     float64
		avgRating  float64
		satisfied  float64
		returnRate float64
		undefined  []string // rates with no denominator
		wantErr    bool
	}{
		{
			name:       "a month in a grid",
			counts:     inspect.KPICounts{Received: 40, Closed: 37, ClosedOnTime: 33, Findings: 50, Returned: 5, Ratings: 20, RatingSum: 86, RatingsAtLeast4: 17},
			completion: 37.0 / 40, onTime: 33.0 / 37, avgRating: 4.3, satisfied: 0.85, returnRate: 0.1,
		},
		{
			name:      "nothing happened",
			counts:    inspect.KPICounts{},
			undefined: []string{"completion", "on_time", "returned"},
		},
		{
			name:       "nothing closed yet",
			counts:     inspect.KPICounts{Received: 3, Findings: 3},
			completion: 0, returnRate: 0,
			undefined: []string{"on_time"},
		},
		{name: "closed more than received", counts: inspect.KPICounts{Received: 1, Closed: 2}, wantErr: true},
		{name: "on time more than closed", counts: inspect.KPICounts{Received: 2, Closed: 1, ClosedOnTime: 2}, wantErr: true},
		{name: "negative", counts: inspect.KPICounts{Received: -1}, wantErr: true},
		{name: "ratings of six stars", counts: inspect.KPICounts{Ratings: 1, RatingSum: 6, RatingsAtLeast4: 1}, wantErr: true},
		{name: "4+ ratings summing to 3", counts: inspect.KPICounts{Ratings: 1, RatingSum: 3, RatingsAtLeast4: 1}, wantErr: true},
		{name: "low ratings summing to 5", counts: inspect.KPICounts{Ratings: 1, RatingSum: 5}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := inspect.ComputeKPI(tt.counts)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("inconsistent counts accepted: %+v", k)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			near := func(name string, got, want float64) {
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if k.Volume != tt.counts.Received {
				t.Errorf("volume = %d", k.Volume)
			}
			near("completion", k.Completion.Value(), tt.completion)
			near("on time", k.OnTime.Value(), tt.onTime)
			avg := 0.0
			if k.Satisfaction.Average != nil {
				avg = *k.Satisfaction.Average
			} else if tt.counts.Ratings > 0 {
				t.Errorf("average rating is null with %d ratings", tt.counts.Ratings)
			}
			near("average rating", avg, tt.avgRating)
			near("satisfaction", k.Satisfaction.Share4Plus.Value(), tt.satisfied)
			near("return rate", k.Returned.Value(), tt.returnRate)

			b, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]json.RawMessage
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.undefined {
				var r struct{ Value *float64 }
				if err := json.Unmarshal(out[name], &r); err != nil || r.Value != nil {
					t.Errorf("%s = %s, want value null (no data is not 0 %%)", name, out[name])
				}
			}
		})
	}
}
