package models_test

import (
	"slices"
	"testing"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
)

// TestVocabularyTiesRulesToDetector ties the users of the vocabulary to its owner
// (inspect/vocab.go): every AI check a rule names is one the detector's check
// table runs, the table runs exactly the vocabulary's detected checks, and every
// location tag the rules and the table use is the vocabulary's.
func TestVocabularyTiesRulesToDetector(t *testing.T) {
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	var detector []string
	for _, c := range models.Checks() {
		detector = append(detector, c.Code)
		for _, loc := range c.Locations {
			if !slices.Contains(inspect.LocationTags(), loc) {
				t.Errorf("detector check %s applies at location %q, which the vocabulary does not have", c.Code, loc)
			}
		}
	}
	slices.Sort(detector)
	detector = slices.Compact(detector) // a check may have several rules
	detected := inspect.DetectedChecks()
	slices.Sort(detected)
	if !slices.Equal(detector, detected) {
		t.Errorf("the detector runs checks %v; the vocabulary says it runs %v", detector, detected)
	}
	named := 0
	for _, r := range rules.Rules {
		for _, code := range r.AIChecks {
			named++
			if !slices.Contains(detector, code) {
				t.Errorf("rule %s names AI check %q, which the detector does not know", r.Code, code)
			}
		}
		if !slices.Contains(inspect.LocationTags(), r.Location) {
			t.Errorf("rule %s is at location %q, which the vocabulary does not have", r.Code, r.Location)
		}
	}
	if named == 0 {
		t.Error("no rule names an AI check: the rule walk is broken")
	}
	for _, loc := range models.Locations() {
		if got, ok := models.NormalizeLocation(loc); !ok || got != loc || !slices.Contains(inspect.LocationTags(), loc) {
			t.Errorf("detector location %q is not a vocabulary tag", loc)
		}
	}
}

// TestRulesKeepTheirChecksWhereTheTableMovesThem checks that no rule loses what it
// asks the detector to look for: where a check never runs (its rules' NotAt: a
// two-wheeler at an exit), a rule that names it also names a check that counts the
// same classes there (escape_route_obstructed at an exit).
func TestRulesKeepTheirChecksWhereTheTableMovesThem(t *testing.T) {
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	table := models.Checks()
	moved := 0
	for _, r := range rules.Rules {
		for _, code := range r.AIChecks {
			kept := !slices.ContainsFunc(table, func(c models.Check) bool { return c.Code == code && slices.Contains(c.NotAt, r.Location) })
			if kept {
				continue
			}
			moved++
			takenOver := slices.ContainsFunc(table, func(c models.Check) bool {
				return c.ClassesOf == code && slices.Contains(c.Locations, r.Location) && slices.Contains(r.AIChecks, c.Code)
			})
			if !takenOver {
				t.Errorf("rule %s at %s names %s, which never runs there, and no check that counts its classes there", r.Code, r.Location, code)
			}
		}
	}
	if moved == 0 {
		t.Error("no rule names a check where the table moves it: the walk is broken or the table changed")
	}
}

// TestVocabularyIsComplete checks that every word has a code and both labels,
// once.
func TestVocabularyIsComplete(t *testing.T) {
	v := inspect.Vocab()
	terms := slices.Concat(v.Locations, v.Evidence)
	for _, c := range v.AIChecks {
		terms = append(terms, c.Term)
	}
	seen := map[string]bool{}
	for _, term := range terms {
		if term.Code == "" || term.Label.ZH == "" || term.Label.EN == "" {
			t.Errorf("term %+v lacks its code or a label", term)
		}
		if seen[term.Code] {
			t.Errorf("term %s is defined twice", term.Code)
		}
		seen[term.Code] = true
	}
	for _, m := range inspect.ManualHazards() {
		if !slices.Contains(inspect.AICheckCodes(), m.Code) {
			t.Errorf("manual hazard %s is not an AI check of the vocabulary", m.Code)
		}
	}
}
