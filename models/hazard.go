package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// Flag statuses. A flag goes to the safety office's review queue either way; "flag" is
// the model being fairly sure, "needs_review" a weaker signal worth a look.
const (
	StatusFlag        = "flag"
	StatusNeedsReview = "needs_review"
)

// Default score levels of the checks: flag from FlagScore, "needs review" from ReviewScore.
const (
	FlagScore   float32 = 0.6
	ReviewScore float32 = 0.35
)

// Location tags of the place a photo shows, taken from the checklist item it
// belongs to. The tags and their labels are the vocabulary's (inspect/vocab.go).
const (
	LocationCorridor  = inspect.LocationCorridor
	LocationStairwell = inspect.LocationStairwell
	LocationExit      = inspect.LocationExit
	LocationLobby     = inspect.LocationLobby
	LocationRoom      = inspect.LocationRoom
	LocationKitchen   = inspect.LocationKitchen
	LocationBikeStore = inspect.LocationBikeStore
	LocationOutdoors  = inspect.LocationOutdoors
)

// Locations lists the known location tags.
func Locations() []string { return inspect.LocationTags() }

// locationAliases maps other spellings inspectors and rule packs use to the tags above.
var locationAliases = map[string]string{
	"hallway": LocationCorridor, "hall": LocationCorridor, "passage": LocationCorridor,
	"stairs": LocationStairwell, "staircase": LocationStairwell, "stairway": LocationStairwell,
	"emergency_exit": LocationExit, "fire_exit": LocationExit, "exit_door": LocationExit,
	"entrance_hall": LocationLobby, "foyer": LocationLobby,
	"bedroom": LocationRoom, "living_room": LocationRoom, "guest_room": LocationRoom,
	"storeroom": LocationRoom, "store_room": LocationRoom, "storage": LocationRoom, "warehouse": LocationRoom,
	"shop":      inspect.LocationStorefront,
	"bike_shed": LocationBikeStore, "bicycle_store": LocationBikeStore, "bike_room": LocationBikeStore,
	"outside": LocationOutdoors, "outdoor": LocationOutdoors, "street": LocationOutdoors, "yard": LocationOutdoors,
}

// NormalizeLocation returns the canonical tag for a location as written ("Bike store",
// "bedroom", "fire-exit"), and false when it is not a known place.
func NormalizeLocation(s string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.NewReplacer(" ", "_", "-", "_").Replace(t)
	if slices.Contains(Locations(), t) {
		return t, true
	}
	if a, ok := locationAliases[t]; ok {
		return a, true
	}
	return t, false
}

// Rule kinds of a Check.
const (
	// RulePresent holds when any detection of the check's classes is in the photo.
	RulePresent = "present"
	// RuleFloorBand holds when detections of the check's classes cover at least
	// MinCoverage of the Band's area together, or one of them spans at least MinSpan of
	// the band's width.
	RuleFloorBand = "floor_band"
)

// Band is a region of a photo as fractions of its width and height.
type Band struct {
	X1, Y1, X2, Y2 float32
}

// Check is one AI hazard check: a rule over detections plus the photo's location. The
// table of checks is data; MapFlags evaluates it without code per hazard.
type Check struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Locations are the places where the check applies when the checklist item does
	// not name its checks.
	Locations []string `json:"locations"`
	// Classes are the detection classes that count.
	Classes []string `json:"classes"`
	// ReviewOnlyClasses count too, but can only raise "needs review": the model sees
	// something that might be the hazard (a skateboard that might be an e-scooter).
	ReviewOnlyClasses []string `json:"review_only_classes,omitempty"`
	Rule              string   `json:"rule"`
	Band              Band     `json:"band,omitzero"`
	MinCoverage       float32  `json:"min_coverage,omitempty"`
	MinSpan           float32  `json:"min_span,omitempty"`
	FlagScore         float32  `json:"flag_score"`
	ReviewScore       float32  `json:"review_score"`
}

// obstructionClasses are COCO classes that block an escape route when left in it:
// furniture, luggage, appliances and two-wheelers. People never count.
var obstructionClasses = []string{
	"chair", "couch", "bench", "bed", "dining table", "potted plant", "toilet",
	"suitcase", "backpack", "handbag",
	"refrigerator", "oven", "microwave", "sink", "tv",
	"bicycle", "motorcycle", "skateboard",
}

// checkTable is the hazard checks the detector can support. It is never modified; use
// Checks for a copy.
var checkTable = []Check{
	{
		Code:              inspect.CheckTwoWheelerIndoor,
		Title:             "bicycle, e-bike or motorcycle parked indoors",
		Locations:         indoorLocations,
		Classes:           []string{"bicycle", "motorcycle"},
		ReviewOnlyClasses: []string{"skateboard"},
		Rule:              RulePresent,
		FlagScore:         FlagScore,
		ReviewScore:       ReviewScore,
	},
	{
		Code:      inspect.CheckEscapeRouteObstructed,
		Title:     "escape route or exit obstructed",
		Locations: []string{LocationExit, LocationCorridor},
		Classes:   obstructionClasses,
		Rule:      RuleFloorBand,
		// The floor in front of the camera: the central 60 % of the width, the lower 40 %.
		Band:        Band{X1: 0.2, Y1: 0.6, X2: 0.8, Y2: 1.0},
		MinCoverage: 0.25,
		MinSpan:     0.6,
		FlagScore:   FlagScore,
		ReviewScore: ReviewScore,
	},
}

// Checks returns a copy of the table of AI hazard checks.
func Checks() []Check {
	out := make([]Check, len(checkTable))
	for i, c := range checkTable {
		c.Locations = slices.Clone(c.Locations)
		c.Classes = slices.Clone(c.Classes)
		c.ReviewOnlyClasses = slices.Clone(c.ReviewOnlyClasses)
		out[i] = c
	}
	return out
}

