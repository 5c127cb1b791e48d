package models

import (
	"slices"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func det(class string, score float32, x1, y1, x2, y2 float32) Detection {
	id := slices.Index(embeddedClassesForTest, class)
	return Detection{Class: class, ClassID: id, Score: score, Box: Rect{x1, y1, x2, y2}}
}

var embeddedClassesForTest = func() []string {
	m, err := EmbeddedManifest("yolox_nano")
	if err != nil {
		panic(err)
	}
	return m.Classes
}()

func TestMapFlags(t *testing.T) {
	// Photos are 1000×1000; the floor of escape_route_obstructed is the lower half,
	// wall to wall: x 0–1000, y 500–1000 (1000×500 = 500 000 px²).
	const size = 1000
	type want struct {
		code   string
		status string
		score  float32
		boxes  int
	}
	tests := []struct {
		name     string
		location string
		checks   []string
		dets     []Detection
		want     []want
	}{
		{
			name:     "motorcycle in a corridor",
			location: "corridor",
			dets:     []Detection{det("motorcycle", 0.89, 100, 100, 400, 400)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.89, 1}},
		},
		{
			name:     "weak bicycle in a bedroom is a room: needs review",
			location: "Bedroom",
			dets:     []Detection{det("bicycle", 0.45, 10, 10, 50, 50), det("person", 0.9, 0, 0, 100, 100)},
			want:     []want{{"two_wheeler_indoor", StatusNeedsReview, 0.45, 1}},
		},
		{
			name:     "flag level keeps only the sure boxes",
			location: "stairwell",
			dets:     []Detection{det("bicycle", 0.7, 0, 0, 10, 10), det("motorcycle", 0.4, 20, 20, 30, 30)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.7, 1}},
		},
		{
			name:     "too weak to mention",
			location: "corridor",
			dets:     []Detection{det("motorcycle", 0.34, 0, 0, 10, 10)},
		},
		{
			name:     "bicycle in a kitchen is indoors",
			location: "kitchen",
			dets:     []Detection{det("bicycle", 0.95, 0, 0, 100, 100)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.95, 1}},
		},
		{
			name:     "e-bike in a shop is indoors",
			location: "shop",
			dets:     []Detection{det("bicycle", 0.8, 300, 200, 700, 600)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.8, 1}},
		},
		{
			name:     "motorcycle in a storeroom is indoors",
			location: "stockroom",
			dets:     []Detection{det("motorcycle", 0.89, 100, 100, 900, 900)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.89, 1}},
		},
		{
			name:     "bicycle in an entrance hall is indoors",
			location: "entryway",
			dets:     []Detection{det("bicycle", 0.7, 100, 100, 400, 400)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.7, 1}},
		},
		{
			name:     "bicycle in a lift car is indoors",
			location: "elevator",
			dets:     []Detection{det("bicycle", 0.7, 100, 100, 400, 400)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.7, 1}},
		},
		{
			name:     "bicycle seen through an open exit door obstructs the exit, it is not indoors",
			location: "exit",
			dets:     []Detection{det("bicycle", 0.79, 450, 510, 640, 730), det("person", 0.8, 500, 260, 640, 680)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.79, 1}},
		},
		{
			name:     "bicycle beside an exit door, off the floor's middle, obstructs it",
			location: "fire exit",
			dets:     []Detection{det("bicycle", 0.5, 0, 300, 150, 520)},
			want:     []want{{"escape_route_obstructed", StatusNeedsReview, 0.5, 1}},
		},
		{
			name:     "skateboard at an exit: review only",
			location: "exit",
			dets:     []Detection{det("skateboard", 0.9, 400, 100, 500, 150)},
			want:     []want{{"escape_route_obstructed", StatusNeedsReview, 0.9, 1}},
		},
		{
			name:     "bicycles across an exit's floor: one flag, each box once",
			location: "exit",
			dets:     []Detection{det("bicycle", 0.86, 380, 550, 990, 850), det("chair", 0.7, 0, 600, 200, 1000)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.86, 2}},
		},
		{
			name:     "an exit item naming two_wheeler_indoor reports the bicycle as an obstruction",
			location: "exit",
			checks:   []string{"escape_route_obstructed", "two_wheeler_indoor"},
			dets:     []Detection{det("bicycle", 0.86, 380, 100, 760, 300)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.86, 1}},
		},
		{
			name:     "two_wheeler_indoor never runs at an exit",
			location: "exit",
			checks:   []string{"two_wheeler_indoor"},
			dets:     []Detection{det("bicycle", 0.86, 380, 100, 760, 300)},
		},
		{
			name:     "a bicycle in a corridor's upper half is indoors, not in the way",
			location: "corridor",
			dets:     []Detection{det("bicycle", 0.86, 380, 100, 760, 300)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.86, 1}},
		},
		{
			name:     "a couch and a chair against both walls of a corridor narrow it",
			location: "hallway",
			dets:     []Detection{det("chair", 0.8, 0, 650, 180, 1000), det("couch", 0.7, 820, 600, 1000, 1000)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.8, 2}},
		},
		{
			name:     "one chair against a corridor wall leaves it wide enough",
			location: "corridor",
			dets:     []Detection{det("chair", 0.9, 0, 650, 200, 1000)},
		},
		{
			name:     "goods along a stairwell wall narrow the stairs",
			location: "stairwell",
			dets:     []Detection{det("suitcase", 0.7, 0, 550, 350, 1000)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.7, 1}},
		},
		{
			name:     "an equipment-room item naming the check runs the floor rule",
			location: "equipment_room",
			checks:   []string{"escape_route_obstructed"},
			dets:     []Detection{det("refrigerator", 0.9, 830, 250, 1000, 950), det("refrigerator", 0.83, 580, 270, 720, 630)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.9, 2}},
		},
		{
			name:     "bicycles outdoors are fine",
			location: "outdoors",
			dets:     []Detection{det("bicycle", 0.95, 0, 0, 100, 100)},
		},
		{
			name:     "a chair is not a two-wheeler",
			location: "room",
			dets:     []Detection{det("chair", 0.95, 0, 0, 100, 100)},
		},
		{
			name:     "skateboard may be an e-scooter: review only",
			location: "lobby",
			dets:     []Detection{det("skateboard", 0.95, 0, 0, 100, 100)},
			want:     []want{{"two_wheeler_indoor", StatusNeedsReview, 0.95, 1}},
		},
		{
			name:     "one chair taking 20% of an exit's floor width",
			location: "exit",
			dets:     []Detection{det("chair", 0.9, 250, 650, 450, 900)},
		},
		{
			name:     "two chairs taking 40% of an exit's floor width",
			location: "exit",
			dets:     []Detection{det("chair", 0.9, 250, 650, 450, 900), det("chair", 0.8, 500, 700, 700, 1000), det("chair", 0.9, 0, 0, 100, 100)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.9, 2}},
		},
		{
			name:     "overlapping boxes are not counted twice",
			location: "corridor",
			// Each alone covers 22.5% of the floor and takes 25% of its width: counted
			// twice, they would cover 45%.
			dets: []Detection{det("couch", 0.9, 300, 550, 550, 1000), det("chair", 0.8, 300, 550, 550, 1000)},
		},
		{
			name:     "a couch spanning the width of the floor",
			location: "corridor",
			dets:     []Detection{det("couch", 0.7, 100, 800, 900, 850)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.7, 1}},
		},
		{
			name:     "people never obstruct",
			location: "exit",
			dets:     []Detection{det("person", 0.99, 0, 500, 1000, 1000)},
		},
		{
			name:     "obstruction seen weakly: needs review",
			location: "exit",
			dets:     []Detection{det("suitcase", 0.5, 200, 600, 800, 1000)},
			want:     []want{{"escape_route_obstructed", StatusNeedsReview, 0.5, 1}},
		},
		{
			name:     "a motorcycle blocking a corridor raises both",
			location: "corridor",
			dets:     []Detection{det("motorcycle", 0.88, 150, 550, 850, 1000)},
			want:     []want{{"two_wheeler_indoor", StatusFlag, 0.88, 1}, {"escape_route_obstructed", StatusFlag, 0.88, 1}},
		},
		{
			name:     "the checklist item names its check, whatever the location",
			location: "outdoors",
			checks:   []string{"escape_route_obstructed"},
			dets:     []Detection{det("motorcycle", 0.88, 150, 550, 850, 1000)},
			want:     []want{{"escape_route_obstructed", StatusFlag, 0.88, 1}},
		},
		{
			name:     "an empty list of checks runs none",
			location: "corridor",
			checks:   []string{},
			dets:     []Detection{det("motorcycle", 0.88, 150, 550, 850, 1000)},
		},
		{
			name:     "unknown location",
			location: "moon",
			dets:     []Detection{det("motorcycle", 0.88, 150, 550, 850, 1000)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MapFlags(tt.dets, size, size, tt.location, tt.checks)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d flags %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Code != w.code || g.Status != w.status || !near(g.Score, w.score) || len(g.Boxes) != w.boxes {
					t.Errorf("flag %d = %+v, want %+v", i, g, w)
				}
				if g.Reason == "" {
					t.Errorf("flag %s has no reason", g.Code)
				}
			}
		})
	}
}

