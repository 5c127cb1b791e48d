package inspect

import (
	"slices"
	"strings"
)

// Level is the level of an org unit. Units form a four-level tree: a district holds
// subdistricts (街道), a subdistrict holds communities (社区), a community holds grids
// (网格). Responsibility for a hazard starts at the grid and escalates upwards.
type Level string

// The four unit levels, from the top of the tree down.
const (
	LevelDistrict    Level = "district"
	LevelSubdistrict Level = "subdistrict"
	LevelCommunity   Level = "community"
	LevelGrid        Level = "grid"
)

// levels lists every level from the top (district) down to the grid.
var levels = [...]Level{LevelDistrict, LevelSubdistrict, LevelCommunity, LevelGrid}

// Levels returns every level from the top (district) down to the grid.
func Levels() []Level { return slices.Clone(levels[:]) }

// Rank returns the depth of l in the tree: 0 for district through 3 for grid, and -1
// for an unknown level.
func (l Level) Rank() int {
	for i, x := range levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l.Rank() >= 0 }

// Parent returns the level just above l; ok is false for the district, which has no
// parent, and for an unknown level.
func (l Level) Parent() (parent Level, ok bool) {
	r := l.Rank()
	if r <= 0 {
		return "", false
	}
	return levels[r-1], true
}

// Child returns the level just below l; ok is false for the grid and for an unknown
// level.
func (l Level) Child() (child Level, ok bool) {
	r := l.Rank()
	if r < 0 || r == len(levels)-1 {
		return "", false
	}
	return levels[r+1], true
}

// NextLevel returns the level a hazard escalates to from l: the level just above.
// ok is false at the district, where escalation can go no higher.
func NextLevel(l Level) (Level, bool) { return l.Parent() }

// Unit is one org unit: a district, subdistrict, community or grid.
type Unit struct {
	ID int64 `json:"id"`
	// ParentID is the unit just above; 0 for a district. (Storage keeps NULL in the
	// column and reads it with COALESCE(parent_id, 0).)
	ParentID int64  `json:"parent_id"`
	Level    Level  `json:"level"`
	Name     string `json:"name"`
	// Code is the administrative code of the unit (e.g. 510107 for Wuhou), optional
	// for grids that have none. Unique among siblings is the storage's job.
	Code string `json:"code,omitempty"`
}

// maxUnitName bounds a unit's name, in characters.
const maxUnitName = 100

// Validate checks u on its own and against its parent: a district has no parent;
// every other unit has a parent whose level is just above its own. parent is the
// unit u.ParentID refers to, or nil when u has none (or it was not found). The
// error is an EINVALID *Error naming the field.
func (u Unit) Validate(parent *Unit) error {
	if !u.Level.Valid() {
		return FieldErrorf("level", "must be one of district, subdistrict, community, grid (got %q)", u.Level)
	}
	if err := checkText("name", u.Name, maxUnitName); err != nil {
		return err
	}
	if len(u.Code) > 32 || strings.ContainsAny(u.Code, " \t\r\n") {
		return FieldErrorf("code", "must be at most 32 characters without spaces")
	}
	want, needsParent := u.Level.Parent()
	if !needsParent {
		if u.ParentID != 0 || parent != nil {
			return FieldErrorf("parent_id", "a district has no parent unit")
		}
		return nil
	}
	if u.ParentID == 0 {
		return FieldErrorf("parent_id", "a %s needs a parent %s", u.Level, want)
	}
	if parent == nil || parent.ID != u.ParentID {
		return FieldErrorf("parent_id", "unit %d does not exist", u.ParentID)
	}
	if u.ID != 0 && parent.ID == u.ID {
		return FieldErrorf("parent_id", "a unit cannot be its own parent")
	}
	if parent.Level != want {
		return FieldErrorf("parent_id", "the parent of a %s must be a %s, but unit %d is a %s", u.Level, want, parent.ID, parent.Level)
	}
	return nil
}

// SubtreeIDs returns rootID and the IDs of every unit below it in units, parents
// before children. Storage resolves scopes with a recursive query; this is the same
// rule in memory, for tests, seeding and small deployments. A cycle in the parent
// links (which Validate prevents) does not loop forever.
func SubtreeIDs(units []Unit, rootID int64) []int64 {
	children := make(map[int64][]int64, len(units))
	for _, u := range units {
		if u.ParentID != 0 {
			children[u.ParentID] = append(children[u.ParentID], u.ID)
		}
	}
	seen := map[int64]bool{rootID: true}
	out := []int64{rootID}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// Page sizes of the unit list: a city's tree (some 10 000 grids) in a few pages.
const (
	DefaultUnitPage = 2000
	MaxUnitPage     = 5000
)

// UnitKey is where a unit sits in the unit list, which shows parents first: by
// level (Rank), then by id. The list pages by this key.
type UnitKey struct {
	Rank int   `json:"rank"`
	ID   int64 `json:"id"`
}

// UnitKeyOf is u's key in the unit list.
func UnitKeyOf(u Unit) UnitKey { return UnitKey{Rank: u.Level.Rank(), ID: u.ID} }

// UnitPage asks for one page of the unit list: the units after After (the zero
// key is the start), Limit at most (0 is DefaultUnitPage).
type UnitPage struct {
	After UnitKey
	Limit int
}

// Normalize checks the page and fills in its default size.
func (pg *UnitPage) Normalize() error {
	if err := pageLimit(&pg.Limit, DefaultUnitPage, MaxUnitPage); err != nil {
		return err
	}
	if pg.After.ID < 0 || pg.After.Rank < 0 || pg.After.Rank >= len(levels) {
		return FieldErrorf("cursor", "is not a cursor of this list")
	}
	return nil
}
