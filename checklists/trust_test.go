package checklists_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/safegrid/safegrid/checklists"
)

// The single-exit exception of GB 55037 §7.4.1 / GB 50016 §5.5.8, at and just past
// every threshold, per building class and per storey.
func TestSingleExitExceptionThresholds(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	type want struct{ exit, groundOnly bool }
	one := func(area float64, occ, class int) checklists.Profile {
		return checklists.Profile{SiteType: checklists.SiteHotel, Floors: 1, FloorAreaM2: area, Occupants: occ, FireResistanceClass: class}
	}
	multi := func(floors int, perFloor float64, occ, upper, class int) checklists.Profile {
		return checklists.Profile{SiteType: checklists.SiteHotel, Floors: floors, FloorAreaM2: perFloor * float64(floors), MaxFloorAreaM2: perFloor,
			Occupants: occ, UpperFloorOccupants: upper, FireResistanceClass: class, BuildingHeightM: 3.5 * float64(floors)}
	}
	tests := []struct {
		name string
		p    checklists.Profile
		want want
	}{
		{"1 storey 200 m² 50 people", one(200, 50, 2), want{false, false}},
		{"1 storey 200 m² 51 people", one(200, 51, 2), want{true, false}},
		{"1 storey 200.5 m² 50 people", one(200.5, 50, 2), want{true, false}},
		{"1 storey class unknown 200 m² 50 people", one(200, 50, 0), want{false, false}},
		{"1 storey 150 m² 300 people class II (upper floors are not a loophole)", one(150, 300, 2), want{true, false}},
		{"1 storey occupants unknown", one(100, 0, 2), want{true, false}},
		{"class I 3 floors 200 m² upper 50", multi(3, 200, 70, 50, 1), want{false, false}},
		{"class II 3 floors 200 m² upper 50", multi(3, 200, 70, 50, 2), want{false, false}},
		{"class II 3 floors 200 m² upper 51", multi(3, 200, 70, 51, 2), want{true, true}},
		{"class II 3 floors 201 m² upper 50", multi(3, 201, 70, 50, 2), want{true, false}},
		{"class II 4 floors 200 m² upper 50", multi(4, 200, 70, 50, 2), want{true, false}},
		{"class III 3 floors 200 m² upper 25", multi(3, 200, 40, 25, 3), want{false, false}},
		{"class III 3 floors 200 m² upper 26", multi(3, 200, 40, 26, 3), want{true, true}},
		{"class IV 2 floors 200 m² upper 15", multi(2, 200, 30, 15, 4), want{false, false}},
		{"class IV 2 floors 200 m² upper 16", multi(2, 200, 30, 16, 4), want{true, true}},
		{"class IV 3 floors 200 m² upper 15", multi(3, 200, 30, 15, 4), want{true, true}},
		{"class unknown 2 floors", multi(2, 150, 30, 10, 0), want{true, true}},
		{"class II upper 51, ground floor 51 people", multi(3, 200, 102, 51, 2), want{true, false}},
		{"class II upper 51, ground floor 50 people", multi(3, 200, 101, 51, 2), want{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, site := range []checklists.SiteType{checklists.SiteHotel, checklists.SiteShop} {
				p := tt.p
				p.SiteType = site
				code := map[checklists.SiteType]string{checklists.SiteHotel: "EXIT-001", checklists.SiteShop: "EXIT-002"}[site]
				cl := generate(t, rs, p)
				_, exit := item(cl, code)
				_, ground := item(cl, "EXIT-014")
				if exit != tt.want.exit || ground != tt.want.groundOnly {
					t.Errorf("%s: %s = %v, EXIT-014 = %v; want %v, %v (items %v)", site, code, exit, ground, tt.want.exit, tt.want.groundOnly, codes(cl))
				}
			}
		})
	}
}

