package checklists

import "strconv"

// SiteType is the kind of premises a profile describes (snake_case English code).
type SiteType string

// The site types rules may name. Their order is fixed: it numbers the bits of a
// rule's site-type mask.
const (
	SiteHotel               SiteType = "hotel"                // 旅馆、酒店
	SiteGuesthouse          SiteType = "guesthouse"           // 民宿、农家乐
	SiteShortLet            SiteType = "short_let"            // 网约房、短租房
	SiteRental              SiteType = "rental"               // 出租房屋
	SiteGroupRental         SiteType = "group_rental"         // 群租房
	SiteShop                SiteType = "shop"                 // 商店、商铺
	SiteRestaurant          SiteType = "restaurant"           // 餐饮、小饭店
	SiteLiveWork            SiteType = "live_work"            // 三合一场所
	SiteEbikeShop           SiteType = "ebike_shop"           // 电动自行车销售、维修
	SiteResidentialBuilding SiteType = "residential_building" // 住宅楼、居民小区
	SiteDormitory           SiteType = "dormitory"            // 集体宿舍
)

// SiteTypes lists every site type in mask order, with its Chinese label.
var SiteTypes = []struct {
	Code  SiteType
	Label Text
}{
	{SiteHotel, Text{ZH: "旅馆", EN: "hotel"}},
	{SiteGuesthouse, Text{ZH: "民宿", EN: "guesthouse"}},
	{SiteShortLet, Text{ZH: "网约房", EN: "short-let flat"}},
	{SiteRental, Text{ZH: "出租房屋", EN: "rental housing"}},
	{SiteGroupRental, Text{ZH: "群租房", EN: "group rental"}},
	{SiteShop, Text{ZH: "商店", EN: "shop"}},
	{SiteRestaurant, Text{ZH: "餐饮场所", EN: "restaurant"}},
	{SiteLiveWork, Text{ZH: "三合一场所", EN: "live-work premises"}},
	{SiteEbikeShop, Text{ZH: "电动自行车销售维修店", EN: "e-bike shop"}},
	{SiteResidentialBuilding, Text{ZH: "住宅楼", EN: "residential building"}},
	{SiteDormitory, Text{ZH: "集体宿舍", EN: "dormitory"}},
}

// siteTypeIndex returns the mask bit of t, or -1 for an unknown site type.
func siteTypeIndex(t SiteType) int {
	for i, s := range SiteTypes {
		if s.Code == t {
			return i
		}
	}
	return -1
}

// publicGathering reports whether t is a 公众聚集场所 (消防法 §73(三)): hotels,
// restaurants, shops and markets.
func publicGathering(t SiteType) bool {
	switch t {
	case SiteHotel, SiteGuesthouse, SiteShop, SiteRestaurant, SiteEbikeShop:
		return true
	}
	return false
}

// crowdedPlace reports whether t is a 人员密集场所 (消防法 §73(四)): the public
// gathering places plus staff dormitories.
func crowdedPlace(t SiteType) bool {
	return publicGathering(t) || t == SiteDormitory
}

// residential reports whether t is housing, whose high-rise threshold is 27 m
// rather than the 24 m of public buildings (应急管理部令第5号 §50).
func residential(t SiteType) bool {
	switch t {
	case SiteRental, SiteGroupRental, SiteShortLet, SiteResidentialBuilding, SiteLiveWork:
		return true
	}
	return false
}

// Gas supply kinds (profile field "gas").
const (
	GasNone     = "none"
	GasPipeline = "pipeline"
	GasLPG      = "lpg"
)

var gasValues = []string{GasNone, GasPipeline, GasLPG}

// E-bike parking kinds (profile field "ebike_parking").
var ebikeParkingValues = []string{"none", "indoor", "outdoor", "garage", "stilt_floor"}

// Equipment room kinds (profile field "equipment_rooms").
var equipmentRoomValues = []string{"pump", "generator", "oil_store", "distribution", "boiler", "hvac", "smoke_fan", "water_tank"}

// attrKind is the type of a site attribute in the condition language.
type attrKind uint8

const (
	kindBool   attrKind = iota + 1
	kindNumber          // integers and real numbers alike
	kindEnum            // one value of a fixed list
	kindSet             // any number of values of a fixed list
	kindJurisdiction
)

func (k attrKind) String() string {
	switch k {
	case kindBool:
		return "bool"
	case kindNumber:
		return "number"
	case kindEnum:
		return "enum"
	case kindSet:
		return "set"
	case kindJurisdiction:
		return "jurisdiction"
	}
	return "kind" + strconv.Itoa(int(k))
}

