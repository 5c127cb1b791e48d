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

// Default score levels of the checks: flag from FlagScore, "needs review" from
// ReviewScore. They are the domain's defaults; an admin may accept others per check
// and place, learned from review (see WithLevels).
const (
	FlagScore   = inspect.DefaultFlagScore
	ReviewScore = inspect.DefaultReviewScore
)

// Rule kinds of a Check.
const (
	// RulePresent holds when any detection of the check's classes is in the photo.
	RulePresent = "present"
	// RuleFloorBand holds when detections of the check's classes cover at least
	// MinCoverage of the Band's area together, or together take at least MinSpan of the
	// band's width (the union of their widths: things against both walls narrow a
	// route as much as one thing across its middle).
	RuleFloorBand = "floor_band"
)

// Band is a region of a photo as fractions of its width and height.
type Band struct {
	X1, Y1, X2, Y2 float32
}

// Check is one AI hazard check, or one of several rules of a check: a rule over
// detections plus the photo's location. The table of checks is data; MapFlags
// evaluates it without code per hazard. Rows that share a Code are one check: they
// raise one flag, the surest of them, with the boxes and reasons of all that agree.
type Check struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Locations are the places where the rule applies when the checklist item does
	// not name its checks. A checklist item that names the check runs the rules that
	// list the photo's place, or the check's first rule at a place none of them lists.
	Locations []string `json:"locations"`
	// NotAt are places where the rule never runs, even when a checklist item names
	// the check: another check reports what it would see there.
	NotAt []string `json:"not_at,omitempty"`
	// ClassesOf names the check whose classes this rule counts (and a model
	// manifest's mapping of them); empty for the rule's own Code.
	ClassesOf string `json:"classes_of,omitempty"`
	// Note, when set, follows the rule's reason: why it holds here.
	Note string `json:"note,omitempty"`
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

// twoWheelerClasses are the COCO classes of a bicycle, e-bike or motorcycle; a
// skateboard may be an e-scooter, so it only raises "needs review".
var (
	twoWheelerClasses           = []string{"bicycle", "motorcycle"}
	twoWheelerReviewOnlyClasses = []string{"skateboard"}
)

// checkTable is the hazard checks the detector can support, from the regulations in
// shared/research/regulations.md. It is never modified; use Checks for a copy.
var checkTable = []Check{
	{
		// No e-bike parking in lobbies, corridors, stairs (5号令 §37, R14, T14), shops
		// and their doorways (S10), rooms and dormitories (R14), lifts (广东 §25).
		// Not at an exit: there a two-wheeler blocks the exit, whichever side of the
		// door it stands, and escape_route_obstructed reports it.
		Code:              inspect.CheckTwoWheelerIndoor,
		Title:             "bicycle, e-bike or motorcycle parked indoors",
		Locations:         indoorLocations,
		NotAt:             []string{LocationExit},
		Classes:           twoWheelerClasses,
		ReviewOnlyClasses: twoWheelerReviewOnlyClasses,
		Rule:              RulePresent,
		FlagScore:         FlagScore,
		ReviewScore:       ReviewScore,
	},
	{
		// The floor of an escape route, wall to wall: the lower half of the photo, so
		// things stood along either wall count as much as things in the middle.
		// Together they must cover a quarter of it or take 30 % of its width: a
		// judgement, not a regulation's figure (GB 35181 makes exits under 80 % of
		// their required width a major hazard, S01), with room for the photo's width
		// at a thing's foot being only roughly the corridor's.
		// A checklist item that names this check at another place (an equipment room
		// kept clear, H09) runs this rule.
		Code:        inspect.CheckEscapeRouteObstructed,
		Title:       "escape route or exit obstructed",
		Locations:   []string{LocationExit, LocationCorridor, LocationStairwell},
		Classes:     obstructionClasses,
		Rule:        RuleFloorBand,
		Band:        Band{X1: 0, Y1: 0.5, X2: 1, Y2: 1},
		MinCoverage: 0.25,
		MinSpan:     0.3,
		FlagScore:   FlagScore,
		ReviewScore: ReviewScore,
	},
	{
		// At an exit a two-wheeler is an obstruction anywhere in the photo, inside or
		// outside the door: parking keeps 6 m from building exits (E06), none "at the
		// door" (S10, E17).
		Code:              inspect.CheckEscapeRouteObstructed,
		Title:             "two-wheeler at an exit",
		Locations:         []string{LocationExit},
		ClassesOf:         inspect.CheckTwoWheelerIndoor,
		Note:              "a two-wheeler blocks an exit whichever side of the door it stands",
		Classes:           twoWheelerClasses,
		ReviewOnlyClasses: twoWheelerReviewOnlyClasses,
		Rule:              RulePresent,
		FlagScore:         FlagScore,
		ReviewScore:       ReviewScore,
	},
}

// Checks returns a copy of the table of AI hazard checks.
func Checks() []Check {
	out := make([]Check, len(checkTable))
	for i, c := range checkTable {
		c.Locations = slices.Clone(c.Locations)
		c.NotAt = slices.Clone(c.NotAt)
		c.Classes = slices.Clone(c.Classes)
		c.ReviewOnlyClasses = slices.Clone(c.ReviewOnlyClasses)
		out[i] = c
	}
	return out
}

