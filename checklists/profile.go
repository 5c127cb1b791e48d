package checklists

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// Profile describes one site: what kind of premises it is and the attributes the
// rules' conditions test. Counts left at zero mean "none" (or "not known" for
// fire_resistance_class, upper_floor_occupants and stairs, which the rules treat
// conservatively).
type Profile struct {
	Name                string   `json:"name,omitempty"`
	SiteType            SiteType `json:"site_type"`
	Jurisdiction        string   `json:"jurisdiction,omitempty"` // parameter pack; "" = national
	Floors              int      `json:"floors"`                 // storeys the premises occupy
	FloorAreaM2         float64  `json:"floor_area_m2"`          // total
	MaxFloorAreaM2      float64  `json:"max_floor_area_m2,omitempty"`
	GroundFloorAreaM2   float64  `json:"ground_floor_area_m2,omitempty"` // area of the ground floor (首层); default max_floor_area_m2
	BuildingHeightM     float64  `json:"building_height_m,omitempty"`
	HighRise            *bool    `json:"high_rise,omitempty"` // overrides the value derived from the height
	FireResistanceClass int      `json:"fire_resistance_class,omitempty"`
	Occupants           int      `json:"occupants,omitempty"`             // most people present at once
	UpperFloorOccupants int      `json:"upper_floor_occupants,omitempty"` // people on the 2nd and 3rd floor
	Beds                int      `json:"beds,omitempty"`
	Rooms               int      `json:"rooms,omitempty"`
	Tenants             int      `json:"tenants,omitempty"` // tenant households
	Gas                 string   `json:"gas,omitempty"`     // none, pipeline, lpg
	LPGKg               float64  `json:"lpg_kg,omitempty"`  // LPG kept on site, kg
	HasKitchen          bool     `json:"has_kitchen,omitempty"`
	SharedKitchen       bool     `json:"shared_kitchen,omitempty"`
	BelowGradeUse       bool     `json:"below_grade_use,omitempty"` // basement or semi-basement in use
	Sprinkler           bool     `json:"sprinkler,omitempty"`
	FireAlarm           bool     `json:"fire_alarm,omitempty"`
	FireControlRoom     bool     `json:"fire_control_room,omitempty"`
	FireDoors           bool     `json:"fire_doors,omitempty"` // fire doors or shutters present
	EquipmentRooms      []string `json:"equipment_rooms,omitempty"`
	MixedLiving         bool     `json:"mixed_living,omitempty"` // sleeping in the same space as business/production/storage
	Sleepers            int      `json:"sleepers,omitempty"`     // people sleeping in mixed-use premises
	HazardousGoods      bool     `json:"hazardous_goods,omitempty"`
	Subdivided          bool     `json:"subdivided,omitempty"` // rooms created by partitioning
	Stairs              int      `json:"stairs,omitempty"`
	EbikeParking        string   `json:"ebike_parking,omitempty"` // none, indoor, outdoor, garage, stilt_floor
	EbikeCharging       bool     `json:"ebike_charging,omitempty"`
	Rural               bool     `json:"rural,omitempty"` // town or village outside the county seat
	KeyUnit             bool     `json:"key_unit,omitempty"`
}

// ParseProfile decodes a site profile from strict JSON and validates it. An unknown
// field, a value of the wrong type or an invalid value is an *inspect.Error with
// code inspect.EINVALID naming the field.
func ParseProfile(data []byte) (Profile, error) {
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, profileDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Profile{}, inspect.Errorf(inspect.EINVALID, "profile: unexpected data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func profileDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return inspect.Errorf(inspect.EINVALID, "profile must be a JSON object")
		}
		return inspect.FieldErrorf(field, "must be a %s, not a JSON %s", jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return inspect.Errorf(inspect.EINVALID, "profile is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return inspect.Errorf(inspect.EINVALID, "profile is empty or cut short")
	}
	// encoding/json reports unknown fields only as text: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return inspect.FieldErrorf(name, "unknown field")
	}
	return inspect.Errorf(inspect.EINVALID, "profile is not valid: %s", err.Error())
}

func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "whole number"
	case strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "bool":
		return "boolean"
	case kind == "slice":
		return "list"
	case kind == "ptr":
		return "boolean"
	}
	return kind
}