// A 33-storey building without a height is not low-rise: its height is inferred
// from the storeys, and the reason says so.
func TestHeightInferredFromStoreys(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	tests := []struct {
		site     checklists.SiteType
		floors   int
		highRise bool
	}{
		{checklists.SiteResidentialBuilding, 33, true},
		{checklists.SiteResidentialBuilding, 9, false}, // 27.0 m: not above 27 m
		{checklists.SiteResidentialBuilding, 10, true}, // 30 m
		{checklists.SiteHotel, 6, false},               // 21.6 m
		{checklists.SiteHotel, 7, true},                // 25.2 m
	}
	for _, tt := range tests {
		p := checklists.Profile{SiteType: tt.site, Floors: tt.floors, FloorAreaM2: 500 * float64(tt.floors), MaxFloorAreaM2: 500, Occupants: 100}
		if got := p.IsHighRise(); got != tt.highRise {
			t.Errorf("%s with %d floors and no height: high-rise = %v, want %v", tt.site, tt.floors, got, tt.highRise)
		}
		if _, inferred := p.Height(); !inferred {
			t.Errorf("%s with %d floors: height not flagged as inferred", tt.site, tt.floors)
		}
		it, ok := item(generate(t, rs, p), "EXIT-012")
		if ok != tt.highRise {
			t.Errorf("%s with %d floors: EXIT-012 (high-rise only) applies = %v, want %v", tt.site, tt.floors, ok, tt.highRise)
		}
		if ok && !slices.ContainsFunc(it.Because, func(b string) bool { return strings.Contains(b, "inferred") }) {
			t.Errorf("%s with %d floors: because %v does not say the height was inferred", tt.site, tt.floors, it.Because)
		}
	}
	// A given height wins over the storeys.
	p := checklists.Profile{SiteType: checklists.SiteResidentialBuilding, Floors: 33, FloorAreaM2: 19800, MaxFloorAreaM2: 600, BuildingHeightM: 99}
	if h, inferred := p.Height(); inferred || h != 99 {
		t.Errorf("Height() = %v, %v; want 99 given", h, inferred)
	}
}

// Floor area ÷ occupants is compared with the local minimum for every residential
// let, declared a group rental or not.
func TestOvercrowdedLet(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	tests := []struct {
		jur       string
		site      checklists.SiteType
		area      float64
		occupants int
		want      bool
	}{
		{"chengdu", checklists.SiteRental, 90, 18, false}, // 5.0 m² each: at the minimum
		{"chengdu", checklists.SiteRental, 90, 19, true},
		{"", checklists.SiteShortLet, 90, 19, true},
		{"", checklists.SiteGroupRental, 90, 18, false},
		{"zhejiang", checklists.SiteRental, 60, 10, false}, // 6.0: Zhejiang's minimum
		{"zhejiang", checklists.SiteRental, 60, 11, true},
		{"yiwu", checklists.SiteRental, 60, 11, true}, // inherits Zhejiang's 6 m²
		{"", checklists.SiteRental, 60, 0, false},     // occupants unknown: no comparison
		{"", checklists.SiteResidentialBuilding, 60, 30, false},
	}
	for _, tt := range tests {
		p := checklists.Profile{SiteType: tt.site, Jurisdiction: tt.jur, Floors: 1, FloorAreaM2: tt.area, Occupants: tt.occupants, BuildingHeightM: 12}
		it, got := item(generate(t, rs, p), "RENT-017")
		if got != tt.want {
			t.Errorf("%s %s %v m² %d people: RENT-017 = %v, want %v", tt.jur, tt.site, tt.area, tt.occupants, got, tt.want)
			continue
		}
		if got && !slices.ContainsFunc(it.Citations, func(c checklists.Citation) bool {
			return strings.Contains(c.Source, "商品房屋租赁管理办法") && c.Clause == "第8条"
		}) {
			t.Errorf("RENT-017 citations %+v, want 商品房屋租赁管理办法 第8条", it.Citations)
		}
	}
}