// attribute is one site attribute a condition may test. Numbers and booleans are
// read through num; enums, sets and the jurisdiction through bits (one bit per value).
type attribute struct {
	name   string
	kind   attrKind
	values []string // enum and set values, in bit order
	num    func(*Profile) float64
	bits   func(*Profile) uint64
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func enumBit(values []string, v string) uint64 {
	for i, s := range values {
		if s == v {
			return 1 << i
		}
	}
	return 0
}

var siteTypeValues = func() []string {
	v := make([]string, len(SiteTypes))
	for i, s := range SiteTypes {
		v[i] = string(s.Code)
	}
	return v
}()

// attributes is the one list of site attributes. Its index is the attribute's slot
// in the facts a profile is turned into. Derived attributes (high_rise,
// public_gathering, crowded_place, public_building, has_equipment_rooms) are computed
// from the profile so that rules need not repeat the definition.
var attributes = []attribute{
	{name: "site_type", kind: kindEnum, values: siteTypeValues, bits: func(p *Profile) uint64 { return enumBit(siteTypeValues, string(p.SiteType)) }},
	{name: "jurisdiction", kind: kindJurisdiction}, // bits filled in from the rule set's jurisdiction chain
	{name: "floors", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Floors) }},
	{name: "floor_area_m2", kind: kindNumber, num: func(p *Profile) float64 { return p.FloorAreaM2 }},
	{name: "max_floor_area_m2", kind: kindNumber, num: func(p *Profile) float64 { return p.maxFloorArea() }},
	{name: "building_height_m", kind: kindNumber, num: func(p *Profile) float64 { h, _ := p.Height(); return h }},
	{name: "high_rise", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.IsHighRise()) }},
	{name: "fire_resistance_class", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.FireResistanceClass) }},
	{name: "occupants", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Occupants) }},
	{name: "upper_floor_occupants", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.upperFloorOccupants()) }},
	{name: "beds", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Beds) }},
	{name: "rooms", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Rooms) }},
	{name: "tenants", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Tenants) }},
	{name: "gas", kind: kindEnum, values: gasValues, bits: func(p *Profile) uint64 { return enumBit(gasValues, p.gas()) }},
	{name: "lpg_kg", kind: kindNumber, num: func(p *Profile) float64 { return p.LPGKg }},
	{name: "has_kitchen", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.HasKitchen) }},
	{name: "shared_kitchen", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.SharedKitchen) }},
	{name: "below_grade_use", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.BelowGradeUse) }},
	{name: "sprinkler", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.Sprinkler) }},
	{name: "fire_alarm", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.FireAlarm) }},
	{name: "fire_control_room", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.FireControlRoom) }},
	{name: "fire_doors", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.FireDoors) }},
	{name: "equipment_rooms", kind: kindSet, values: equipmentRoomValues, bits: func(p *Profile) uint64 {
		var b uint64
		for _, r := range p.EquipmentRooms {
			b |= enumBit(equipmentRoomValues, r)
		}
		return b
	}},
	{name: "has_equipment_rooms", kind: kindBool, num: func(p *Profile) float64 { return boolNum(len(p.EquipmentRooms) > 0) }},
	{name: "mixed_living", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.MixedLiving || p.SiteType == SiteLiveWork) }},
	{name: "sleepers", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Sleepers) }},
	{name: "hazardous_goods", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.HazardousGoods) }},
	{name: "subdivided", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.Subdivided) }},
	{name: "stairs", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.Stairs) }},
	{name: "ebike_parking", kind: kindEnum, values: ebikeParkingValues, bits: func(p *Profile) uint64 { return enumBit(ebikeParkingValues, p.ebikeParking()) }},
	{name: "ebike_charging", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.EbikeCharging) }},
	{name: "rural", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.Rural) }},
	{name: "key_unit", kind: kindBool, num: func(p *Profile) float64 { return boolNum(p.KeyUnit) }},
	{name: "public_gathering", kind: kindBool, num: func(p *Profile) float64 { return boolNum(publicGathering(p.SiteType)) }},
	{name: "crowded_place", kind: kindBool, num: func(p *Profile) float64 { return boolNum(crowdedPlace(p.SiteType)) }},
	{name: "public_building", kind: kindBool, num: func(p *Profile) float64 { return boolNum(!residential(p.SiteType)) }},
	// Per-storey facts for the single-exit exception (GB 55037 §7.4.1).
	{name: "ground_floor_area_m2", kind: kindNumber, num: func(p *Profile) float64 { return p.groundFloorArea() }},
	{name: "ground_floor_occupants", kind: kindNumber, num: func(p *Profile) float64 { return float64(p.groundFloorOccupants()) }},
	// Comparisons for overcrowded lets (商品房屋租赁管理办法 §8): 0 when not known.
	{name: "area_per_occupant_m2", kind: kindNumber, num: func(p *Profile) float64 { return p.areaPerOccupant() }},
	{name: "occupants_per_room", kind: kindNumber, num: func(p *Profile) float64 { return p.occupantsPerRoom() }},
}

// Slots of attributes the code refers to directly; a test checks them.
const (
	attrJurisdiction   = 1
	attrFloors         = 2
	attrBuildingHeight = 5
	attrHighRise       = 6
)

// lookupAttribute returns the slot of the attribute called name, or -1.
func lookupAttribute(name string) int {
	for i := range attributes {
		if attributes[i].name == name {
			return i
		}
	}
	return -1
}

// AttributeNames lists the attributes a condition may use, in registry order.
func AttributeNames() []string {
	names := make([]string, len(attributes))
	for i, a := range attributes {
		names[i] = a.name
	}
	return names
}

// facts is a profile flattened for evaluation: one number and one bit set per
// attribute slot, plus the parameter values of the profile's jurisdiction.
type facts struct {
	num    [numAttributes]float64
	bits   [numAttributes]uint64
	params []float64
	jur    *Jurisdiction
	// heightInferred is set when building_height_m was inferred from the storeys
	// (storeyM each), so that explanations say so.
	heightInferred bool
	storeyM        float64
}

// numAttributes must equal len(attributes); a test keeps them in step.
const numAttributes = 40

func (f *facts) fill(p *Profile, j *Jurisdiction) {
	for i := range attributes {
		a := &attributes[i]
		if a.num != nil {
			f.num[i] = a.num(p)
		}
		if a.bits != nil {
			f.bits[i] = a.bits(p)
		}
	}
	f.heightInferred = p.heightInferred()
	f.storeyM = TypicalStoreyPublicM
	if residential(p.SiteType) {
		f.storeyM = TypicalStoreyResidentialM
	}
	f.bits[attrJurisdiction] = j.chain
	f.params = j.values
	f.jur = j
}