// WithLevels returns table with the score levels of the checks named in levels (by
// code, every rule of the check) replaced: the levels an admin accepted for the
// photo's place, learned from review. The table itself is not changed; with no
// levels it is returned as it is.
func WithLevels(table []Check, levels map[string]inspect.ScoreLevels) []Check {
	if len(levels) == 0 {
		return table
	}
	out := slices.Clone(table)
	for i := range out {
		if lv, ok := levels[out[i].Code]; ok {
			out[i].FlagScore, out[i].ReviewScore = lv.Flag, lv.Review
		}
	}
	return out
}

// CheckByCode returns the check with the given code (its first rule).
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
// the location, except where a rule's NotAt keeps it out); nil runs every check whose
// Locations include location. Flags come in the order of the check table, one per check.
func MapFlags(dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	return MapChecks(checkTable, dets, imgW, imgH, location, checks)
}

// MapChecks is MapFlags over another table of checks, a model's own (see
// Manifest.CheckTable).
func MapChecks(table []Check, dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	loc, _ := NormalizeLocation(location)
	var flags []Flag
	for i := range table {
		if !runs(table, i, loc, checks) {
			continue
		}
		f, ok := table[i].evaluate(dets, imgW, imgH, loc)
		if !ok {
			continue
		}
		if j := slices.IndexFunc(flags, func(g Flag) bool { return g.Code == f.Code }); j >= 0 {
			flags[j] = mergeFlags(flags[j], f)
		} else {
			flags = append(flags, f)
		}
	}
	return flags
}

// runs reports whether rule i of table runs on a photo taken at loc. Unasked (checks
// nil), a rule runs at its Locations. Named by the checklist item, a check runs its
// rules that list loc, or its first rule when none does, but never a rule at its NotAt.
func runs(table []Check, i int, loc string, checks []string) bool {
	c := &table[i]
	if checks == nil {
		return slices.Contains(c.Locations, loc)
	}
	if !slices.Contains(checks, c.Code) || slices.Contains(c.NotAt, loc) {
		return false
	}
	if slices.Contains(c.Locations, loc) {
		return true
	}
	sameCode := func(o Check) bool { return o.Code == c.Code }
	listed := slices.ContainsFunc(table, func(o Check) bool { return sameCode(o) && slices.Contains(o.Locations, loc) })
	return !listed && slices.IndexFunc(table, sameCode) == i
}

// mergeFlags joins two flags of one check raised by different rules: the surer status
// wins; at the same status the boxes (each once) and the reasons add up.
func mergeFlags(a, b Flag) Flag {
	if a.Status != b.Status {
		if b.Status == StatusFlag {
			return b
		}
		return a
	}
	a.Score = max(a.Score, b.Score)
	for _, r := range b.Boxes {
		if !slices.Contains(a.Boxes, r) {
			a.Boxes = append(a.Boxes, r)
		}
	}
	a.Reason += "; " + b.Reason
	return a
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
			why = fmt.Sprintf("%s in %s photo", describe(hits), withArticle(placeName(loc)))
		case RuleFloorBand:
			hits, why = c.floorBand(cands, imgW, imgH, loc)
		}
		if len(hits) == 0 {
			continue
		}
		if c.Note != "" {
			why += ": " + c.Note
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
// it, or take MinSpan of its width; nil otherwise.
func (c *Check) floorBand(cands []Detection, imgW, imgH int, loc string) ([]Detection, string) {
	w, h := float32(imgW), float32(imgH)
	band := Rect{X1: c.Band.X1 * w, Y1: c.Band.Y1 * h, X2: c.Band.X2 * w, Y2: c.Band.Y2 * h}
	if band.Area() <= 0 {
		return nil, ""
	}
	var in []Detection
	var clipped, widths []Rect
	for _, d := range cands {
		x := d.Box.Intersect(band)
		if x.Area() <= 0 {
			continue
		}
		in = append(in, d)
		clipped = append(clipped, x)
		widths = append(widths, Rect{X1: x.X1, Y1: 0, X2: x.X2, Y2: 1})
	}
	if len(in) == 0 {
		return nil, ""
	}
	cover := unionArea(clipped) / band.Area()
	span := unionArea(widths) / band.Width()
	switch {
	case cover >= c.MinCoverage:
		return in, fmt.Sprintf("%s %s %.0f%% of the floor of this %s photo", describe(in), verb(in, "covers", "cover"), 100*cover, placeName(loc))
	case c.MinSpan > 0 && span >= c.MinSpan:
		return in, fmt.Sprintf("%s %s %.0f%% of the width of the floor of this %s photo", describe(in), verb(in, "takes", "take"), 100*span, placeName(loc))
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

// verb picks the verb's form for one detection or several.
func verb(ds []Detection, one, several string) string {
	if len(ds) == 1 {
		return one
	}
	return several
}

// withArticle puts "a" or "an" before a noun phrase.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func placeName(loc string) string {
	if loc == "" {
		return "unknown place"
	}
	return strings.ReplaceAll(loc, "_", " ")
}