// Sprinkler and fire-alarm duties depend on building class, use and size.
func TestSprinklerDutyIsConditional(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	tests := []struct {
		name string
		p    checklists.Profile
		want bool
	}{
		{"80 m² shop", checklists.Profile{SiteType: checklists.SiteShop, Floors: 1, FloorAreaM2: 80, Occupants: 10}, false},
		{"240 m² village guesthouse", checklists.Profile{SiteType: checklists.SiteGuesthouse, Floors: 2, FloorAreaM2: 240, MaxFloorAreaM2: 120, Rural: true, Occupants: 20}, false},
		{"shop 2 × 1500 m²", checklists.Profile{SiteType: checklists.SiteShop, Floors: 2, FloorAreaM2: 3000, MaxFloorAreaM2: 1500, BuildingHeightM: 10, Occupants: 900}, false},
		{"shop 2 × 1501 m²", checklists.Profile{SiteType: checklists.SiteShop, Floors: 2, FloorAreaM2: 3002, MaxFloorAreaM2: 1501, BuildingHeightM: 10, Occupants: 900}, true},
		{"hotel 3 × 1000 m²", checklists.Profile{SiteType: checklists.SiteHotel, Floors: 3, FloorAreaM2: 3000, MaxFloorAreaM2: 1000, BuildingHeightM: 12, Occupants: 200}, false},
		{"hotel 3 × 1001 m²", checklists.Profile{SiteType: checklists.SiteHotel, Floors: 3, FloorAreaM2: 3003, MaxFloorAreaM2: 1001, BuildingHeightM: 12, Occupants: 200}, true},
		{"basement shop 500 m²", checklists.Profile{SiteType: checklists.SiteShop, Floors: 1, FloorAreaM2: 500, BelowGradeUse: true, Occupants: 100}, false},
		{"basement shop 501 m²", checklists.Profile{SiteType: checklists.SiteShop, Floors: 1, FloorAreaM2: 501, BelowGradeUse: true, Occupants: 100}, true},
		{"small hotel in a 25 m public building", checklists.Profile{SiteType: checklists.SiteHotel, Floors: 2, FloorAreaM2: 400, MaxFloorAreaM2: 200, BuildingHeightM: 25, Occupants: 40}, true},
	}
	for _, tt := range tests {
		cl := generate(t, rs, tt.p)
		_, spr := item(cl, "FEQ-004")
		_, alarm := item(cl, "FEQ-022")
		if spr != tt.want || alarm != tt.want {
			t.Errorf("%s: FEQ-004 = %v, FEQ-022 = %v, want %v", tt.name, spr, alarm, tt.want)
		}
	}
}

// No checklist anywhere cites a local regulation outside its place, or
// 应急管理部令第5号 for a building that is not high-rise.
func TestCitationsStayInScope(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	place := map[string]string{}
	for _, s := range rs.Sources {
		if s.Jurisdiction != "" {
			place[s.Name] = s.Jurisdiction
		}
	}
	for _, j := range rs.Jurisdictions {
		for _, site := range checklists.SiteTypes {
			for _, height := range []float64{9, 60} {
				p := checklists.Profile{SiteType: site.Code, Jurisdiction: j.Code, Floors: 3, FloorAreaM2: 600, MaxFloorAreaM2: 200,
					BuildingHeightM: height, Occupants: 60, Gas: checklists.GasLPG, BelowGradeUse: true, HasKitchen: true,
					FireAlarm: true, FireControlRoom: true, FireDoors: true, EquipmentRooms: []string{"pump", "generator"},
					KeyUnit: true, HazardousGoods: true, Subdivided: true, Rooms: 12, Tenants: 4, MixedLiving: true, Sleepers: 5,
					EbikeParking: "indoor", EbikeCharging: true}
				cl := generate(t, rs, p)
				for _, it := range cl.Items {
					for _, c := range it.Citations {
						if where, local := place[c.Source]; local && !within(rs, j.Code, where) {
							t.Errorf("%s in %s: %s cites %s of %s", site.Code, j.Code, it.Code, c.Source, where)
						}
						if strings.Contains(c.Source, "应急管理部令第5号") && !p.IsHighRise() {
							t.Errorf("%s %v m: %s cites 应急管理部令第5号 for a building that is not high-rise", site.Code, height, it.Code)
						}
					}
				}
			}
		}
	}
}

