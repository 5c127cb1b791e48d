package checklists_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/safegrid/safegrid/checklists"
)

var update = flag.Bool("update", false, "rewrite the golden checklists in testdata/checklists")

const (
	profilesDir = "../testdata/profiles"
	goldenDir   = "../testdata/checklists"
)

// embedded loads the shipped rules once for all tests; the rule set is read-only.
var embedded = sync.OnceValues(checklists.LoadEmbedded)

func setup(t testing.TB) *checklists.RuleSet {
	t.Helper()
	rs, err := embedded()
	if err != nil {
		t.Fatalf("load embedded rules: %v", err)
	}
	return rs
}

// generateJSON is what "safegrid checklist --profile FILE --json" prints.
func generateJSON(t *testing.T, rs *checklists.RuleSet, profilePath string) (checklists.Checklist, []byte) {
	t.Helper()
	data, err := os.ReadFile(profilePath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := checklists.ParseProfile(data)
	if err != nil {
		t.Fatalf("parse %s: %v", profilePath, err)
	}
	cl, err := rs.Generate(p)
	if err != nil {
		t.Fatalf("generate %s: %v", profilePath, err)
	}
	out, err := cl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return cl, out
}

func profilePaths(t testing.TB) []string {
	paths, err := filepath.Glob(filepath.Join(profilesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 12 {
		t.Fatalf("want at least 12 profiles in %s, found %d", profilesDir, len(paths))
	}
	return paths
}

func TestGolden(t *testing.T) {
	rs := setup(t)
	for _, path := range profilePaths(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cl, got := generateJSON(t, rs, path)
			if len(cl.Items) == 0 {
				t.Fatal("checklist has no items")
			}
			for _, it := range cl.Items {
				if len(it.Citations) == 0 {
					t.Errorf("%s has no citation", it.Code)
				}
				if len(it.Because) == 0 || !strings.HasPrefix(it.Because[0], "site_type = ") {
					t.Errorf("%s: because = %q, want the site type first", it.Code, it.Because)
				}
			}
			golden := filepath.Join(goldenDir, name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./checklists -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("checklist differs from %s (run with -update if the change is intended):\n%s", golden, firstDiff(string(want), string(got)))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

func TestChecklistJSONRoundTrip(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	for _, path := range profilePaths(t) {
		cl, out := generateJSON(t, rs, path)
		var back checklists.Checklist
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(cl, back) {
			t.Errorf("%s: checklist changed in a JSON round trip", path)
		}
		if cl.RuleVersion != rs.Version || !strings.HasPrefix(cl.RuleVersion, "sha256:") {
			t.Errorf("%s: rule_version = %q, want %q", path, cl.RuleVersion, rs.Version)
		}
	}
}

func codes(cl checklists.Checklist) []string {
	var out []string
	for _, it := range cl.Items {
		out = append(out, it.Code)
	}
	return out
}

func item(cl checklists.Checklist, code string) (checklists.Item, bool) {
	i := slices.IndexFunc(cl.Items, func(it checklists.Item) bool { return it.Code == code })
	if i < 0 {
		return checklists.Item{}, false
	}
	return cl.Items[i], true
}

func generate(t *testing.T, rs *checklists.RuleSet, p checklists.Profile) checklists.Checklist {
	t.Helper()
	cl, err := rs.Generate(p)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return cl
}

// Acceptance 3: the high-rise e-bike rule and the two-exit exception.
func TestAcceptanceHighRiseEbike(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	cl := generate(t, rs, checklists.Profile{
		SiteType: checklists.SiteResidentialBuilding, Floors: 33, FloorAreaM2: 19800, MaxFloorAreaM2: 600,
		BuildingHeightM: 99, EbikeParking: "garage",
	})
	it, ok := item(cl, "EB-001")
	if !ok {
		t.Fatalf("high-rise residential building lacks EB-001; got %v", codes(cl))
	}
	if !slices.ContainsFunc(it.Citations, func(c checklists.Citation) bool {
		return strings.Contains(c.Source, "应急管理部令第5号") && c.Clause == "第37条"
	}) {
		t.Errorf("EB-001 citations = %+v, want 应急管理部令第5号 第37条", it.Citations)
	}
	for _, word := range []string{"门厅", "走道", "楼梯间", "安全出口"} {
		if !strings.Contains(it.Title.ZH, word) {
			t.Errorf("EB-001 title %q does not name %s", it.Title.ZH, word)
		}
	}
	if !slices.Contains(it.AIChecks, "two_wheeler_indoor") {
		t.Errorf("EB-001 ai_checks = %v, want two_wheeler_indoor", it.AIChecks)
	}
	if !slices.Contains(it.Because, "high_rise = true (building_height_m = 99)") {
		t.Errorf("EB-001 because = %v, want high_rise = true with the height", it.Because)
	}

	// A 26 m residential building is not high-rise (threshold 27 m): no EB-001.
	low := generate(t, rs, checklists.Profile{
		SiteType: checklists.SiteResidentialBuilding, Floors: 9, FloorAreaM2: 5400, MaxFloorAreaM2: 600, BuildingHeightM: 26,
	})
	if _, ok := item(low, "EB-001"); ok {
		t.Error("a 26 m residential building got the high-rise e-bike rule")
	}
}

func TestAcceptanceTwoExitException(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	tests := []struct {
		name     string
		p        checklists.Profile
		wantExit bool
	}{
		{"single storey 150 m² 30 people", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 1, FloorAreaM2: 150, Occupants: 30}, false},
		{"single storey 150 m² 60 people", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 1, FloorAreaM2: 150, Occupants: 60}, true},
		{"single storey 250 m² 30 people", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 1, FloorAreaM2: 250, Occupants: 30}, true},
		{"4 floors 300 m² per floor", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 4, FloorAreaM2: 1200, MaxFloorAreaM2: 300, Occupants: 80, UpperFloorOccupants: 40, FireResistanceClass: 2}, true},
		{"3 floors 150 m² class II 40 upstairs", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 3, FloorAreaM2: 450, MaxFloorAreaM2: 150, Occupants: 50, UpperFloorOccupants: 40, FireResistanceClass: 2}, false},
		{"3 floors 150 m² class III 40 upstairs", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 3, FloorAreaM2: 450, MaxFloorAreaM2: 150, Occupants: 50, UpperFloorOccupants: 40, FireResistanceClass: 3}, true},
		{"3 floors 150 m² class unknown", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 3, FloorAreaM2: 450, MaxFloorAreaM2: 150, Occupants: 40}, true},
		{"2 floors class IV 10 upstairs", checklists.Profile{SiteType: checklists.SiteHotel, Floors: 2, FloorAreaM2: 300, MaxFloorAreaM2: 150, Occupants: 20, UpperFloorOccupants: 10, FireResistanceClass: 4}, false},
		{"2 floors upstairs count unknown falls back to occupants", checklists.Profile{SiteType: checklists.SiteHotel, Floors: 2, FloorAreaM2: 300, MaxFloorAreaM2: 150, Occupants: 60, FireResistanceClass: 2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cl := generate(t, rs, tt.p)
			it, got := item(cl, "EXIT-001")
			if got != tt.wantExit {
				t.Fatalf("EXIT-001 applies = %v, want %v (items %v)", got, tt.wantExit, codes(cl))
			}
			if got && !slices.ContainsFunc(it.Citations, func(c checklists.Citation) bool { return c.Clause == "7.4.1" }) {
				t.Errorf("EXIT-001 does not cite GB 55037 7.4.1: %+v", it.Citations)
			}
		})
	}
}