// Validate checks the profile's values and names the first field that is wrong. It
// does not know the rule set, so an unknown jurisdiction is reported by Generate.
func (p *Profile) Validate() error {
	if p.SiteType == "" {
		return inspect.FieldErrorf("site_type", "is required (one of %s)", strings.Join(siteTypeValues, ", "))
	}
	if siteTypeIndex(p.SiteType) < 0 {
		return inspect.FieldErrorf("site_type", "unknown site type %q (one of %s)", p.SiteType, strings.Join(siteTypeValues, ", "))
	}
	if p.Floors < 1 || p.Floors > 200 {
		return inspect.FieldErrorf("floors", "must be between 1 and 200")
	}
	if !(p.FloorAreaM2 > 0) || p.FloorAreaM2 > 1e7 {
		return inspect.FieldErrorf("floor_area_m2", "must be a positive area in m²")
	}
	switch {
	case p.MaxFloorAreaM2 < 0 || p.MaxFloorAreaM2 > p.FloorAreaM2:
		return inspect.FieldErrorf("max_floor_area_m2", "must be between 0 and floor_area_m2")
	case p.MaxFloorAreaM2 == 0 && p.Floors > 1:
		return inspect.FieldErrorf("max_floor_area_m2", "is required when floors > 1 (area of the largest floor)")
	case p.MaxFloorAreaM2 > 0 && p.MaxFloorAreaM2*float64(p.Floors) < p.FloorAreaM2*0.999:
		return inspect.FieldErrorf("max_floor_area_m2", "is smaller than floor_area_m2 / floors")
	}
	if p.GroundFloorAreaM2 < 0 || p.GroundFloorAreaM2 > p.maxFloorArea() {
		return inspect.FieldErrorf("ground_floor_area_m2", "must be between 0 and max_floor_area_m2 (the largest floor)")
	}
	if p.BuildingHeightM < 0 || p.BuildingHeightM > 1000 {
		return inspect.FieldErrorf("building_height_m", "must be between 0 and 1000 m")
	}
	if err := p.validateHeight(); err != nil {
		return err
	}
	if p.FireResistanceClass < 0 || p.FireResistanceClass > 4 {
		return inspect.FieldErrorf("fire_resistance_class", "must be 1 to 4 (耐火等级 一级–四级), or 0 if not known")
	}
	counts := []struct {
		name string
		v    int
	}{
		{"occupants", p.Occupants}, {"upper_floor_occupants", p.UpperFloorOccupants}, {"beds", p.Beds},
		{"rooms", p.Rooms}, {"tenants", p.Tenants}, {"sleepers", p.Sleepers}, {"stairs", p.Stairs},
	}
	for _, c := range counts {
		if c.v < 0 || c.v > 1_000_000 {
			return inspect.FieldErrorf(c.name, "must be a count between 0 and 1000000")
		}
	}
	if p.UpperFloorOccupants > p.Occupants {
		return inspect.FieldErrorf("upper_floor_occupants", "cannot exceed occupants")
	}
	if p.UpperFloorOccupants > 0 && p.Floors == 1 {
		return inspect.FieldErrorf("upper_floor_occupants", "is set but floors = 1 (a single storey has no 2nd or 3rd floor)")
	}
	if p.Sleepers > p.Occupants && p.Occupants > 0 {
		return inspect.FieldErrorf("sleepers", "cannot exceed occupants")
	}
	if p.FireControlRoom && !p.FireAlarm {
		return inspect.FieldErrorf("fire_control_room", "is true but fire_alarm is false (a fire control room houses the fire-alarm controller, GB 50116 §3.4)")
	}
	if p.Gas != "" && !slices.Contains(gasValues, p.Gas) {
		return inspect.FieldErrorf("gas", "unknown value %q (one of %s)", p.Gas, strings.Join(gasValues, ", "))
	}
	if p.LPGKg < 0 || p.LPGKg > 1e6 {
		return inspect.FieldErrorf("lpg_kg", "must be between 0 and 1000000 kg")
	}
	if p.LPGKg > 0 && p.Gas != GasLPG {
		return inspect.FieldErrorf("lpg_kg", "is set but gas is not \"lpg\"")
	}
	if p.SharedKitchen && !p.HasKitchen {
		return inspect.FieldErrorf("shared_kitchen", "is true but has_kitchen is false")
	}
	for _, r := range p.EquipmentRooms {
		if !slices.Contains(equipmentRoomValues, r) {
			return inspect.FieldErrorf("equipment_rooms", "unknown room kind %q (one of %s)", r, strings.Join(equipmentRoomValues, ", "))
		}
	}
	if p.Sleepers > 0 && !p.MixedLiving && p.SiteType != SiteLiveWork {
		return inspect.FieldErrorf("sleepers", "is set but mixed_living is false")
	}
	if p.EbikeParking != "" && !slices.Contains(ebikeParkingValues, p.EbikeParking) {
		return inspect.FieldErrorf("ebike_parking", "unknown value %q (one of %s)", p.EbikeParking, strings.Join(ebikeParkingValues, ", "))
	}
	if p.EbikeCharging && p.ebikeParking() == "none" {
		return inspect.FieldErrorf("ebike_charging", "is true but ebike_parking is \"none\"")
	}
	return nil
}

// IsHighRise reports whether the building is high-rise: the explicit high_rise
// field when given, else a height above 27 m for housing, and above 24 m for other
// buildings that are not single-storey (应急管理部令第5号 §50). Without a height the
// height is inferred from the storeys (see Height).
func (p *Profile) IsHighRise() bool {
	if p.HighRise != nil {
		return *p.HighRise
	}
	h, _ := p.Height()
	return highRiseHeight(p.SiteType, p.Floors, h)
}

func highRiseHeight(t SiteType, floors int, h float64) bool {
	if residential(t) {
		return h > highRiseResidentialM
	}
	return h > highRisePublicM && floors != 1
}