func within(rs *checklists.RuleSet, code, place string) bool {
	for code != "" {
		if code == place {
			return true
		}
		j, ok := rs.Jurisdiction(code)
		if !ok {
			return false
		}
		code = j.Parent
	}
	return false
}

// Loading refuses a rule that cites a source outside its scope.
func TestScopeLintRefusesOutOfScopeCitations(t *testing.T) {
	t.Parallel()
	rule := func(code, when, source string) string {
		return fmt.Sprintf(`  - code: %s
    title: {zh: 测试, en: Test}
    explanation: {zh: 说明, en: Explanation}
    site_types: [all]
    when: %s
    citations: [{source: %s, clause: "第1条", status: V}]
    evidence: photo
    severity: general
    rectify_days: 3
    location: exit
`, code, when, source)
	}
	tests := []struct {
		when, source, wantErr string
	}{
		{`floors >= 1`, "beijing_fire", "a regulation of beijing, but may apply in"},
		{`jurisdiction == "beijing" or floors > 3`, "beijing_fire", "a regulation of beijing"},
		{`jurisdiction in ["beijing", "shanghai"]`, "beijing_fire", "may apply in shanghai"},
		{`floors >= 7`, "mem_order_5", "binds only where high_rise"},
		{`high_rise or floors >= 7`, "mem_order_5", "binds only where high_rise"},
		{`jurisdiction == "beijing" and floors >= 1`, "beijing_fire", ""},
		{`high_rise and gas == "lpg"`, "mem_order_5", ""},
		{`(high_rise and floors > 9) or (high_rise and rooms > 3)`, "mem_order_5", ""},
		{`jurisdiction == "yiwu"`, "zhejiang_ebike", ""}, // Yiwu lies within Zhejiang
	}
	for _, tt := range tests {
		fsys := ruleFS(t)
		fsys["zz_test.yaml"] = &fstest.MapFile{Data: []byte("pack: zz\ntitle: {zh: 测试, en: Test}\nrules:\n" + rule("ZZ-001", tt.when, tt.source))}
		_, err := checklists.LoadFS(fsys, "rules")
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("when %q citing %s: %v", tt.when, tt.source, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("when %q citing %s: err = %v, want %q", tt.when, tt.source, err, tt.wantErr)
		}
	}
}

func TestCoverageAndVerifiedShare(t *testing.T) {
	t.Parallel()
	rs := setup(t)
	cov := rs.Coverage()
	if len(cov) != len(rs.Sources) {
		t.Fatalf("coverage lists %d sources, want %d", len(cov), len(rs.Sources))
	}
	var cited, omitted int
	for _, sc := range cov {
		for _, u := range sc.Covered {
			if len(u.Rules) == 0 || u.Status == "" {
				t.Errorf("%s %s: no rules or status", sc.Source.ID, u.Clause)
			}
			cited++
		}
		for _, o := range sc.Omitted {
			if o.Why == "" {
				t.Errorf("%s %s: omitted without a reason", sc.Source.ID, o.Clause)
			}
			omitted++
		}
		if sc.Source.ID == "mem_order_5" && sc.Source.Requires != "high_rise" {
			t.Errorf("mem_order_5 scope = %q, want high_rise", sc.Source.Requires)
		}
	}
	if cited == 0 || omitted == 0 {
		t.Errorf("coverage: %d clauses covered, %d left out", cited, omitted)
	}
	v, total := rs.VerifiedShare()
	if total == 0 || float64(v) < 0.6*float64(total) {
		t.Errorf("verified share %d/%d, want at least 60 %%", v, total)
	}
}