// CheckByCode returns the check with the given code.
func CheckByCode(code string) (Check, bool) {
	for _, c := range Checks() {
		if c.Code == code {
			return c, true
		}
	}
	return Check{}, false
}

// Flag is a possible hazard raised on a photo, for a reviewer to confirm or reject.
type Flag struct {
	Code   string  `json:"code"`
	Score  float32 `json:"score"`
	Status string  `json:"status"` // StatusFlag or StatusNeedsReview
	Boxes  []Rect  `json:"boxes"`
	Reason string  `json:"reason"`
}

// MapFlags evaluates the hazard checks on the detections of one imgW×imgH photo taken at
// location. checks names the checks to run (the checklist item's own list, run whatever
// the location); nil runs every check whose Locations include location. Flags come in
// the order of the check table.
func MapFlags(dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	return MapChecks(checkTable, dets, imgW, imgH, location, checks)
}

// MapChecks is MapFlags over another table of checks, a model's own (see
// Manifest.CheckTable).
func MapChecks(table []Check, dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	loc, _ := NormalizeLocation(location)
	var flags []Flag
	for i := range table {
		c := &table[i]
		if checks != nil {
			if !slices.Contains(checks, c.Code) {
				continue
			}
		} else if !slices.Contains(c.Locations, loc) {
			continue
		}
		if f, ok := c.evaluate(dets, imgW, imgH, loc); ok {
			flags = append(flags, f)
		}
	}
	return flags
}

// evaluate runs the check first with only the detections sure enough to flag, then with
// those sure enough for review.
func (c *Check) evaluate(dets []Detection, imgW, imgH int, loc string) (Flag, bool) {
	levels := []struct {
		min        float32
		status     string
		reviewOnly bool
	}{
		{c.FlagScore, StatusFlag, false},
		{c.ReviewScore, StatusNeedsReview, true},
	}
	for _, lv := range levels {
		var cands []Detection
		for _, d := range dets {
			if d.Score < lv.min {
				continue
			}
			if slices.Contains(c.Classes, d.Class) || (lv.reviewOnly && slices.Contains(c.ReviewOnlyClasses, d.Class)) {
				cands = append(cands, d)
			}
		}
		if len(cands) == 0 {
			continue
		}
		var hits []Detection
		var why string
		switch c.Rule {
		case RulePresent:
			hits = cands
			why = fmt.Sprintf("%s in a %s photo", describe(hits), placeName(loc))
		case RuleFloorBand:
			hits, why = c.floorBand(cands, imgW, imgH, loc)
		}
		if len(hits) == 0 {
			continue
		}
		f := Flag{Code: c.Code, Status: lv.status, Reason: why}
		for _, h := range hits {
			f.Score = max(f.Score, h.Score)
			f.Boxes = append(f.Boxes, h.Box)
		}
		return f, true
	}
	return Flag{}, false
}

// floorBand returns the detections in the band when together they cover MinCoverage of
// it, or one spans MinSpan of its width; nil otherwise.
func (c *Check) floorBand(cands []Detection, imgW, imgH int, loc string) ([]Detection, string) {
	w, h := float32(imgW), float32(imgH)
	band := Rect{X1: c.Band.X1 * w, Y1: c.Band.Y1 * h, X2: c.Band.X2 * w, Y2: c.Band.Y2 * h}
	if band.Area() <= 0 {
		return nil, ""
	}
	var in []Detection
	var clipped []Rect
	var widest Detection
	var span float32
	for _, d := range cands {
		x := d.Box.Intersect(band)
		if x.Area() <= 0 {
			continue
		}
		in = append(in, d)
		clipped = append(clipped, x)
		if s := x.Width() / band.Width(); s > span {
			span, widest = s, d
		}
	}
	cover := unionArea(clipped) / band.Area()
	switch {
	case cover >= c.MinCoverage:
		return in, fmt.Sprintf("%s cover %.0f%% of the floor band of this %s photo", describe(in), 100*cover, placeName(loc))
	case span >= c.MinSpan:
		return []Detection{widest}, fmt.Sprintf("%s spans %.0f%% of the width of the floor band of this %s photo", describe([]Detection{widest}), 100*span, placeName(loc))
	}
	return nil, ""
}

// unionArea is the area covered by rs together, by coordinate compression (exact).
func unionArea(rs []Rect) float32 {
	if len(rs) == 0 {
		return 0
	}
	var xs, ys []float32
	for _, r := range rs {
		xs = append(xs, r.X1, r.X2)
		ys = append(ys, r.Y1, r.Y2)
	}
	slices.Sort(xs)
	slices.Sort(ys)
	xs, ys = slices.Compact(xs), slices.Compact(ys)
	var area float32
	for i := 0; i+1 < len(xs); i++ {
		for j := 0; j+1 < len(ys); j++ {
			cx, cy := (xs[i]+xs[i+1])/2, (ys[j]+ys[j+1])/2
			for _, r := range rs {
				if cx > r.X1 && cx < r.X2 && cy > r.Y1 && cy < r.Y2 {
					area += (xs[i+1] - xs[i]) * (ys[j+1] - ys[j])
					break
				}
			}
		}
	}
	return area
}

// describe lists detections as "motorcycle 0.89, bicycle 0.55", best first.
func describe(ds []Detection) string {
	ds = slices.Clone(ds)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Score > ds[j].Score })
	parts := make([]string, 0, len(ds))
	for i, d := range ds {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("%d more", len(ds)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", d.Class, d.Score))
	}
	return strings.Join(parts, ", ")
}

func placeName(loc string) string {
	if loc == "" {
		return "unknown place"
	}
	return strings.ReplaceAll(loc, "_", " ")
}
