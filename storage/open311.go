package storage

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// Open311Service keeps the API keys of integrating systems (a city hotline, a grid
// platform) and files their reports as inspections.
type Open311Service struct{ *base }

// CreateAPIKey records a key for system name (admins only). key is the secret the
// caller generated; only its SHA-256 is stored.
func (s *Open311Service) CreateAPIKey(ctx context.Context, p inspect.Principal, name string, key []byte) (inspect.APIKey, error) {
	if !p.IsAdmin() {
		return inspect.APIKey{}, forbidden("only admins manage the API keys of integrating systems")
	}
	if name == "" || len(name) > 200 {
		return inspect.APIKey{}, inspect.FieldErrorf("name", "is required: the system that uses the key (at most 200 bytes)")
	}
	sum := sha256.Sum256(key)
	rows, err := s.db.Pool.Query(ctx, `INSERT INTO api_keys (name, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4)
		RETURNING id, name, created_by, created_at, revoked_at`, name, sum[:], p.User.ID, s.now())
	return collectOne[inspect.APIKey](rows, err, "api key")
}

// APIKeys lists one page of the keys, by id (admins only).
func (s *Open311Service) APIKeys(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.APIKey, error) {
	if !p.IsAdmin() {
		return nil, forbidden("only admins manage the API keys of integrating systems")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id, name, created_by, created_at, revoked_at FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	return collectAll[inspect.APIKey](rows, err)
}

// RevokeAPIKey ends key id at once (admins only); revoking twice is harmless.
func (s *Open311Service) RevokeAPIKey(ctx context.Context, p inspect.Principal, id int64) (inspect.APIKey, error) {
	if !p.IsAdmin() {
		return inspect.APIKey{}, forbidden("only admins manage the API keys of integrating systems")
	}
	rows, err := s.db.Pool.Query(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
		RETURNING id, name, created_by, created_at, revoked_at`, id, s.now())
	return collectOne[inspect.APIKey](rows, err, fmt.Sprintf("api key %d", id))
}

// KeyOf returns the live key whose secret is key; an unknown or revoked key is
// unauthorized.
func (s *Open311Service) KeyOf(ctx context.Context, key []byte) (inspect.APIKey, error) {
	sum := sha256.Sum256(key)
	rows, err := s.db.Pool.Query(ctx, `SELECT id, name, created_by, created_at, revoked_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, sum[:])
	k, err := collectOne[inspect.APIKey](rows, err, "api key")
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return k, inspect.Errorf(inspect.EUNAUTHORIZED, "unknown or revoked api_key")
	}
	return k, err
}

// FileRequest files report r under key k in one transaction: it finds the site
// (r.SiteID, or the registered premises nearest to r's coordinates within
// inspect.ReportSiteRadiusM), assigns an inspection of it to the inspector of its
// grid, due within inspect.ReportResponseTime, in the name of the admin who made
// the key, and records the request.
func (s *Open311Service) FileRequest(ctx context.Context, k inspect.APIKey, r inspect.ServiceRequest) (inspect.ServiceRequest, error) {
	now := s.now()
	var id int64
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		site, err := s.reportedSite(ctx, tx, r)
		if err != nil {
			return err
		}
		insp, err := s.assignToGrid(ctx, tx, site, k.CreatedBy, now.Add(inspect.ReportResponseTime))
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO service_requests (api_key_id, service_code, description, site_id, lat, lng, inspection_id, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			k.ID, r.ServiceCode, r.Description, site.ID, r.Lat, r.Lng, insp.ID, now).Scan(&id)
	})
	if err != nil {
		return inspect.ServiceRequest{}, err
	}
	return s.Request(ctx, k, id)
}

// reportedSite returns the site a report names, or the nearest to its location.
func (s *Open311Service) reportedSite(ctx context.Context, tx pgx.Tx, r inspect.ServiceRequest) (inspect.Site, error) {
	if r.SiteID > 0 {
		site, err := siteByID(ctx, tx, r.SiteID, false)
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return site, inspect.FieldErrorf("attribute[site_id]", "no registered premises %d", r.SiteID)
		}
		return site, err
	}
	// Equirectangular distance: exact enough within a city, and an index-free scan
	// of the sites is milliseconds at a district's 50,000 premises.
	var id int64
	var dist float64
	err := tx.QueryRow(ctx, `SELECT id, sqrt(power(lat - $1, 2) + power((lng - $2) * cos(radians($1)), 2)) * 111320 AS d
		FROM sites ORDER BY d LIMIT 1`, *r.Lat, *r.Lng).Scan(&id, &dist)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && dist > inspect.ReportSiteRadiusM {
		return inspect.Site{}, inspect.FieldErrorf("lat", "no registered premises within %d m of %.6f, %.6f (nearest %s); give attribute[site_id]",
			inspect.ReportSiteRadiusM, *r.Lat, *r.Lng, nearest(dist, err))
	}
	if err != nil {
		return inspect.Site{}, fmt.Errorf("nearest site: %w", err)
	}
	return siteByID(ctx, tx, id, false)
}

func nearest(dist float64, err error) string {
	if err != nil || math.IsNaN(dist) {
		return "none registered"
	}
	return fmt.Sprintf("%.0f m away", dist)
}

// serviceRequestColumns read a request with what came of it.
const serviceRequestColumns = `r.id, r.api_key_id, r.service_code, r.description, r.site_id, r.lat, r.lng, s.address,
	r.inspection_id, i.status AS inspection_status,
	(SELECT count(*) FROM hazards h WHERE h.inspection_id = r.inspection_id)::int AS hazards,
	r.requested_at, GREATEST(r.requested_at, i.started_at, i.submitted_at) AS updated_at
	FROM service_requests r JOIN inspections i ON i.id = r.inspection_id JOIN sites s ON s.id = r.site_id`

// Request returns request id filed under key k; another key's request is not
// found.
func (s *Open311Service) Request(ctx context.Context, k inspect.APIKey, id int64) (inspect.ServiceRequest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+serviceRequestColumns+` WHERE r.id = $1 AND r.api_key_id = $2`, id, k.ID)
	return collectOne[inspect.ServiceRequest](rows, err, fmt.Sprintf("request %d", id))
}

// Requests lists the requests filed under key k, newest first, limit at most.
func (s *Open311Service) Requests(ctx context.Context, k inspect.APIKey, limit int) ([]inspect.ServiceRequest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+serviceRequestColumns+` WHERE r.api_key_id = $1 ORDER BY r.id DESC LIMIT $2`, k.ID, limit)
	return collectAll[inspect.ServiceRequest](rows, err)
}
