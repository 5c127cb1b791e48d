package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// userColumns selects the columns of inspect.User from users u.
const userColumns = `u.id, u.username, u.phone, u.display_name, u.role, COALESCE(u.unit_id, 0) AS unit_id,
	ARRAY(SELECT g.grid_id FROM user_grids g WHERE g.user_id = u.id ORDER BY g.grid_id) AS grid_ids,
	COALESCE(u.agency_id, 0) AS agency_id, u.created_at`

// CreateUnit adds an org unit. Only admins create units.
func (s *DirectoryService) CreateUnit(ctx context.Context, p inspect.Principal, u inspect.Unit) (inspect.Unit, error) {
	if !inspect.CanCreateUnit(p) {
		return inspect.Unit{}, forbidden("only an admin creates org units")
	}
	u.Name = strings.TrimSpace(u.Name)
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		var parent *inspect.Unit
		if u.ParentID != 0 {
			pu, err := unitByID(ctx, tx, u.ParentID)
			if err != nil && inspect.ErrorCode(err) != inspect.ENOTFOUND {
				return err
			}
			if err == nil {
				parent = &pu
			}
		}
		if err := u.Validate(parent); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO units (parent_id, level, name, code) VALUES (NULLIF($1, 0), $2, $3, $4) RETURNING id`,
			u.ParentID, u.Level, u.Name, u.Code).Scan(&u.ID)
	})
	if err != nil {
		return inspect.Unit{}, mapPgError(err, "unit")
	}
	return u, nil
}

func unitByID(ctx context.Context, q querier, id int64) (inspect.Unit, error) {
	rows, err := q.Query(ctx, `SELECT id, COALESCE(parent_id, 0) AS parent_id, level, name, code FROM units WHERE id = $1`, id)
	return collectOne[inspect.Unit](rows, err, fmt.Sprintf("unit %d", id))
}

// Units lists one page of the units the principal works in (admins: all),
// parents first: by level, then id, paged by inspect.UnitKey.
func (s *DirectoryService) Units(ctx context.Context, p inspect.Principal, pg inspect.UnitPage) ([]inspect.Unit, error) {
	if !inspect.CanSeeOrgTree(p) {
		return nil, forbidden("merchants do not see the org tree")
	}
	if err := pg.Normalize(); err != nil {
		return nil, err
	}
	ids, all := p.ScopeUnitIDs()
	rows, err := s.db.Pool.Query(ctx, `SELECT id, parent_id, level, name, code FROM (
			SELECT id, COALESCE(parent_id, 0) AS parent_id, level, name, code,
			       CASE level WHEN 'district' THEN 0 WHEN 'subdistrict' THEN 1 WHEN 'community' THEN 2 ELSE 3 END AS rank
			FROM units WHERE $1 OR id = ANY($2)) u
		WHERE $3 = 0 OR (rank, id) > ($4, $3::bigint)
		ORDER BY rank, id LIMIT $5`, all, ids, pg.After.ID, pg.After.Rank, pg.Limit)
	return collectAll[inspect.Unit](rows, err)
}

// ancestorOfLevel returns the unit of the given level at or above unit id.
func ancestorOfLevel(ctx context.Context, q querier, id int64, level inspect.Level) (inspect.Unit, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE up AS (
			SELECT id, parent_id, level, name, code FROM units WHERE id = $1
			UNION ALL
			SELECT u.id, u.parent_id, u.level, u.name, u.code FROM units u JOIN up ON u.id = up.parent_id)
		SELECT id, COALESCE(parent_id, 0) AS parent_id, level, name, code FROM up WHERE level = $2`, id, level)
	return collectOne[inspect.Unit](rows, err, fmt.Sprintf("%s above unit %d", level, id))
}

// unitsAbove returns unit id and every unit above it, nearest first.
func unitsAbove(ctx context.Context, q querier, id int64) ([]inspect.Unit, error) {
	units, err := unitsAboveAll(ctx, q, []int64{id})
	if err != nil || units[id] == nil {
		return []inspect.Unit{}, err
	}
	return units[id], nil
}

