package api_test

import (
	"fmt"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// workYearMatrix is the authorization of the grid team's year (issue #14):
// exports, the site dossier, plans and their draws, and the integration keys.
func workYearMatrix() []matrixRoute {
	const p = "/api/v1"
	period := "from=" + time.Now().AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	list := func(path string) func(w *world, s *scope, n int) request {
		return func(w *world, s *scope, n int) request { return request{"GET", p + path, nil} }
	}
	kpiExport := func(ext string) func(w *world, s *scope, n int) request {
		return func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/kpi/export.%s?unit=%d&%s", p, ext, s.community.ID, period), nil}
		}
	}
	dossier := func(suffix string) func(w *world, s *scope, n int) request {
		return func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/sites/%d/dossier%s", p, s.site.ID, suffix), nil}
		}
	}
	plan := func(suffix, method string) func(w *world, s *scope, n int) request {
		return func(w *world, s *scope, n int) request {
			pl, err := w.svc.Plans.CreatePlan(w.ctx, w.adminP, inspect.Plan{UnitID: s.community.ID, Name: fmt.Sprintf("plan %d", n), Kind: inspect.PlanDoubleRandom, Months: 3, DrawCount: 1})
			if err != nil {
				w.t.Fatal(err)
			}
			return request{method, fmt.Sprintf("%s/plans/%d%s", p, pl.ID, suffix), nil}
		}
	}
	staffList := [actors][2]int{same(200), same(200), same(200), same(403), same(401)}
	return []matrixRoute{
		{"GET /api/v1/hazards/export.csv", list("/hazards/export.csv"), staffList},
		{"GET /api/v1/hazards/export.xlsx", list("/hazards/export.xlsx"), staffList},
		{"GET /api/v1/kpi/inspectors", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/kpi/inspectors?unit=%d&%s", p, s.community.ID, period), nil}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/kpi/export.csv", kpiExport("csv"), [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/kpi/export.xlsx", kpiExport("xlsx"), [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/sites/:id/dossier", dossier(""), [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
		{"GET /api/v1/sites/:id/dossier.pdf", dossier(".pdf"), [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
		{"POST /api/v1/plans", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/plans", map[string]any{"unit_id": s.community.ID, "name": fmt.Sprintf("月检 %d", n), "kind": "cadence", "months": 1}}
		}, [actors][2]int{same(201), {201, 403}, same(403), same(403), same(401)}},
		{"GET /api/v1/plans", list("/plans"), [actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"POST /api/v1/plans/:id/run", plan("/run", "POST"), [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"GET /api/v1/plans/:id/draws", plan("/draws", "GET"), [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"POST /api/v1/merchant/sites/:id/self-inspections", func(w *world, s *scope, n int) request {
			return request{"POST", fmt.Sprintf("%s/merchant/sites/%d/self-inspections", p, s.site.ID), nil}
		}, [actors][2]int{same(403), same(403), same(403), ownOnly(201), same(401)}},
		{"GET /api/v1/public/draws", list("/public/draws"), [actors][2]int{same(200), same(200), same(200), same(200), same(200)}},
		{"POST /api/v1/integrations/keys", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/integrations/keys", map[string]string{"name": fmt.Sprintf("hotline %d", n)}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
		{"GET /api/v1/integrations/keys", list("/integrations/keys"), [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
		{"POST /api/v1/merchant/visit-requests", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/merchant/visit-requests", map[string]any{"site_id": s.site.ID, "kind": "advice", "note": "新装了灭火器，请来看看位置对不对"}}
		}, [actors][2]int{same(403), same(403), same(403), ownOnly(201), same(401)}},
		{"GET /api/v1/merchant/visit-requests", list("/merchant/visit-requests"), [actors][2]int{same(403), same(403), same(403), same(200), same(401)}},
		{"POST /api/v1/integrations/webhooks", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/integrations/webhooks", map[string]string{"name": fmt.Sprintf("platform %d", n), "url": "https://example.gov/hook"}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
		{"GET /api/v1/integrations/webhooks", list("/integrations/webhooks"), [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
		{"DELETE /api/v1/integrations/webhooks/:id", func(w *world, s *scope, n int) request {
			hook, err := w.svc.Webhooks.CreateWebhook(w.ctx, w.adminP, fmt.Sprintf("platform %d", n), "https://example.gov/hook", "a-secret-of-sixteen-plus")
			if err != nil {
				w.t.Fatal(err)
			}
			return request{"DELETE", fmt.Sprintf("%s/integrations/webhooks/%d", p, hook.ID), nil}
		}, [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
		{"DELETE /api/v1/integrations/keys/:id", func(w *world, s *scope, n int) request {
			k, err := w.svc.Open311.CreateAPIKey(w.ctx, w.adminP, fmt.Sprintf("system %d", n), []byte(fmt.Sprintf("key-%d-%d", n, time.Now().UnixNano())))
			if err != nil {
				w.t.Fatal(err)
			}
			return request{"DELETE", fmt.Sprintf("%s/integrations/keys/%d", p, k.ID), nil}
		}, [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
	}
}
