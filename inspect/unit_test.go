package inspect_test

import (
	"slices"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func TestLevelNavigation(t *testing.T) {
	tests := []struct {
		level      inspect.Level
		parent     inspect.Level
		hasParent  bool
		child      inspect.Level
		hasChild   bool
		escalateTo inspect.Level
	}{
		{inspect.LevelGrid, inspect.LevelCommunity, true, "", false, inspect.LevelCommunity},
		{inspect.LevelCommunity, inspect.LevelSubdistrict, true, inspect.LevelGrid, true, inspect.LevelSubdistrict},
		{inspect.LevelSubdistrict, inspect.LevelDistrict, true, inspect.LevelCommunity, true, inspect.LevelDistrict},
		{inspect.LevelDistrict, "", false, inspect.LevelSubdistrict, true, ""},
		{"city", "", false, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.level), func(t *testing.T) {
			if p, ok := tt.level.Parent(); p != tt.parent || ok != tt.hasParent {
				t.Errorf("Parent() = %q, %v; want %q, %v", p, ok, tt.parent, tt.hasParent)
			}
			if c, ok := tt.level.Child(); c != tt.child || ok != tt.hasChild {
				t.Errorf("Child() = %q, %v; want %q, %v", c, ok, tt.child, tt.hasChild)
			}
			if n, ok := inspect.NextLevel(tt.level); n != tt.escalateTo || ok != (tt.escalateTo != "") {
				t.Errorf("NextLevel() = %q, %v; want %q", n, ok, tt.escalateTo)
			}
		})
	}
}

func TestUnitValidate(t *testing.T) {
	district := inspect.Unit{ID: 1, Level: inspect.LevelDistrict, Name: "Wuhou", Code: "510107"}
	sub := inspect.Unit{ID: 2, ParentID: 1, Level: inspect.LevelSubdistrict, Name: "Jiangxijie"}
	community := inspect.Unit{ID: 3, ParentID: 2, Level: inspect.LevelCommunity, Name: "C1"}
	tests := []struct {
		name      string
		unit      inspect.Unit
		parent    *inspect.Unit
		wantField string // "" = valid
	}{
		{"district without parent", district, nil, ""},
		{"subdistrict under district", sub, &district, ""},
		{"grid under community", inspect.Unit{ID: 4, ParentID: 3, Level: inspect.LevelGrid, Name: "G1"}, &community, ""},
		{"district with parent", inspect.Unit{ID: 9, ParentID: 1, Level: inspect.LevelDistrict, Name: "X"}, &district, "parent_id"},
		{"grid without parent", inspect.Unit{ID: 5, Level: inspect.LevelGrid, Name: "G"}, nil, "parent_id"},
		{"grid directly under subdistrict", inspect.Unit{ID: 5, ParentID: 2, Level: inspect.LevelGrid, Name: "G"}, &sub, "parent_id"},
		{"community under district", inspect.Unit{ID: 5, ParentID: 1, Level: inspect.LevelCommunity, Name: "C"}, &district, "parent_id"},
		{"parent not found", inspect.Unit{ID: 5, ParentID: 77, Level: inspect.LevelGrid, Name: "G"}, nil, "parent_id"},
		{"parent id and unit differ", inspect.Unit{ID: 5, ParentID: 77, Level: inspect.LevelGrid, Name: "G"}, &community, "parent_id"},
		{"unknown level", inspect.Unit{ID: 5, Level: "city", Name: "C"}, nil, "level"},
		{"blank name", inspect.Unit{ID: 5, Level: inspect.LevelDistrict, Name: "  "}, nil, "name"},
		{"code with space", inspect.Unit{ID: 5, Level: inspect.LevelDistrict, Name: "D", Code: "51 01"}, nil, "code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.unit.Validate(tt.parent)
			assertField(t, err, tt.wantField)
		})
	}
}

func TestSubtreeIDs(t *testing.T) {
	units := districtTree(
		inspect.Unit{ID: 8, ParentID: 9}, // a corrupt cycle must not hang
		inspect.Unit{ID: 9, ParentID: 8},
	)
	tests := []struct {
		root int64
		want []int64
	}{
		{1, []int64{1, 2, 3, 4, 5, 6, 7}},
		{2, []int64{2, 3, 4, 5}},
		{4, []int64{4}},
		{6, []int64{6, 7}},
		{8, []int64{8, 9}},
	}
	for _, tt := range tests {
		got := inspect.SubtreeIDs(units, tt.root)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("SubtreeIDs(%d) = %v, want %v", tt.root, got, tt.want)
		}
	}
}
