package api

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/inspect"
)

// v1 holds the handlers' dependencies.
type v1 struct {
	log     *slog.Logger
	cfg     V1Config
	metrics *metrics.Metrics // nil: none
	logins  *loginPool
}

func (h *v1) now() time.Time {
	if h.cfg.Now != nil {
		return h.cfg.Now()
	}
	return time.Now()
}

// MountV1 registers the JSON API under /api/v1 and returns its route table.
func (s *Server) MountV1(cfg V1Config) []Route {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PhotoLimits == (inspect.PhotoLimits{}) {
		cfg.PhotoLimits = inspect.DefaultPhotoLimits()
	}
	if s.cfg.MaxUploadBytes > 0 {
		cfg.PhotoLimits.MaxBytes = s.cfg.MaxUploadBytes
	}
	if cfg.LoginLimits == (LoginLimits{}) {
		cfg.LoginLimits = DefaultLoginLimits()
	}
	if cfg.LoginLimiter == nil {
		cfg.LoginLimiter = noLoginLimiter{}
	}
	h := &v1{log: s.log, cfg: cfg, metrics: s.cfg.Metrics, logins: newLoginPool(cfg.LoginWorkers)}
	s.app.Use("/api", noStore)
	routes := h.routes()
	for _, r := range routes {
		handlers := s.inputGuards(r)
		if r.Roles != nil {
			handlers = append(handlers, h.authenticate, requireRole(r.Roles))
		}
		handlers = append(handlers, r.fiberHandler())
		s.app.Add(r.Method, r.Path, handlers...)
	}
	s.mountOpen311(h)
	openapi := openAPIDocument(routes)
	s.app.Get(OpenAPIPath, func(c *fiber.Ctx) error { return c.JSON(openapi) })
	return routes
}

// OpenAPIPath is where the OpenAPI document is served.
const OpenAPIPath = "/api/v1/openapi.json"