func TestJurisdictionParameters(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	flat := checklists.Profile{SiteType: checklists.SiteGroupRental, Floors: 1, FloorAreaM2: 90, Rooms: 5, Tenants: 5, Subdivided: true}
	tests := []struct {
		jurisdiction string
		wantTitle    string
	}{
		{"", "人均居住面积不低于 5 m²"},
		{"zhejiang", "人均居住面积不低于 6 m²"},
		{"yiwu", "人均居住面积不低于 6 m²"}, // inherits from zhejiang
		{"shanghai", "人均居住面积不低于 5 m²"},
	}
	for _, tt := range tests {
		p := flat
		p.Jurisdiction = tt.jurisdiction
		cl := generate(t, rs, p)
		it, ok := item(cl, "RENT-006")
		if !ok {
			t.Fatalf("%q: no RENT-006", tt.jurisdiction)
		}
		if it.Title.ZH != tt.wantTitle {
			t.Errorf("%q: RENT-006 title = %q, want %q", tt.jurisdiction, it.Title.ZH, tt.wantTitle)
		}
	}
	j, ok := rs.Jurisdiction("yiwu")
	if !ok {
		t.Fatal("no yiwu pack")
	}
	if p, _ := j.Param("group_rental_min_area_per_person_m2"); p.From != "zhejiang" || p.Value != 6 {
		t.Errorf("yiwu group_rental_min_area_per_person_m2 = %+v, want 6 from zhejiang", p)
	}

	// Rules for a province apply in its cities too, and nowhere else.
	p := flat
	p.Jurisdiction = "yiwu"
	if _, ok := item(generate(t, rs, p), "EB-005"); !ok {
		t.Error("Zhejiang e-bike rule EB-005 missing in yiwu")
	}
	p.Jurisdiction = "guangdong"
	if _, ok := item(generate(t, rs, p), "EB-005"); ok {
		t.Error("Zhejiang e-bike rule EB-005 applied in guangdong")
	}

	p.Jurisdiction = "atlantis"
	if _, err := rs.Generate(p); fieldOf(err) != "jurisdiction" {
		t.Errorf("unknown jurisdiction: err = %v, want a jurisdiction field error", err)
	}
}

func TestItemsStableAndUnique(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	for _, path := range profilePaths(t) {
		_, a := generateJSON(t, rs, path)
		cl, b := generateJSON(t, rs, path)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two generations differ", path)
		}
		seen := map[string]bool{}
		for _, it := range cl.Items {
			if seen[it.Code] {
				t.Errorf("%s: %s listed twice", path, it.Code)
			}
			seen[it.Code] = true
		}
	}
}

func TestUnconfirmedBasisIsMarked(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	r, ok := rs.Rule("GAS-009")
	if !ok {
		t.Fatal("no GAS-009")
	}
	if r.Citations[0].Status != "U" || !r.Citations[0].Unconfirmed() {
		t.Errorf("GAS-009 (research item S18, clause [U]) citation = %+v, want status U", r.Citations[0])
	}
	var unconfirmed int
	for _, r := range rs.Rules {
		if slices.ContainsFunc(r.Citations, checklists.Citation.Unconfirmed) {
			unconfirmed++
		}
	}
	if unconfirmed == 0 {
		t.Error("no rule carries status U")
	}
}

func BenchmarkGenerate(b *testing.B) {
	rs := setup(b)
	var profiles []checklists.Profile
	for _, path := range profilePaths(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		p, err := checklists.ParseProfile(data)
		if err != nil {
			b.Fatal(err)
		}
		profiles = append(profiles, p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	items := 0
	for i := 0; b.Loop(); i++ {
		cl, err := rs.Generate(profiles[i%len(profiles)])
		if err != nil {
			b.Fatal(err)
		}
		items += len(cl.Items)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checklists/s")
	b.ReportMetric(float64(items)/float64(b.N), "items/checklist")
}