// unitsAboveAll returns, for each of ids, the unit and every unit above it,
// nearest first, with one query.
func unitsAboveAll(ctx context.Context, q querier, ids []int64) (map[int64][]inspect.Unit, error) {
	type unitAbove struct {
		Origin int64
		inspect.Unit
	}
	rows, err := q.Query(ctx, `WITH RECURSIVE up AS (
			SELECT id AS origin, id, parent_id, level, name, code, 0 AS depth FROM units WHERE id = ANY($1)
			UNION ALL
			SELECT up.origin, u.id, u.parent_id, u.level, u.name, u.code, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id)
		SELECT origin, id, COALESCE(parent_id, 0) AS parent_id, level, name, code FROM up ORDER BY origin, depth`, ids)
	list, err := collectAll[unitAbove](rows, err)
	if err != nil {
		return nil, fmt.Errorf("units above %d units: %w", len(ids), err)
	}
	out := map[int64][]inspect.Unit{}
	for _, u := range list {
		out[u.Origin] = append(out[u.Origin], u.Unit)
	}
	return out, nil
}

// subtreeIDs returns unit id and every unit below it.
func subtreeIDs(ctx context.Context, q querier, id int64) ([]int64, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE down AS (
			SELECT id FROM units WHERE id = $1
			UNION ALL
			SELECT u.id FROM units u JOIN down ON u.parent_id = down.id)
		SELECT id FROM down`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// CreateUser adds a user with the given argon2id password hash. Admins create any
// user; a safety officer creates inspectors and merchants, inspectors only for
// grids in their subtree.
func (s *DirectoryService) CreateUser(ctx context.Context, p inspect.Principal, u inspect.User, passwordHash string) (inspect.User, error) {
	if err := inspect.CheckCreateUser(p, u); err != nil {
		return inspect.User{}, err
	}
	return s.createUser(ctx, u, passwordHash)
}

// CreateUserUnchecked adds a user without a principal: for seeding and for the
// first admin.
func (s *DirectoryService) CreateUserUnchecked(ctx context.Context, u inspect.User, passwordHash string) (inspect.User, error) {
	return s.createUser(ctx, u, passwordHash)
}

func (s *base) createUser(ctx context.Context, u inspect.User, passwordHash string) (inspect.User, error) {
	u.Phone = inspect.NormalizePhone(u.Phone)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if err := u.Validate(); err != nil {
		return inspect.User{}, err
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if u.UnitID != 0 {
			if _, err := unitByID(ctx, tx, u.UnitID); err != nil {
				return inspect.FieldErrorf("unit_id", "unit %d does not exist", u.UnitID)
			}
		}
		if u.AgencyID != 0 {
			if _, err := agencyByID(ctx, tx, u.AgencyID); err != nil {
				return inspect.FieldErrorf("agency_id", "agency %d does not exist", u.AgencyID)
			}
		}
		for _, g := range u.GridIDs {
			unit, err := unitByID(ctx, tx, g)
			if err != nil || unit.Level != inspect.LevelGrid {
				return inspect.FieldErrorf("grid_ids", "unit %d is not a grid", g)
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO users (username, phone, display_name, role, unit_id, password_hash, agency_id)
			VALUES ($1, $2, $3, $4, NULLIF($5, 0), $6, NULLIF($7, 0)) RETURNING id, created_at`,
			u.Username, u.Phone, u.DisplayName, u.Role, u.UnitID, passwordHash, u.AgencyID).Scan(&u.ID, &u.CreatedAt); err != nil {
			return mapPgError(err, "a user with this username or phone")
		}
		for _, g := range u.GridIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO user_grids (user_id, grid_id) VALUES ($1, $2)`, u.ID, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inspect.User{}, err
	}
	return u, nil
}

// Users lists one page (by id, inspect.UserFilter) of the users the principal may
// see: admins all; safety officers the inspectors of their area and the merchants
// of its sites.
func (s *DirectoryService) Users(ctx context.Context, p inspect.Principal, f inspect.UserFilter) ([]inspect.User, error) {
	if err := f.Normalize(); err != nil {
		return nil, err
	}
	switch inspect.UsersVisibleTo(p) {
	case inspect.UsersAll:
		rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users u
			WHERE ($1 = '' OR u.role = $1) AND u.id > $2 ORDER BY u.id LIMIT $3`, string(f.Role), f.AfterID, f.Limit)
		return collectAll[inspect.User](rows, err)
	case inspect.UsersOfArea:
		// An officer sees the people of their area, and every safety officer and admin:
		// the colleagues they may call onto a major-hazard determination panel.
		ids, _ := p.ScopeUnitIDs()
		rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users u
			WHERE (u.unit_id = ANY($1) OR u.role IN ('safety_officer', 'admin')
			   OR EXISTS (SELECT 1 FROM user_grids g WHERE g.user_id = u.id AND g.grid_id = ANY($1))
			   OR EXISTS (SELECT 1 FROM site_merchants m JOIN sites s ON s.id = m.site_id WHERE m.user_id = u.id AND s.grid_id = ANY($1)))
			  AND ($2 = '' OR u.role = $2) AND u.id > $3
			ORDER BY u.id LIMIT $4`, ids, string(f.Role), f.AfterID, f.Limit)
		return collectAll[inspect.User](rows, err)
	}
	return nil, forbidden("only admins and safety officers list users")
}

func userByID(ctx context.Context, q querier, id int64) (inspect.User, error) {
	rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id)
	return collectOne[inspect.User](rows, err, fmt.Sprintf("user %d", id))
}

// Credentials returns the user whose username or phone is login, with their
// password hash. An unknown login is not_found.
func (s *DirectoryService) Credentials(ctx context.Context, login string) (inspect.User, string, error) {
	login = strings.TrimSpace(login)
	type row struct {
		inspect.User
		PasswordHash string
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u
		WHERE u.username = lower($1) OR u.phone = $2`, login, inspect.NormalizePhone(login))
	r, err := collectOne[row](rows, err, "user")
	if err != nil {
		return inspect.User{}, "", err
	}
	return r.User, r.PasswordHash, nil
}