func TestChecksAreData(t *testing.T) {
	checks := Checks()
	for _, code := range []string{"two_wheeler_indoor", "escape_route_obstructed"} {
		if _, ok := CheckByCode(code); !ok {
			t.Errorf("no check %s", code)
		}
	}
	known := map[string]bool{}
	for _, c := range embeddedClassesForTest {
		known[c] = true
	}
	for _, c := range checks {
		for _, class := range append(slices.Clone(c.Classes), c.ReviewOnlyClasses...) {
			if !known[class] {
				t.Errorf("check %s counts class %q, which the built-in models do not have", c.Code, class)
			}
			if class == "person" {
				t.Errorf("check %s counts people", c.Code)
			}
		}
		for _, loc := range c.Locations {
			if got, ok := NormalizeLocation(loc); !ok || got != loc {
				t.Errorf("check %s: location %q is not a canonical tag", c.Code, loc)
			}
		}
	}
	// Rules of one check: the first is the one a checklist item runs at other places;
	// a rule never both runs and stays out at a place; ClassesOf names a check.
	for _, c := range checks {
		for _, loc := range c.NotAt {
			if slices.Contains(c.Locations, loc) {
				t.Errorf("check %s both runs and never runs at %s", c.Code, loc)
			}
			if got, ok := NormalizeLocation(loc); !ok || got != loc {
				t.Errorf("check %s: not_at %q is not a canonical tag", c.Code, loc)
			}
		}
		if c.ClassesOf != "" {
			if _, ok := CheckByCode(c.ClassesOf); !ok {
				t.Errorf("check %s counts the classes of %q, which is not a check", c.Code, c.ClassesOf)
			}
		}
	}
	if first, _ := CheckByCode("escape_route_obstructed"); first.Rule != RuleFloorBand {
		t.Errorf("escape_route_obstructed's first rule is %s; other places named by an item run it, so it must be the floor rule", first.Rule)
	}
	// Changing the copy must not change the table.
	checks[0].Classes[0] = "person"
	if again := Checks(); again[0].Classes[0] == "person" {
		t.Error("Checks returned the table itself")
	}
}

