package api

import (
	"context"
	"encoding/json"

	"github.com/safegrid/safegrid/inspect"
)

// maxSitePage is the most sites a page holds, and the default.
const maxSitePage = 500

// SiteQuery filters GET /sites.
type SiteQuery struct {
	GridID int64            `query:"grid_id" json:"-"`
	Type   inspect.SiteType `query:"type" json:"-"`
	Page
}

// SiteInput is the body of POST /sites and PUT /sites/{id}.
type SiteInput struct {
	Name        string           `json:"name" required:"true"`
	Type        inspect.SiteType `json:"type" required:"true"`
	Address     string           `json:"address" required:"true"`
	Lat         float64          `json:"lat" required:"true"`
	Lng         float64          `json:"lng" required:"true"`
	GridID      int64            `json:"grid_id" required:"true"`
	Profile     json.RawMessage  `json:"profile" required:"true"`
	MerchantIDs []int64          `json:"merchant_ids"`
}

func (in SiteInput) site() inspect.Site {
	return inspect.Site{Name: in.Name, Type: in.Type, Address: in.Address, Lat: in.Lat, Lng: in.Lng,
		GridID: in.GridID, Profile: in.Profile, MerchantIDs: in.MerchantIDs}
}

// SiteUpdate is PUT /sites/{id}.
type SiteUpdate struct {
	ID int64 `path:"id" json:"-"`
	SiteInput
}

func (h *v1) listSites(ctx context.Context, p inspect.Principal, q SiteQuery) (List[inspect.Site], error) {
	return listPage(q.Page, q.size(maxSitePage, maxSitePage), func(after int64, limit int) ([]inspect.Site, error) {
		return h.cfg.Sites.Sites(ctx, p, inspect.SiteFilter{GridID: q.GridID, Type: q.Type, AfterID: after, Limit: limit})
	}, func(s inspect.Site) int64 { return s.ID })
}

func (h *v1) createSite(ctx context.Context, p inspect.Principal, in SiteInput) (inspect.Site, error) {
	return h.cfg.Sites.CreateSite(ctx, p, in.site())
}

func (h *v1) getSite(ctx context.Context, p inspect.Principal, in ByID) (inspect.Site, error) {
	return h.cfg.Sites.Site(ctx, p, in.ID)
}

func (h *v1) updateSite(ctx context.Context, p inspect.Principal, in SiteUpdate) (inspect.Site, error) {
	s := in.site()
	s.ID = in.ID
	return h.cfg.Sites.UpdateSite(ctx, p, s)
}
