package api

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// SiteDossier is the site's file (一企一档): the site with its profile, every
// inspection, every hazard with its events, photos, supervision and latest
// determination (its ratings are on the hazards), and the checklist an
// inspection started now would use.
type SiteDossier struct {
	Site        inspect.Site           `json:"site"`
	Inspections []inspect.Inspection   `json:"inspections"`
	Hazards     []inspect.HazardDetail `json:"hazards"`
	Checklist   checklists.Checklist   `json:"checklist"`
	GeneratedAt time.Time              `json:"generated_at"`
}

// dossier gathers site id's dossier as p sees it. Staff only: merchants see their
// hazards through /merchant/hazards.
func (h *v1) dossier(ctx context.Context, p inspect.Principal, id int64) (SiteDossier, error) {
	d := SiteDossier{GeneratedAt: h.now()}
	var err error
	if d.Site, err = h.cfg.Sites.Site(ctx, p, id); err != nil {
		return d, err
	}
	d.Inspections = []inspect.Inspection{}
	for f := (inspect.InspectionFilter{SiteID: id, Limit: maxInspectionPage}); ; {
		page, err := h.cfg.Inspections.Inspections(ctx, p, f)
		if err != nil {
			return d, err
		}
		d.Inspections = append(d.Inspections, page...)
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	d.Hazards = []inspect.HazardDetail{}
	for f := (inspect.HazardFilter{SiteID: id, Limit: inspect.MaxHazardPage}); ; {
		page, err := h.cfg.Hazards.Hazards(ctx, p, f)
		if err != nil {
			return d, err
		}
		// The list has no events, photos or determinations: read each hazard whole.
		// One site has tens of hazards, not thousands.
		for _, hz := range page {
			full, err := h.cfg.Hazards.Hazard(ctx, p, hz.ID)
			if err != nil {
				return d, err
			}
			d.Hazards = append(d.Hazards, full)
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	if d.Checklist, err = h.cfg.Sites.SiteChecklist(ctx, p, id); err != nil {
		// A site whose profile no longer validates still has a file: say so in it.
		if inspect.ErrorCode(err) != inspect.ECONFLICT {
			return d, err
		}
		d.Checklist = checklists.Checklist{Items: []checklists.Item{}}
	}
	return d, nil
}

func (h *v1) getDossier(ctx context.Context, p inspect.Principal, in ByID) (SiteDossier, error) {
	return h.dossier(ctx, p, in.ID)
}

func (h *v1) dossierPDF(ctx context.Context, p inspect.Principal, in ByID) (Download, error) {
	d, err := h.dossier(ctx, p, in.ID)
	if err != nil {
		return Download{}, err
	}
	font, err := cjkFont()
	if err != nil {
		return Download{}, err
	}
	write := func(_ context.Context, w io.Writer) error { return writeDossierPDF(w, d, font) }
	name := fmt.Sprintf("site-%d-dossier-%s.pdf", d.Site.ID, d.GeneratedAt.In(inspect.ReportZone).Format("20060102"))
	return Download{ContentType: "application/pdf", Filename: name, Write: write, Log: h.log}, nil
}
