package models

import (
	"fmt"
	"slices"
	"sort"

	"github.com/safegrid/safegrid/inspect"
)

// CheckClasses maps one hazard check to a model's own class names, in the manifest's
// checks section:
//
//	checks:
//	  two_wheeler_indoor: {classes: [ebike, bicycle]}
//	  ebike_charging_indoor: {classes: [charger]}
//	  escape_route_obstructed: {classes: [cardboard_box, ebike], review_only_classes: [door]}
type CheckClasses struct {
	Classes           []string `yaml:"classes" json:"classes"`
	ReviewOnlyClasses []string `yaml:"review_only_classes,omitempty" json:"review_only_classes,omitempty"`
}

// indoorLocations are the places where a two-wheeler or its charging is indoors: the
// escape routes inside a building, shops (S10), kitchens, rooms (storerooms among
// them) and lift cars (广东 §25). An exit is not among them: a photo of it may well be
// taken outside the door.
var indoorLocations = []string{LocationStorefront, LocationLobby, LocationCorridor, LocationStairwell, LocationLift, LocationRoom, LocationKitchen}

// mappedOnlyChecks are the checks no built-in model can see (COCO has no charger or
// cardboard box); they run only for a model whose manifest maps classes to them.
var mappedOnlyChecks = []Check{
	{
		// Charging at an exit, either side of the door, is charging in the escape
		// route (E17: by the entrance door, dangling leads).
		Code:        inspect.CheckEbikeChargingIndoor,
		Title:       "e-bike or battery charging indoors",
		Locations:   append(slices.Clone(indoorLocations), LocationExit),
		Rule:        RulePresent,
		FlagScore:   FlagScore,
		ReviewScore: ReviewScore,
	},
	{
		Code:        inspect.CheckCombustiblesStacked,
		Title:       "cardboard boxes or other combustibles stacked",
		Locations:   []string{LocationCorridor, LocationStairwell, LocationExit},
		Rule:        RulePresent,
		FlagScore:   FlagScore,
		ReviewScore: ReviewScore,
	},
}

// validateChecks checks the checks section: known check codes, and only class names
// the model has.
func (m Manifest) validateChecks() error {
	codes := make([]string, 0, len(m.Checks))
	for code := range m.Checks {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	var known []string
	for _, c := range slices.Concat(checkTable, mappedOnlyChecks) {
		known = append(known, c.Code)
	}
	for _, code := range codes {
		field := "checks." + code
		if !slices.Contains(known, code) {
			return inspect.FieldErrorf(field, "is not a check the detector runs; want one of %v", known)
		}
		cc := m.Checks[code]
		if len(cc.Classes) == 0 {
			return inspect.FieldErrorf(field+".classes", "must name at least one of the model's classes")
		}
		for kind, names := range map[string][]string{"classes": cc.Classes, "review_only_classes": cc.ReviewOnlyClasses} {
			for i, n := range names {
				if !slices.Contains(m.Classes, n) {
					return inspect.FieldErrorf(fmt.Sprintf("%s.%s[%d]", field, kind, i), "is %q, which is not one of the model's classes", n)
				}
			}
		}
	}
	return nil
}

// CheckTable is the table of hazard checks for this model: the built-in table, with
// the classes of each check the manifest maps replaced by the manifest's, followed by
// the checks only a mapped model runs (e-bike charging, stacked combustibles) that
// the manifest maps.
func (m Manifest) CheckTable() []Check {
	out := Checks()
	for i, c := range out {
		of := c.Code
		if c.ClassesOf != "" {
			of = c.ClassesOf
		}
		if cc, ok := m.Checks[of]; ok {
			out[i].Classes = slices.Clone(cc.Classes)
			out[i].ReviewOnlyClasses = slices.Clone(cc.ReviewOnlyClasses)
		}
	}
	for _, c := range mappedOnlyChecks {
		if cc, ok := m.Checks[c.Code]; ok {
			c.Locations = slices.Clone(c.Locations)
			c.Classes = slices.Clone(cc.Classes)
			c.ReviewOnlyClasses = slices.Clone(cc.ReviewOnlyClasses)
			out = append(out, c)
		}
	}
	return out
}
