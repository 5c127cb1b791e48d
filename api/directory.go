package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// The directory: the org units of the district tree and the users in them.

// UnitInput is the body of POST /units.
type UnitInput struct {
	ParentID int64         `json:"parent_id"`
	Level    inspect.Level `json:"level" required:"true"`
	Name     string        `json:"name" required:"true"`
	Code     string        `json:"code"`
}

// NewUserInput is the body of POST /users.
type NewUserInput struct {
	Username    string       `json:"username" required:"true"`
	Phone       string       `json:"phone" required:"true"`
	DisplayName string       `json:"display_name" required:"true"`
	Role        inspect.Role `json:"role" required:"true"`
	UnitID      int64        `json:"unit_id"`
	GridIDs     []int64      `json:"grid_ids"`
	// AgencyID is the agency of an agency's staff member (role agency; admins
	// create them).
	AgencyID int64  `json:"agency_id"`
	Password string `json:"password" required:"true"`
}

func (h *v1) me(ctx context.Context, p inspect.Principal, _ struct{}) (inspect.User, error) {
	return p.User, nil
}

// UnitQuery pages GET /units, parents first (limit 1 to 5000, default 2000;
// cursor, the next of the previous page).
type UnitQuery struct {
	Limit  int    `query:"limit" json:"-"`
	Cursor string `query:"cursor" json:"-"`
}

func (h *v1) listUnits(ctx context.Context, p inspect.Principal, q UnitQuery) (List[inspect.Unit], error) {
	pg := inspect.UnitPage{Limit: q.Limit}
	if q.Cursor != "" {
		if err := decodeCursor(q.Cursor, &pg.After); err != nil {
			return List[inspect.Unit]{}, err
		}
	}
	if err := pg.Normalize(); err != nil {
		return List[inspect.Unit]{}, err
	}
	list, err := h.cfg.Directory.Units(ctx, p, pg)
	if err != nil {
		return List[inspect.Unit]{}, err
	}
	return List[inspect.Unit]{Items: list, Next: nextCursor(list, pg.Limit, inspect.UnitKeyOf)}, nil
}

func (h *v1) createUnit(ctx context.Context, p inspect.Principal, in UnitInput) (inspect.Unit, error) {
	return h.cfg.Directory.CreateUnit(ctx, p, inspect.Unit{ParentID: in.ParentID, Level: in.Level, Name: in.Name, Code: in.Code})
}

// UserQuery filters GET /users by role and pages it (limit 1 to 1000, default 500).
type UserQuery struct {
	Role inspect.Role `query:"role" json:"-"`
	Page
}

func (h *v1) listUsers(ctx context.Context, p inspect.Principal, q UserQuery) (List[inspect.User], error) {
	return listPage(q.Page, q.orDefault(inspect.DefaultUserPage), func(after int64, limit int) ([]inspect.User, error) {
		return h.cfg.Directory.Users(ctx, p, inspect.UserFilter{Role: q.Role, AfterID: after, Limit: limit})
	}, func(u inspect.User) int64 { return u.ID })
}

func (h *v1) createUser(ctx context.Context, p inspect.Principal, in NewUserInput) (inspect.User, error) {
	u := inspect.User{Username: in.Username, Phone: in.Phone, DisplayName: in.DisplayName, Role: in.Role, UnitID: in.UnitID, GridIDs: in.GridIDs, AgencyID: in.AgencyID}
	if err := u.Validate(); err != nil {
		return inspect.User{}, err
	}
	if err := inspect.ValidatePassword(in.Password); err != nil {
		return inspect.User{}, err
	}
	hash, err := inspect.HashPassword(in.Password, inspect.DefaultPasswordParams())
	if err != nil {
		return inspect.User{}, err
	}
	return h.cfg.Directory.CreateUser(ctx, p, u, hash)
}