func TestNormalizeLocation(t *testing.T) {
	tests := map[string]string{
		"corridor": "corridor", " Hallway ": "corridor", "Bike store": "bike_store", "bike-store": "bike_store",
		"bedroom": "room", "fire exit": "exit", "Stairs": "stairwell", "outside": "outdoors",
		"shop": "storefront", "Shop front": "storefront", "stockroom": "room", "storeroom": "room",
		"kitchenette": "kitchen", "entryway": "lobby", "vestibule": "lobby", "elevator": "lift",
		"doorway": "exit", "entrance": "exit",
	}
	for in, want := range tests {
		if got, ok := NormalizeLocation(in); !ok || got != want {
			t.Errorf("NormalizeLocation(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := NormalizeLocation("attic of dreams"); ok {
		t.Error("unknown location accepted")
	}
}

func TestUnionArea(t *testing.T) {
	tests := []struct {
		name string
		rs   []Rect
		want float32
	}{
		{"none", nil, 0},
		{"one", []Rect{{0, 0, 10, 10}}, 100},
		{"disjoint", []Rect{{0, 0, 10, 10}, {20, 20, 30, 30}}, 200},
		{"overlap", []Rect{{0, 0, 10, 10}, {5, 5, 15, 15}}, 175},
		{"nested", []Rect{{0, 0, 10, 10}, {2, 2, 4, 4}}, 100},
		{"cross", []Rect{{0, 4, 10, 6}, {4, 0, 6, 10}}, 36},
	}
	for _, tt := range tests {
		if got := unionArea(tt.rs); got != tt.want {
			t.Errorf("%s: unionArea = %g, want %g", tt.name, got, tt.want)
		}
	}
}

func TestNMS(t *testing.T) {
	dets := []Detection{
		det("chair", 0.5, 0, 0, 10, 10),
		det("chair", 0.9, 1, 1, 11, 11),   // IoU with the 0.5 chair 0.68: suppresses it
		det("couch", 0.8, 0, 0, 10, 10),   // another class: kept
		det("chair", 0.7, 20, 20, 30, 30), // elsewhere: kept
		det("chair", 0.6, 5, 0, 15, 10),   // IoU with the 0.9 chair 0.39: kept
	}
	got := NMS(dets, 0.45)
	var scores []float32
	for _, d := range got {
		scores = append(scores, d.Score)
	}
	if !slices.Equal(scores, []float32{0.9, 0.8, 0.7, 0.6}) {
		t.Errorf("kept scores %v, want [0.9 0.8 0.7 0.6]", scores)
	}
}

func TestYOLOLabel(t *testing.T) {
	tests := []struct {
		box  Rect
		want string
	}{
		{Rect{100, 50, 300, 250}, "3 0.250000 0.300000 0.250000 0.400000"},
		{Rect{-50, 400, 100, 600}, "3 0.062500 0.900000 0.125000 0.200000"}, // clipped to the image
	}
	for _, tt := range tests {
		if got := YOLOLabel(3, tt.box, 800, 500); got != tt.want {
			t.Errorf("YOLOLabel(%v) = %q, want %q", tt.box, got, tt.want)
		}
	}
}

// TestManifestClassesAtAnExit: a model's own classes follow the rule that counts them.
// At an exit, the two-wheeler rule of escape_route_obstructed counts what the manifest
// maps to two_wheeler_indoor (an e-bike anywhere in the photo), not the obstruction
// classes (a box up on a shelf is not in the way).
func TestManifestClassesAtAnExit(t *testing.T) {
	m := customManifest("custom_exit", FamilyYOLOv8)
	m.Checks[inspect.CheckEscapeRouteObstructed] = CheckClasses{Classes: []string{"cardboard_box"}}
	table := m.CheckTable()
	custom := func(class string, score float32, x1, y1, x2, y2 float32) Detection {
		return Detection{Class: class, ClassID: slices.Index(customClasses, class), Score: score, Box: Rect{x1, y1, x2, y2}}
	}
	ebike := custom("ebike", 0.8, 400, 100, 600, 300)
	box := custom("cardboard_box", 0.9, 100, 100, 300, 300)
	tests := []struct {
		name     string
		location string
		dets     []Detection
		want     []string
	}{
		{"e-bike at an exit", "exit", []Detection{ebike, box}, []string{inspect.CheckEscapeRouteObstructed}},
		{"box up high at an exit", "exit", []Detection{box}, nil},
		{"e-bike in a corridor", "corridor", []Detection{ebike, box}, []string{inspect.CheckTwoWheelerIndoor}},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range MapChecks(table, tt.dets, 1000, 1000, tt.location, nil) {
			got = append(got, f.Code)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: flags %v, want %v", tt.name, got, tt.want)
		}
	}
	// The built-in table does not know the custom classes.
	if f := MapFlags([]Detection{ebike}, 1000, 1000, "exit", nil); len(f) != 0 {
		t.Errorf("built-in table raised %+v", f)
	}
}
