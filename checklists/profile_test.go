package checklists_test

import (
	"errors"
	"testing"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// fieldOf returns the Field of the *inspect.Error in err, or "" if there is none.
func fieldOf(err error) string {
	var e *inspect.Error
	if errors.As(err, &e) && e.Code == inspect.EINVALID {
		return e.Field
	}
	return ""
}

func TestParseProfileRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		json      string
		wantField string
	}{
		{"unknown field", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"colour":"red"}`, "colour"},
		{"misspelt field", `{"site_type":"hotel","flors":1,"floor_area_m2":100}`, "flors"},
		{"string for a number", `{"site_type":"hotel","floors":"two","floor_area_m2":100}`, "floors"},
		{"fraction for a count", `{"site_type":"hotel","floors":1.5,"floor_area_m2":100}`, "floors"},
		{"number for a bool", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"sprinkler":1}`, "sprinkler"},
		{"unknown site type", `{"site_type":"castle","floors":1,"floor_area_m2":100}`, "site_type"},
		{"missing site type", `{"floors":1,"floor_area_m2":100}`, "site_type"},
		{"zero floors", `{"site_type":"hotel","floors":0,"floor_area_m2":100}`, "floors"},
		{"negative area", `{"site_type":"hotel","floors":1,"floor_area_m2":-5}`, "floor_area_m2"},
		{"largest floor missing", `{"site_type":"hotel","floors":3,"floor_area_m2":600}`, "max_floor_area_m2"},
		{"largest floor too small", `{"site_type":"hotel","floors":3,"floor_area_m2":600,"max_floor_area_m2":100}`, "max_floor_area_m2"},
		{"largest floor above total", `{"site_type":"hotel","floors":2,"floor_area_m2":100,"max_floor_area_m2":150}`, "max_floor_area_m2"},
		{"bad gas", `{"site_type":"restaurant","floors":1,"floor_area_m2":100,"gas":"coal"}`, "gas"},
		{"lpg kg without lpg", `{"site_type":"restaurant","floors":1,"floor_area_m2":100,"gas":"pipeline","lpg_kg":20}`, "lpg_kg"},
		{"bad equipment room", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"equipment_rooms":["sauna"]}`, "equipment_rooms"},
		{"bad e-bike parking", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"ebike_parking":"roof"}`, "ebike_parking"},
		{"charging without parking", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"ebike_charging":true}`, "ebike_charging"},
		{"sleepers without mixed living", `{"site_type":"shop","floors":1,"floor_area_m2":100,"sleepers":3}`, "sleepers"},
		{"fire class 5", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"fire_resistance_class":5}`, "fire_resistance_class"},
		{"negative occupants", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"occupants":-1}`, "occupants"},
		{"upper floor above total", `{"site_type":"hotel","floors":2,"floor_area_m2":100,"max_floor_area_m2":50,"occupants":5,"upper_floor_occupants":9}`, "upper_floor_occupants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checklists.ParseProfile([]byte(tt.json))
			if err == nil {
				t.Fatal("profile accepted")
			}
			if got := fieldOf(err); got != tt.wantField {
				t.Errorf("field = %q, want %q (err: %v)", got, tt.wantField, err)
			}
		})
	}
}

func TestParseProfileMalformed(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `[]`, `{"site_type":"hotel","floors":1,"floor_area_m2":100} {}`, `null x`} {
		_, err := checklists.ParseProfile([]byte(in))
		if inspect.ErrorCode(err) != inspect.EINVALID {
			t.Errorf("ParseProfile(%q) = %v, want an invalid-input error", in, err)
		}
	}
}

func TestParseProfileAccepts(t *testing.T) {
	t.Parallel()
	p, err := checklists.ParseProfile([]byte(`{"site_type":"live_work","floors":2,"floor_area_m2":200,"max_floor_area_m2":100,"sleepers":3,"building_height_m":30}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsHighRise() {
		t.Error("a 30 m building of housing type is high-rise (> 27 m)")
	}
	off := false
	p.HighRise = &off
	if p.IsHighRise() {
		t.Error("explicit high_rise false ignored")
	}
	hotel := checklists.Profile{SiteType: checklists.SiteHotel, BuildingHeightM: 25}
	if !hotel.IsHighRise() {
		t.Error("a 25 m public building is high-rise (> 24 m)")
	}
}

// FuzzParseProfile feeds arbitrary JSON to the site-profile parser: it must never
// panic, and a profile it accepts must validate and generate a checklist.
func FuzzParseProfile(f *testing.F) {
	for _, seed := range []string{
		`{"site_type":"hotel","floors":12,"floor_area_m2":5000,"has_kitchen":true}`,
		`{"site_type":"guesthouse","floors":1,"floor_area_m2":150,"occupants":30}`,
		`{"site_type":"shop","uses_gas":"lpg","lpg_kg":30}`,
		`{"site_type":"nope"}`,
		`{"floors":-1}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	rs, err := checklists.LoadEmbedded()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := checklists.ParseProfile(data)
		if err != nil {
			return
		}
		if _, err := rs.Generate(p); err != nil && inspect.ErrorCode(err) == inspect.EINTERNAL {
			t.Fatalf("profile %s parsed but generation failed internally: %v", data, err)
		}
	})
}

// Combinations that cannot be true are refused, naming the field.
func TestParseProfileRejectsImpossibleCombinations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		json      string
		wantField string
	}{
		{"3 storeys in 4.0 m", `{"site_type":"hotel","floors":3,"floor_area_m2":300,"max_floor_area_m2":100,"building_height_m":4.0}`, "building_height_m"},
		{"high_rise true at 20 m", `{"site_type":"hotel","floors":6,"floor_area_m2":600,"max_floor_area_m2":100,"building_height_m":20,"high_rise":true}`, "high_rise"},
		{"high_rise false at 99 m", `{"site_type":"residential_building","floors":33,"floor_area_m2":9900,"max_floor_area_m2":300,"building_height_m":99,"high_rise":false}`, "high_rise"},
		{"upper floor occupants in one storey", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"occupants":10,"upper_floor_occupants":5}`, "upper_floor_occupants"},
		{"fire control room without a fire alarm", `{"site_type":"hotel","floors":1,"floor_area_m2":100,"fire_control_room":true}`, "fire_control_room"},
		{"ground floor larger than the largest", `{"site_type":"hotel","floors":2,"floor_area_m2":200,"max_floor_area_m2":100,"ground_floor_area_m2":150}`, "ground_floor_area_m2"},
		{"more sleepers than occupants", `{"site_type":"live_work","floors":1,"floor_area_m2":100,"occupants":3,"sleepers":5}`, "sleepers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checklists.ParseProfile([]byte(tt.json))
			if got := fieldOf(err); got != tt.wantField {
				t.Errorf("field = %q, want %q (err: %v)", got, tt.wantField, err)
			}
		})
	}
	// A single-storey public building above 24 m is not high-rise (令第5号 §50), so
	// high_rise false agrees with it.
	if _, err := checklists.ParseProfile([]byte(`{"site_type":"shop","floors":1,"floor_area_m2":5000,"building_height_m":30,"high_rise":false}`)); err != nil {
		t.Errorf("single-storey 30 m hall with high_rise false refused: %v", err)
	}
}