// routes is the route table: one line a route, grouped by topic. The handlers
// live in the file of their topic.
func (h *v1) routes() []Route {
	const p = "/api/v1"
	return append([]Route{
		raw[LoginRequest, LoginResult]("POST", p+"/auth/login", nil, "Log in with username or phone and password; sets the session cookie and returns the bearer token", h.login),
		raw[struct{}, NoContent]("POST", p+"/auth/logout", everyone, "End the current session", h.logout),
		route("GET", p+"/me", everyone, "The logged-in user", h.me),
		route("GET", p+"/vocabulary", nil, "Location tags, evidence kinds and AI checks with their zh and en labels", h.vocabulary),

		route("GET", p+"/units", staff, "Org units in the caller's scope", h.listUnits),
		route("POST", p+"/units", admins, "Create an org unit", h.createUnit).created(),
		route("GET", p+"/users", managers, "Users an admin or safety officer may see, by role (role=), paged by id", h.listUsers),
		route("POST", p+"/users", managers, "Create a user (officers: inspectors and merchants of their area)", h.createUser).created(),

		route("GET", p+"/sites", anyRole, "Sites in the caller's scope", h.listSites),
		route("POST", p+"/sites", managers, "Create a site", h.createSite).created(),
		route("GET", p+"/sites/:id", anyRole, "One site", h.getSite),
		route("GET", p+"/sites/:id/dossier", staff, "The site's file (一企一档): profile, every inspection, every hazard with its events, photos, supervision and determination, and the current checklist", h.getDossier),
		route("GET", p+"/sites/:id/dossier.pdf", staff, "The site's file as a printable A4 PDF (Chinese)", h.dossierPDF),
		route("PUT", p+"/sites/:id", managers, "Replace a site's fields", h.updateSite),

		route("GET", p+"/inspections", anyRole, "Inspections: an inspector's own, an officer's area, all for admins, a merchant's own self-inspections", h.listInspections),
		route("POST", p+"/inspections", managers, "Assign a site to an inspector with a due date", h.assignInspection).created(),
		route("GET", p+"/inspections/:id", anyRole, "An inspection with its site and checklist items", h.getInspection),
		route("POST", p+"/inspections/:id/start", staff, "Start: generate and store the checklist (assigned inspector)", h.startInspection),
		route("PUT", p+"/inspections/:id/items/:code", anyRole, "Answer one item: pass, fail (fixed_on_spot or hazard) or na, or unanswered to take an answer back before submission (assigned inspector; the merchant of a self-inspection, whose failed items are hazards with the rule's severity and deadline)", h.answerItem),
		route("POST", p+"/inspections/:id/submit", anyRole, "Submit: every item answered, every photo there (assigned inspector, or the merchant of a self-inspection)", h.submitInspection),
		route("POST", p+"/inspections/:id/return", managers, "Return a submitted inspection for correction", h.returnInspection),
		route("POST", p+"/inspections/:id/reassign", managers, "Give an inspection that has not started to another inspector", h.reassignInspection),
		route("POST", p+"/inspections/:id/reschedule", managers, "Move the due time of an inspection not yet submitted (ahead of now, within a year)", h.rescheduleInspection),

		raw[PhotoUpload, inspect.Photo]("PUT", p+"/photos/:uuid", anyRole, "Upload a photo under a client-generated UUID, for an inspection item or a hazard", h.putPhoto).upload(),
		route("GET", p+"/photos/:uuid", everyone, "A photo's metadata", h.getPhoto),
		route("GET", p+"/photos/:uuid/content", everyone, "A photo's original, or its JPEG thumbnail with variant=thumb", h.photoContent),

		route("GET", p+"/hazards", everyone, "Hazards in the caller's scope (an agency: those shared with it), filtered; each with the part of its rule a list shows (code, title, location, severity, evidence, rectify_days) — GET /hazards/{id} has the whole rule", h.listHazards),
		route("GET", p+"/hazards/export.csv", staff, "The hazard list with the same filters as a CSV file (UTF-8 with a byte order mark, for Excel), streamed", h.exportHazards("csv")),
		route("GET", p+"/hazards/export.xlsx", staff, "The hazard list with the same filters as an XLSX workbook, streamed", h.exportHazards("xlsx")),
		route("GET", p+"/hazards/:id", everyone, "A hazard with its rule, events and photos", h.getHazard),
		route("POST", p+"/hazards/:id/actions/:action", anyRole, "Take an action on a hazard (notify, submit_proof, reinspect_fixed, reinspect_present, escalate, return_for_correction, resubmit, withdraw; a determination is opened and concluded through /hazards/:id/determination)", h.hazardAction).bodyOptional(),
		route("POST", p+"/hazards/:id/rating", merchants, "Rate the handling of a closed hazard, 1 to 5 (merchant)", h.rateHazard),
		route("POST", p+"/hazards/:id/reassign", managers, "Give a hazard's re-inspection to another inspector of its grid", h.reassignHazard),
		route("POST", p+"/hazards/:id/comments", staffAndAgencies, "Comment on a hazard (a comment event in its chain): the staff who see it and the agencies it is shared with", h.commentHazard),
		route("POST", p+"/hazards/:id/agency-actions", agencies, "Record what the caller's agency did about a hazard shared with it (an agency_action event): one of its field's actions in checklists/rules/fields.yaml, e.g. supply_cut_off or valve_fitted for the gas company", h.agencyAction),
		route("GET", p+"/agencies", managersAndAgencies, "The agencies the caller may see: all (admins), those of the officer's area, the agency's own", h.listAgencies),
		route("POST", p+"/agencies", admins, "Add an agency (gas company, power company, police station, market regulation office): name, field of fields.yaml and the org unit whose area it serves", h.createAgency).created(),
		route("GET", p+"/agencies/:id/kpi", managersAndAgencies, "An agency's KPIs for hazards recorded from from (inclusive) to to (exclusive), days in UTC+8: shared with it, acted on by it, closed", h.agencyKPI),

		route("GET", p+"/merchant/hazards", merchants, "The hazards of the merchant's premises in plain words: legal basis, deadline, proof needed", h.merchantHazards),
		route("POST", p+"/merchant/sites/:id/self-inspections", merchants, "Begin a self-inspection (自查自纠) of one's premises: the site's checklist, started at once; answer, photograph and submit it through /inspections/{id}; failed items become self-reported hazards for the grid's inspector", h.selfInspect).created(),
		route("POST", p+"/merchant/visit-requests", merchants, "Ask for a visit to one's premises (预约呼叫): advice, or an early re-inspection after fixing; it becomes an inspection on the grid inspector's list with the note, due within 48 h", h.requestVisit).created(),
		route("GET", p+"/merchant/visit-requests", merchants, "The merchant's own visit requests, newest first", h.visitRequests),
		route("POST", p+"/merchant/hazards/:id/proof", []inspect.Role{inspect.RoleMerchant, inspect.RoleInspector}, "Submit rectification proof: photos already uploaded to the hazard and a note", h.submitProof),

		route("GET", p+"/flags", managers, "The review queue: AI flags in the caller's area, oldest first", h.listFlags),
		route("GET", p+"/flags/stats", managers, "Per AI check: flags pending, confirmed and rejected, and precision as reviewed", h.flagStats),
		route("GET", p+"/flags/:id", managers, "One AI flag", h.getFlag),
		route("POST", p+"/flags/:id/confirm", managers, "Confirm a flag: it becomes a hazard for the site and rule, or joins the open one", h.confirmFlag).bodyOptional(),
		route("POST", p+"/flags/:id/reject", managers, "Reject a flag with the reason", h.rejectFlag).bodyOptional(),
		route("GET", p+"/photos/:uuid/flags", staff, "The AI flags of one photo", h.photoFlags),
		route("POST", p+"/photos/:uuid/flags", staff, "Add by hand a hazard the model cannot see (cardboard boxes, a charging cable) to one's photo", h.addManualFlag).created(),
		route("GET", p+"/models/shadow", managers, "The shadow report: per candidate model run in shadow, per AI check, its flags beside the active model's on the same photos with both models' precision and recall against the office's decisions; and the promotions, newest first", h.shadowReport),
		route("POST", p+"/models/promotions", admins, "Promote a candidate model that ran in shadow to the active model from the next photo on (recorded with who and when)", h.promoteModel).created(),
		route("POST", p+"/models/promotions/:id/revert", admins, "Revert the promotion in force: the model it replaced is active again (recorded with who and when)", h.revertPromotion).bodyOptional(),
		route("GET", p+"/models/thresholds", managers, "Per AI check and place: the score levels in force (flag, needs review) and the levels the office's decisions propose at target_precision (default 0.8: the lowest score whose reviewed flags at or above it keep that precision, with at least 20 of them; needs review the lowest keeping 0.5), with their evidence, or why there is no proposal", h.thresholds),
		route("GET", p+"/models/thresholds/history", managers, "Every accepted change of score levels, newest first: who, when, old and new levels, decisions counted and precision at each level", h.thresholdHistory),
		route("POST", p+"/models/thresholds/:check/accept", admins, "Recompute the proposal for a check at a location and put its levels in force for new photo analyses there (recorded with who, when and the evidence); 409 when the decisions propose nothing", h.acceptThreshold).created(),
		route("GET", p+"/photos/:uuid/annotated", staff, "The photo with the detector's boxes and labels drawn (404 until analysed)", h.annotatedPhoto),

		route("GET", p+"/notifications", everyone, "The caller's in-app notifications, newest first; page with before=<id of the last one>", h.listNotifications),
		route("POST", p+"/notifications/:id/read", everyone, "Mark one of the caller's notifications read", h.markNotificationRead),
		route("POST", p+"/plans", managers, "Create an inspection plan for a unit: every site of the chosen types on a cadence (months 1, 3, 6 or 12), or a double-random draw of draw_count sites per period with an inspector pair each", h.createPlan).created(),
		route("GET", p+"/plans", managers, "The inspection plans of the units the caller manages", h.listPlans),
		route("POST", p+"/plans/:id/run", managers, "Make the current period's inspections of a plan now (the hourly job does it too; a period's inspections are made once)", h.runPlan),
		route("GET", p+"/plans/:id/draws", managers, "A double-random plan's draws, with the seed and inputs that reproduce each", h.planDraws),
		route("GET", p+"/public/draws", nil, "The latest double-random draws as published (双随机、一公开): plan, unit, period, seed and the drawn premises; no login, no personal data", h.publicDraws),
		route("POST", p+"/integrations/webhooks", admins, "Register a webhook: every hazard event is POSTed to url as JSON, signed (X-SafeGrid-Signature: t=<unix>,v1=<HMAC-SHA256 of \"<unix>.<body>\">); the secret is in this answer only", h.createWebhook).created(),
		route("GET", p+"/integrations/webhooks", admins, "The webhooks (without their secrets)", h.listWebhooks),
		route("DELETE", p+"/integrations/webhooks/:id", admins, "Revoke a webhook: no new deliveries", h.revokeWebhook),
		route("POST", p+"/integrations/keys", admins, "Create the API key of an integrating system (a 12345 hotline, a grid platform) for the Open311 façade; the key is in this answer only", h.createAPIKey).created(),
		route("GET", p+"/integrations/keys", admins, "The API keys of integrating systems (without the keys)", h.listAPIKeys),
		route("DELETE", p+"/integrations/keys/:id", admins, "Revoke an API key at once", h.revokeAPIKey),
		route("GET", p+"/kpi/export.csv", managers, "The KPI table of a unit and each unit directly below it (one row per unit: volume, completion, on-time, satisfaction, returned) as CSV", h.exportKPI("csv")),
		route("GET", p+"/kpi/export.xlsx", managers, "The KPI table of a unit and each unit directly below it as an XLSX workbook", h.exportKPI("xlsx")),
		route("GET", p+"/kpi/inspectors", managers, "KPIs of a unit's subtree and period per responsible inspector (the hazards whose re-inspection is theirs), most hazards first", h.inspectorKPIs),
		route("GET", p+"/kpi", managers, "KPIs of a unit's subtree for hazards recorded from from (inclusive) to to (exclusive), days in UTC+8: volume, completion, on-time, satisfaction, returned", h.kpi),
		route("GET", p+"/policy", staff, "The time-limit policy in force in a district, with the district's override of the default", h.getPolicy),
		route("PUT", p+"/policy", admins, "Replace a district's override of the default time-limit policy ({} returns it to the default); applies to deadlines set from now on; POST /policy/apply moves open ones", h.putPolicy),
		route("GET", p+"/hazards/:id/determination", staff, "The latest major-hazard determination of a hazard", h.getDetermination),
		route("POST", p+"/hazards/:id/determination", managers, "Open the collective determination of a possibly major hazard with at least 3 reviewers (safety officers or admins)", h.openDetermination),
		route("POST", p+"/hazards/:id/determination/votes", managers, "Vote major or general in the open determination (reviewers on the panel, once each)", h.castVote),
		route("POST", p+"/hazards/:id/determination/conclude", managers, "Conclude the determination with measures and a deadline: the votes make the hazard major (to the district, listed supervision) or general", h.concludeDetermination),
	}, append(h.screenRoutes(p), h.timeLimitRoutes(p)...)...)
}
