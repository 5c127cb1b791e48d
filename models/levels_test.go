package models

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// TestWithLevels: accepted levels change what a detection raises for the check they
// name, and nothing else; the table itself is left as it was.
func TestWithLevels(t *testing.T) {
	dets := []Detection{
		det("motorcycle", 0.5, 100, 100, 400, 400), // two_wheeler_indoor
		det("suitcase", 0.5, 0, 600, 1000, 1000),   // escape_route_obstructed
	}
	status := func(flags []Flag) map[string]string {
		out := map[string]string{}
		for _, f := range flags {
			out[f.Code] = f.Status
		}
		return out
	}
	table := Checks()
	before := status(MapChecks(table, dets, 1000, 1000, LocationCorridor, nil))
	if before[inspect.CheckTwoWheelerIndoor] != StatusNeedsReview || before[inspect.CheckEscapeRouteObstructed] != StatusNeedsReview {
		t.Fatalf("at the default levels a 0.5 detection should need review: %v", before)
	}
	levels := map[string]inspect.ScoreLevels{inspect.CheckTwoWheelerIndoor: {Flag: 0.45, Review: 0.4}}
	after := status(MapChecks(WithLevels(table, levels), dets, 1000, 1000, LocationCorridor, nil))
	want := map[string]string{inspect.CheckTwoWheelerIndoor: StatusFlag, inspect.CheckEscapeRouteObstructed: StatusNeedsReview}
	for code, st := range want {
		if after[code] != st {
			t.Errorf("with accepted levels %v, %s is %q, want %q", levels, code, after[code], st)
		}
	}
	// A review level above the score drops the flag.
	high := map[string]inspect.ScoreLevels{inspect.CheckTwoWheelerIndoor: {Flag: 0.8, Review: 0.55}}
	if st, ok := status(MapChecks(WithLevels(table, high), dets, 1000, 1000, LocationCorridor, nil))[inspect.CheckTwoWheelerIndoor]; ok {
		t.Errorf("a 0.5 detection under a 0.55 review level still raised %q", st)
	}
	for _, c := range table {
		if c.FlagScore != FlagScore || c.ReviewScore != ReviewScore {
			t.Errorf("WithLevels changed the table it was given: %s has %v/%v", c.Code, c.FlagScore, c.ReviewScore)
		}
	}
}