// High-rise thresholds of 应急管理部令第5号 §50 (and GB 50016 §2.1.1).
const (
	highRiseResidentialM = 27
	highRisePublicM      = 24
)

// Typical storey heights used to infer a building's height from its storeys when
// building_height_m is not given. They are deliberately on the high side so that the
// inferred class errs towards high-rise (the stricter duties):
//   - housing: 3.0 m — GB 50096-2011 §5.5.1 recommends a 2.80 m storey; rounded up
//     for the outdoor-ground-to-roof allowance of the height measurement
//     (GB 50016-2014 Appendix A);
//   - other buildings: 3.6 m — a hotel, shop or dormitory storey with a suspended
//     ceiling; an assumption of ours, not a figure from a standard.
const (
	TypicalStoreyResidentialM = 3.0
	TypicalStoreyPublicM      = 3.6
	minStoreyM                = 2.2 // below this no storey can hold a habitable room (GB 50096 §5.5.2: rooms ≥ 2.40 m clear)
)

// Height returns the building height used by the rules: building_height_m when
// given, else floors × the typical storey height of the site's class, with
// inferred = true. The storeys are those the premises occupy, so for premises in a
// taller building the inferred height is a lower bound: give building_height_m.
func (p *Profile) Height() (h float64, inferred bool) {
	if p.BuildingHeightM > 0 {
		return p.BuildingHeightM, false
	}
	storey := TypicalStoreyPublicM
	if residential(p.SiteType) {
		storey = TypicalStoreyResidentialM
	}
	return float64(p.Floors) * storey, true
}

func (p *Profile) heightInferred() bool {
	_, inferred := p.Height()
	return inferred && p.HighRise == nil
}

// validateHeight refuses storey counts and heights that cannot both be true, and an
// explicit high_rise that contradicts a given height.
func (p *Profile) validateHeight() error {
	if p.BuildingHeightM > 0 && p.BuildingHeightM < float64(p.Floors)*minStoreyM {
		return inspect.FieldErrorf("building_height_m", "%s m cannot hold floors = %d (at least %s m per storey); check building_height_m and floors",
			formatNumber(p.BuildingHeightM), p.Floors, formatNumber(minStoreyM))
	}
	if p.HighRise != nil && p.BuildingHeightM > 0 {
		derived := highRiseHeight(p.SiteType, p.Floors, p.BuildingHeightM)
		if *p.HighRise != derived {
			limit := highRisePublicM
			if residential(p.SiteType) {
				limit = highRiseResidentialM
			}
			return inspect.FieldErrorf("high_rise", "is %t but building_height_m = %s m with floors = %d says %t (high-rise: above %d m for site_type %s, 应急管理部令第5号 §50)",
				*p.HighRise, formatNumber(p.BuildingHeightM), p.Floors, derived, limit, p.SiteType)
		}
	}
	return nil
}

func (p *Profile) maxFloorArea() float64 {
	if p.MaxFloorAreaM2 > 0 {
		return p.MaxFloorAreaM2
	}
	return p.FloorAreaM2
}

// upperFloorOccupants is the number of people on the 2nd and 3rd floor; when not
// given it is taken to be all occupants, so an unknown count never earns the
// small-building exception.
func (p *Profile) upperFloorOccupants() int {
	if p.UpperFloorOccupants > 0 || p.Floors == 1 {
		return p.UpperFloorOccupants
	}
	return p.Occupants
}

// groundFloorArea is the area of the ground floor: given, or else the largest floor.
func (p *Profile) groundFloorArea() float64 {
	if p.GroundFloorAreaM2 > 0 {
		return p.GroundFloorAreaM2
	}
	return p.maxFloorArea()
}

// groundFloorOccupants is the number of people on the ground floor: all occupants
// of a single storey; occupants less those of the 2nd and 3rd floor for a building
// of two or three floors whose upper count is given; otherwise, not knowing how the
// rest are spread, all occupants (so an unknown count never earns an exception).
func (p *Profile) groundFloorOccupants() int {
	if p.Floors >= 2 && p.Floors <= 3 && p.UpperFloorOccupants > 0 {
		return p.Occupants - p.UpperFloorOccupants
	}
	return p.Occupants
}

// areaPerOccupant is floor area ÷ occupants, or 0 when occupants is not given.
func (p *Profile) areaPerOccupant() float64 {
	if p.Occupants == 0 {
		return 0
	}
	return p.FloorAreaM2 / float64(p.Occupants)
}

// occupantsPerRoom is occupants ÷ rooms, or 0 when either is not given.
func (p *Profile) occupantsPerRoom() float64 {
	if p.Occupants == 0 || p.Rooms == 0 {
		return 0
	}
	return float64(p.Occupants) / float64(p.Rooms)
}

func (p *Profile) gas() string {
	if p.Gas == "" {
		return GasNone
	}
	return p.Gas
}

func (p *Profile) ebikeParking() string {
	if p.EbikeParking == "" {
		return "none"
	}
	return p.EbikeParking
}
