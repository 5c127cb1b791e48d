package checklists

import (
	"slices"
	"strings"
	"testing"
)

func testEnv() *condEnv {
	return &condEnv{params: []string{"min_rooms"}, jurisdictions: []string{"national", "zhejiang", "yiwu"}}
}

func testFacts(p Profile, chain uint64, params ...float64) *facts {
	j := &Jurisdiction{Code: "yiwu", chain: chain, values: params}
	var f facts
	f.fill(&p, j)
	return &f
}

func TestAttributeTableSize(t *testing.T) {
	t.Parallel()
	if len(attributes) != numAttributes {
		t.Fatalf("numAttributes = %d, but %d attributes are defined", numAttributes, len(attributes))
	}
	for slot, name := range map[int]string{attrJurisdiction: "jurisdiction", attrFloors: "floors", attrBuildingHeight: "building_height_m", attrHighRise: "high_rise"} {
		if attributes[slot].name != name {
			t.Errorf("slot %d is %s, want %s", slot, attributes[slot].name, name)
		}
	}
	seen := map[string]bool{}
	for i, a := range attributes {
		if seen[a.name] {
			t.Errorf("attribute %s defined twice", a.name)
		}
		seen[a.name] = true
		if (a.num == nil) == (a.bits == nil) && i != attrJurisdiction {
			t.Errorf("attribute %s needs exactly one of num, bits", a.name)
		}
	}
}

func TestConditionEval(t *testing.T) {
	t.Parallel()
	p := Profile{SiteType: SiteRestaurant, Floors: 4, FloorAreaM2: 1200, MaxFloorAreaM2: 300, Gas: "lpg", LPGKg: 50,
		BelowGradeUse: true, EquipmentRooms: []string{"generator"}, Rooms: 12}
	f := testFacts(p, 0b101, 10) // in yiwu, within national; min_rooms = 10
	tests := []struct {
		src  string
		want bool
		why  []string
	}{
		{"", true, nil},
		{"floors > 3", true, []string{"floors = 4 (> 3)"}},
		{"floors > 4", false, []string{"floors = 4 (<= 4)"}},
		{"floors >= 4 and max_floor_area_m2 > 200", true, []string{"floors = 4 (>= 4)", "max_floor_area_m2 = 300 (> 200)"}},
		{"floors == 1 or gas == \"lpg\"", true, []string{"gas = lpg"}},
		{"not (floors == 1 and floor_area_m2 <= 200)", true, []string{"floors = 4 (!= 1)"}},
		{"gas != \"none\"", true, []string{"gas = lpg"}},
		{"gas in [\"pipeline\", \"none\"]", false, []string{"gas = lpg"}},
		{"below_grade_use", true, []string{"below_grade_use = true"}},
		{"sprinkler == false", true, []string{"sprinkler = false"}},
		{"not sprinkler and below_grade_use", true, []string{"sprinkler = false", "below_grade_use = true"}},
		{"equipment_rooms has \"generator\"", true, []string{"equipment_rooms has generator"}},
		{"equipment_rooms has \"pump\"", false, []string{"equipment_rooms lacks pump"}},
		{"rooms >= param.min_rooms", true, []string{"rooms = 12 (>= min_rooms = 10)"}},
		{"jurisdiction == \"yiwu\"", true, []string{"jurisdiction = yiwu (within yiwu)"}},
		{"jurisdiction == \"national\"", true, []string{"jurisdiction = yiwu (within national)"}},
		{"jurisdiction == \"zhejiang\"", false, []string{"jurisdiction = yiwu (not within zhejiang)"}},
		{"site_type in [\"restaurant\", \"shop\"]", true, []string{"site_type = restaurant"}},
		{"mixed_living", false, []string{"mixed_living = false"}},
		{"lpg_kg > 40.5 and (floors < 2 or public_building)", true, []string{"lpg_kg = 50 (> 40.5)", "public_building = true"}},
	}
	for _, tt := range tests {
		c, err := compileCondition(tt.src, testEnv())
		if err != nil {
			t.Errorf("compile %q: %v", tt.src, err)
			continue
		}
		if got := c.eval(f); got != tt.want {
			t.Errorf("%q = %v, want %v", tt.src, got, tt.want)
			continue
		}
		if why := c.explain(f, tt.want, nil); !slices.Equal(why, tt.why) {
			t.Errorf("%q explained as %q, want %q", tt.src, why, tt.why)
		}
	}
}

func TestConditionCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"flors > 2", `unknown attribute "flors"`},
		{"floors > \"two\"", "floors is a number"},
		{"floors", "floors is a number"},
		{"gas == lpg", "gas takes a quoted value"},
		{"gas == \"coal\"", `unknown gas value "coal"`},
		{"gas > 2", "gas is an enum"},
		{"sprinkler > 1", "sprinkler is a bool"},
		{"equipment_rooms == \"pump\"", "equipment_rooms is a set"},
		{"equipment_rooms has \"sauna\"", `unknown equipment_rooms value "sauna"`},
		{"rooms > param.nope", `unknown parameter "nope"`},
		{"param.min_rooms < rooms", "must be on the right"},
		{"jurisdiction == \"atlantis\"", `unknown jurisdiction value "atlantis"`},
		{"floors > 2 and", "expected an attribute"},
		{"(floors > 2", `expected ")"`},
		{"floors > 2 floors", `unexpected "floors"`},
		{"floors = 2", "unknown operator"},
		{"floors > 2 && rooms > 1", "unexpected character"},
		{"gas in [\"lpg\" \"none\"]", `expected "," or "]"`},
		{"gas == \"lpg", "unterminated string"},
		{"floors > 1.2.3", "bad number"},
		{strings.Repeat("not ", 100) + "rural", "nested deeper"},
		{strings.Repeat("(", 60) + "rural" + strings.Repeat(")", 60), "nested deeper"},
	}
	for _, tt := range tests {
		_, err := compileCondition(tt.src, testEnv())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("compile %q: err = %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}
