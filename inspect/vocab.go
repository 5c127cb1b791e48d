package inspect

import "slices"

// The vocabulary: the location tags of the places a checklist item's photo
// shows, the kinds of evidence that prove an item, and the AI check codes a flag
// carries, each with its Chinese and English label. This file is their one owner:
// rule packs (checklists), the detector's check table (models), the API, the CLI
// and the web app (through GET /api/v1/vocabulary) all read them from here, and a
// test ties the users to it.

// Label is a text in Chinese and English.
type Label struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// In returns the label in lang ("zh" or "en"; anything else is zh).
func (l Label) In(lang string) string {
	if lang == "en" {
		return l.EN
	}
	return l.ZH
}

// Term is one word of the vocabulary: its code and its label.
type Term struct {
	Code  string `json:"code"`
	Label Label  `json:"label"`
}

// Location tags.
const (
	LocationOutdoors      = "outdoors"
	LocationStorefront    = "storefront"
	LocationExit          = "exit"
	LocationLobby         = "lobby"
	LocationCorridor      = "corridor"
	LocationStairwell     = "stairwell"
	LocationLift          = "lift"
	LocationRoom          = "room"
	LocationKitchen       = "kitchen"
	LocationEquipmentRoom = "equipment_room"
	LocationBikeStore     = "bike_store"
	LocationOffice        = "office"
	LocationOther         = "other"
)

// locations are in the order an inspector walks a site: from outside in,
// documents last. Checklists are sorted this way.
var locations = []Term{
	{LocationOutdoors, Label{"室外", "Outdoors"}},
	{LocationStorefront, Label{"门面", "Storefront"}},
	{LocationExit, Label{"安全出口", "Exits"}},
	{LocationLobby, Label{"门厅", "Lobby"}},
	{LocationCorridor, Label{"走道", "Corridors"}},
	{LocationStairwell, Label{"楼梯间", "Stairwells"}},
	{LocationLift, Label{"电梯", "Lifts"}},
	{LocationRoom, Label{"房间", "Rooms"}},
	{LocationKitchen, Label{"厨房", "Kitchen"}},
	{LocationEquipmentRoom, Label{"设备用房", "Equipment rooms"}},
	{LocationBikeStore, Label{"电动自行车停放充电区", "E-bike parking and charging"}},
	{LocationOffice, Label{"台账资料", "Records and documents"}},
	{LocationOther, Label{"其他", "Other"}},
}

// Evidence kinds: what proves an item passed.
const (
	EvidencePhoto        = "photo"
	EvidenceDocument     = "document"
	EvidenceFunctionTest = "function_test"
)

var evidence = []Term{
	{EvidencePhoto, Label{"现场照片", "a photo"}},
	{EvidenceDocument, Label{"证照或记录", "a document or record"}},
	{EvidenceFunctionTest, Label{"功能测试", "a function test"}},
}

// AI check codes.
const (
	CheckTwoWheelerIndoor      = "two_wheeler_indoor"
	CheckEscapeRouteObstructed = "escape_route_obstructed"
	CheckEbikeChargingIndoor   = "ebike_charging_indoor"
	CheckCombustiblesStacked   = "combustibles_stacked"
)

// AICheck is an AI check code with its label. Detected checks are the ones the
// detector (models) runs on photos, and the only ones a rule may name; every
// check can be added to a photo by hand.
type AICheck struct {
	Term
	Detected bool `json:"detected"`
}

var aiChecks = []AICheck{
	{Term{CheckTwoWheelerIndoor, Label{"电动车/两轮车在室内", "Two-wheeler indoors"}}, true},
	{Term{CheckEscapeRouteObstructed, Label{"疏散通道被堵", "Escape route obstructed"}}, true},
	{Term{CheckEbikeChargingIndoor, Label{"电动车室内充电", "E-bike charging indoors"}}, false},
	{Term{CheckCombustiblesStacked, Label{"可燃物堆放", "Combustibles stacked"}}, false},
}

// Vocabulary is the whole vocabulary, as GET /api/v1/vocabulary serves it.
type Vocabulary struct {
	Locations []Term    `json:"locations"`
	Evidence  []Term    `json:"evidence"`
	AIChecks  []AICheck `json:"ai_checks"`
}

// Vocab returns a copy of the vocabulary.
func Vocab() Vocabulary {
	return Vocabulary{Locations: slices.Clone(locations), Evidence: slices.Clone(evidence), AIChecks: slices.Clone(aiChecks)}
}

func codes[T any](ts []T, code func(T) string, keep func(T) bool) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if keep == nil || keep(t) {
			out = append(out, code(t))
		}
	}
	return out
}

// LocationTags returns the location tags in walking order.
func LocationTags() []string { return codes(locations, func(t Term) string { return t.Code }, nil) }

// EvidenceKinds returns the evidence kinds.
func EvidenceKinds() []string { return codes(evidence, func(t Term) string { return t.Code }, nil) }

// DetectedChecks returns the codes of the checks the detector runs: the ones a
// rule may name.
func DetectedChecks() []string {
	return codes(aiChecks, func(c AICheck) string { return c.Code }, func(c AICheck) bool { return c.Detected })
}

// AICheckCodes returns every AI check code.
func AICheckCodes() []string { return codes(aiChecks, func(c AICheck) string { return c.Code }, nil) }

func labelOf(ts []Term, code string) (Label, bool) {
	i := slices.IndexFunc(ts, func(t Term) bool { return t.Code == code })
	if i < 0 {
		return Label{}, false
	}
	return ts[i].Label, true
}

// LocationLabel returns the label of a location tag, and false for an unknown tag.
func LocationLabel(tag string) (Label, bool) { return labelOf(locations, tag) }

// EvidenceLabel returns the label of an evidence kind, and false for an unknown one.
func EvidenceLabel(kind string) (Label, bool) { return labelOf(evidence, kind) }
