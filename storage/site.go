package storage

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

const siteColumns = `s.id, s.name, s.type, s.address, s.lat, s.lng, s.grid_id, s.profile,
	ARRAY(SELECT m.user_id FROM site_merchants m WHERE m.site_id = s.id ORDER BY m.user_id) AS merchant_ids,
	s.created_at, s.updated_at`

func siteByID(ctx context.Context, q querier, id int64, lock bool) (inspect.Site, error) {
	return queryOne[inspect.Site](ctx, q, lock, fmt.Sprintf("site %d", id), `SELECT `+siteColumns+` FROM sites s WHERE s.id = $1`, id)
}

// Site returns the site if the principal may see it.
func (s *SiteService) Site(ctx context.Context, p inspect.Principal, id int64) (inspect.Site, error) {
	site, err := siteByID(ctx, s.db.Pool, id, false)
	if err != nil || !p.CanSeeSite(site) {
		if err == nil || inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return inspect.Site{}, notVisible("site", id)
		}
		return inspect.Site{}, err
	}
	return site, nil
}

// Sites lists the sites the principal may see, by id.
func (s *SiteService) Sites(ctx context.Context, p inspect.Principal, f inspect.SiteFilter) ([]inspect.Site, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	units, all := p.ScopeUnitIDs()
	merchant := inspect.SeesOwnSitesOnly(p)
	rows, err := s.db.Pool.Query(ctx, `SELECT `+siteColumns+` FROM sites s
		WHERE (CASE WHEN $1 THEN s.id = ANY($2) ELSE ($3 OR s.grid_id = ANY($4)) END)
		  AND ($5 = 0 OR s.grid_id = $5) AND ($6 = '' OR s.type = $6) AND s.id > $7
		ORDER BY s.id LIMIT $8`, merchant, p.SiteIDs(), all, units, f.GridID, string(f.Type), f.AfterID, f.Limit)
	return collectAll[inspect.Site](rows, err)
}

// CheckSiteProfile validates a site's profile with the checklist generator's rules
// and checks that it describes the site's type. Errors name the field as
// profile.<attribute>.
func CheckSiteProfile(site inspect.Site) error {
	if len(bytes.TrimSpace(site.Profile)) == 0 {
		return inspect.FieldErrorf("profile", "is required: the site's attributes decide its checklist")
	}
	prof, err := checklists.ParseProfile(site.Profile)
	if err != nil {
		var e *inspect.Error
		if errorsAs(err, &e) {
			field := "profile"
			if e.Field != "" {
				field = "profile." + e.Field
			}
			return inspect.FieldErrorf(field, "%s", e.Message)
		}
		return err
	}
	if string(prof.SiteType) != string(site.Type) {
		return inspect.FieldErrorf("profile.site_type", "is %q but the site's type is %q", prof.SiteType, site.Type)
	}
	return nil
}

func (s *base) checkSite(ctx context.Context, q querier, site inspect.Site) error {
	if err := site.Validate(); err != nil {
		return err
	}
	if err := CheckSiteProfile(site); err != nil {
		return err
	}
	grid, err := unitByID(ctx, q, site.GridID)
	if err != nil || grid.Level != inspect.LevelGrid {
		return inspect.FieldErrorf("grid_id", "unit %d is not a grid", site.GridID)
	}
	for _, m := range site.MerchantIDs {
		u, err := userByID(ctx, q, m)
		if err != nil || u.Role != inspect.RoleMerchant {
			return inspect.FieldErrorf("merchant_ids", "user %d is not a merchant", m)
		}
	}
	return nil
}

// CreateSite adds a site.
func (s *SiteService) CreateSite(ctx context.Context, p inspect.Principal, site inspect.Site) (inspect.Site, error) {
	if !inspect.CanCreateSite(p) {
		return inspect.Site{}, forbidden("only admins and safety officers create sites")
	}
	site.Name, site.Address = strings.TrimSpace(site.Name), strings.TrimSpace(site.Address)
	var id int64
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.checkSite(ctx, tx, site); err != nil {
			return err
		}
		if !inspect.CanManageSite(p, site) {
			return forbidden("grid %d is outside your area", site.GridID)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO sites (name, type, address, lat, lng, grid_id, profile)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			site.Name, site.Type, site.Address, site.Lat, site.Lng, site.GridID, site.Profile).Scan(&id); err != nil {
			return err
		}
		return setMerchants(ctx, tx, id, site.MerchantIDs)
	})
	if err != nil {
		return inspect.Site{}, mapPgError(err, "site")
	}
	return siteByID(ctx, s.db.Pool, id, false)
}

func setMerchants(ctx context.Context, tx pgx.Tx, siteID int64, ids []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM site_merchants WHERE site_id = $1`, siteID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO site_merchants (site_id, user_id) SELECT $1, unnest($2::bigint[])`, siteID, ids)
	return err
}

// UpdateSite replaces a site's fields (all of them, as in a PUT). Moving a site to
// another grid needs the principal's scope on both grids.
func (s *SiteService) UpdateSite(ctx context.Context, p inspect.Principal, site inspect.Site) (inspect.Site, error) {
	site.Name, site.Address = strings.TrimSpace(site.Name), strings.TrimSpace(site.Address)
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		old, err := siteByID(ctx, tx, site.ID, true)
		if err != nil || !p.CanSeeSite(old) {
			if err == nil || inspect.ErrorCode(err) == inspect.ENOTFOUND {
				return notVisible("site", site.ID)
			}
			return err
		}
		if !inspect.CanManageSite(p, old) {
			return forbidden("only admins and safety officers of its area edit site %d", site.ID)
		}
		if err := s.checkSite(ctx, tx, site); err != nil {
			return err
		}
		if !inspect.CanManageSite(p, site) {
			return forbidden("grid %d is outside your area", site.GridID)
		}
		if _, err := tx.Exec(ctx, `UPDATE sites SET name = $2, type = $3, address = $4, lat = $5, lng = $6, grid_id = $7,
			profile = $8, updated_at = now() WHERE id = $1`,
			site.ID, site.Name, site.Type, site.Address, site.Lat, site.Lng, site.GridID, site.Profile); err != nil {
			return err
		}
		// Open hazards keep the grid they were found in (their GridID is the scope
		// of the area that found them); new findings use the new grid.
		return setMerchants(ctx, tx, site.ID, site.MerchantIDs)
	})
	if err != nil {
		return inspect.Site{}, mapPgError(err, "site")
	}
	return siteByID(ctx, s.db.Pool, site.ID, false)
}

// SiteChecklist returns the checklist the current rules generate for the site's
// profile, if the principal may see the site: what an inspection started now
// would check.
func (s *SiteService) SiteChecklist(ctx context.Context, p inspect.Principal, id int64) (checklists.Checklist, error) {
	site, err := s.Site(ctx, p, id)
	if err != nil {
		return checklists.Checklist{}, err
	}
	profile, err := checklists.ParseProfile(site.Profile)
	if err != nil {
		return checklists.Checklist{}, inspect.Errorf(inspect.ECONFLICT, "the profile of site %d is not valid (%s); ask the safety office to correct it", site.ID, inspect.ErrorMessage(err))
	}
	return s.rules.Generate(profile)
}
