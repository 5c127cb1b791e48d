package inspect_test

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func TestPageNormalize(t *testing.T) {
	tests := []struct {
		name      string
		normalize func() (int, error)
		wantField string
		wantLimit int
	}{
		{"users default", func() (int, error) { f := inspect.UserFilter{}; err := f.Normalize(); return f.Limit, err }, "", inspect.DefaultUserPage},
		{"users by role", func() (int, error) {
			f := inspect.UserFilter{Role: inspect.RoleInspector, Limit: 10}
			err := f.Normalize()
			return f.Limit, err
		}, "", 10},
		{"users unknown role", func() (int, error) { f := inspect.UserFilter{Role: "mayor"}; err := f.Normalize(); return f.Limit, err }, "role", 0},
		{"users page too large", func() (int, error) { f := inspect.UserFilter{Limit: 5000}; err := f.Normalize(); return f.Limit, err }, "limit", 0},
		{"units default", func() (int, error) { pg := inspect.UnitPage{}; err := pg.Normalize(); return pg.Limit, err }, "", inspect.DefaultUnitPage},
		{"units rank past the grid", func() (int, error) {
			pg := inspect.UnitPage{After: inspect.UnitKey{Rank: 4, ID: 1}}
			err := pg.Normalize()
			return pg.Limit, err
		}, "cursor", 0},
		{"own hazards default", func() (int, error) { pg := inspect.OwnHazardPage{}; err := pg.Normalize(); return pg.Limit, err }, "", inspect.MaxHazardPage},
		{"own hazards page too large", func() (int, error) {
			pg := inspect.OwnHazardPage{Limit: inspect.MaxHazardPage + 1}
			err := pg.Normalize()
			return pg.Limit, err
		}, "limit", 0},
		{"own hazards negative key", func() (int, error) {
			pg := inspect.OwnHazardPage{After: inspect.OwnHazardKey{ID: -1}}
			err := pg.Normalize()
			return pg.Limit, err
		}, "cursor", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit, err := tt.normalize()
			assertField(t, err, tt.wantField)
			if err == nil && limit != tt.wantLimit {
				t.Errorf("limit = %d, want %d", limit, tt.wantLimit)
			}
		})
	}
}

// A merchant's list key: open before closed, whatever the id.
func TestOwnHazardKeyOf(t *testing.T) {
	open := inspect.OwnHazardKeyOf(inspect.Hazard{ID: 9, State: inspect.StateNotified})
	closed := inspect.OwnHazardKeyOf(inspect.Hazard{ID: 10, State: inspect.StateClosedFixed})
	if open.Closed || !closed.Closed {
		t.Errorf("keys %+v (notified) and %+v (closed_fixed): want open then closed", open, closed)
	}
}