// SetPasswordHash replaces a user's password hash (after a login found the stored
// parameters weaker than the current ones).
func (s *DirectoryService) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	return err
}

// CreateSession stores a new session.
func (s *DirectoryService) CreateSession(ctx context.Context, sess inspect.Session) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		sess.TokenHash, sess.UserID, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// RevokeSession ends the session with the token hash; ending an unknown or ended
// session is not an error.
func (s *DirectoryService) RevokeSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, tokenHash)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// SessionPrincipal returns the principal of a live session: not revoked, not
// expired at now. Anything else is unauthorized.
func (s *DirectoryService) SessionPrincipal(ctx context.Context, tokenHash []byte, now time.Time) (inspect.Principal, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM sessions x JOIN users u ON u.id = x.user_id
		WHERE x.token_hash = $1 AND x.revoked_at IS NULL AND x.expires_at > $2`, tokenHash, now)
	u, err := collectOne[inspect.User](rows, err, "session")
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return inspect.Principal{}, inspect.Errorf(inspect.EUNAUTHORIZED, "your session has expired or was ended; log in again")
	}
	if err != nil {
		return inspect.Principal{}, fmt.Errorf("read session: %w", err)
	}
	return s.principal(ctx, s.db.Pool, u)
}

// PrincipalOf returns the principal of user id, with their scope resolved.
func (s *DirectoryService) PrincipalOf(ctx context.Context, id int64) (inspect.Principal, error) {
	u, err := userByID(ctx, s.db.Pool, id)
	if err != nil {
		return inspect.Principal{}, err
	}
	return s.principal(ctx, s.db.Pool, u)
}

func (s *base) principal(ctx context.Context, q querier, u inspect.User) (inspect.Principal, error) {
	var subtree, sites []int64
	var err error
	switch u.Role {
	case inspect.RoleAgency:
		return s.agencyPrincipal(ctx, q, u)
	case inspect.RoleSafetyOfficer:
		if subtree, err = subtreeIDs(ctx, q, u.UnitID); err != nil {
			return inspect.Principal{}, fmt.Errorf("resolve scope of user %d: %w", u.ID, err)
		}
	case inspect.RoleMerchant:
		rows, err := q.Query(ctx, `SELECT site_id FROM site_merchants WHERE user_id = $1`, u.ID)
		if err != nil {
			return inspect.Principal{}, fmt.Errorf("resolve sites of user %d: %w", u.ID, err)
		}
		if sites, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return inspect.Principal{}, fmt.Errorf("resolve sites of user %d: %w", u.ID, err)
		}
	}
	slices.Sort(sites)
	return inspect.NewPrincipal(u, subtree, sites), nil
}
