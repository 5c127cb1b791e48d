package api

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// Store is what the JSON API needs from storage. Every method that takes a
// principal decides access itself, with inspect's scope functions, on the rows it
// reads: a thing the principal may not see is not_found, a thing they may see but
// not change is forbidden. *storage.Store implements it; cmd wires the two.
type Store interface {
	Credentials(ctx context.Context, login string) (inspect.User, string, error)
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	CreateSession(ctx context.Context, s inspect.Session) error
	RevokeSession(ctx context.Context, tokenHash []byte) error
	SessionPrincipal(ctx context.Context, tokenHash []byte, now time.Time) (inspect.Principal, error)

	Units(ctx context.Context, p inspect.Principal) ([]inspect.Unit, error)
	CreateUnit(ctx context.Context, p inspect.Principal, u inspect.Unit) (inspect.Unit, error)
	Users(ctx context.Context, p inspect.Principal) ([]inspect.User, error)
	CreateUser(ctx context.Context, p inspect.Principal, u inspect.User, passwordHash string) (inspect.User, error)

	Sites(ctx context.Context, p inspect.Principal, f inspect.SiteFilter) ([]inspect.Site, error)
	Site(ctx context.Context, p inspect.Principal, id int64) (inspect.Site, error)
	CreateSite(ctx context.Context, p inspect.Principal, s inspect.Site) (inspect.Site, error)
	UpdateSite(ctx context.Context, p inspect.Principal, s inspect.Site) (inspect.Site, error)

	Inspections(ctx context.Context, p inspect.Principal, f inspect.InspectionFilter) ([]inspect.Inspection, error)
	Inspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error)
	AssignInspection(ctx context.Context, p inspect.Principal, siteID, inspectorID int64, due time.Time) (inspect.Inspection, error)
	StartInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error)
	AnswerItem(ctx context.Context, p inspect.Principal, inspectionID int64, it inspect.Item) (inspect.ItemDetail, error)
	SubmitInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.Inspection, error)
	ReturnInspection(ctx context.Context, p inspect.Principal, id int64, reason string) (inspect.Inspection, error)
	ReassignInspection(ctx context.Context, p inspect.Principal, id, inspectorID int64) (inspect.Inspection, error)

	SavePhoto(ctx context.Context, p inspect.Principal, ph inspect.Photo, original io.Reader, thumbnail []byte) (inspect.Photo, bool, error)
	Photo(ctx context.Context, p inspect.Principal, id string) (inspect.Photo, error)
	OpenPhoto(ctx context.Context, p inspect.Principal, id string, thumbnail bool) (io.ReadCloser, string, int64, error)

	Hazards(ctx context.Context, p inspect.Principal, f inspect.HazardFilter) ([]inspect.HazardDetail, error)
	Hazard(ctx context.Context, p inspect.Principal, id int64) (inspect.HazardDetail, error)
	HazardAction(ctx context.Context, p inspect.Principal, id int64, a inspect.Action, in inspect.HazardActionInput) (inspect.HazardDetail, error)
	RateHazard(ctx context.Context, p inspect.Principal, id int64, rating int) (inspect.HazardDetail, error)
	ReassignHazard(ctx context.Context, p inspect.Principal, id, inspectorID int64, note string) (inspect.HazardDetail, error)

	Flags(ctx context.Context, p inspect.Principal, f inspect.FlagFilter) ([]inspect.AIFlag, error)
	Flag(ctx context.Context, p inspect.Principal, id int64) (inspect.AIFlag, error)
	FlagStats(ctx context.Context, p inspect.Principal) ([]inspect.FlagStats, error)
	ReviewFlag(ctx context.Context, p inspect.Principal, id int64, confirm bool, reason string) (inspect.AIFlag, error)
	PhotoFlags(ctx context.Context, p inspect.Principal, photoID uuid.UUID) ([]inspect.AIFlag, error)
	AddManualFlag(ctx context.Context, p inspect.Principal, photoID uuid.UUID, f inspect.AIFlag) (inspect.AIFlag, error)
	OpenAnnotated(ctx context.Context, p inspect.Principal, photoID uuid.UUID) (io.ReadCloser, string, int64, error)

	Notifications(ctx context.Context, p inspect.Principal, limit int, before int64) ([]inspect.Notification, error)
	MarkNotificationRead(ctx context.Context, p inspect.Principal, id int64) error
	KPIReport(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) (inspect.KPIReport, error)
	PolicyOf(ctx context.Context, p inspect.Principal, districtID int64) (inspect.DistrictPolicy, error)
	SetPolicyOf(ctx context.Context, p inspect.Principal, districtID int64, o inspect.PolicyOverride) (inspect.DistrictPolicy, error)
	Determination(ctx context.Context, p inspect.Principal, hazardID int64) (inspect.Determination, error)
	OpenDetermination(ctx context.Context, p inspect.Principal, hazardID int64, participants []int64, note string) (inspect.Determination, error)
	CastVote(ctx context.Context, p inspect.Principal, hazardID int64, v inspect.Vote, reason string) (inspect.Determination, error)
	ConcludeDetermination(ctx context.Context, p inspect.Principal, hazardID int64, measures string, deadline time.Time) (inspect.Determination, error)
}

// V1Config is what the /api/v1 routes need.
type V1Config struct {
	Store Store
	// SessionTTL is how long a login session lasts (default 12 h).
	SessionTTL time.Duration
	// PhotoLimits bound uploads; MaxBytes defaults to Config.MaxUploadBytes.
	PhotoLimits inspect.PhotoLimits
	// LoginLimits bound failed logins (default DefaultLoginLimits).
	LoginLimits LoginLimits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Role sets used by the route table.
var (
	anyRole  = []inspect.Role{inspect.RoleAdmin, inspect.RoleSafetyOfficer, inspect.RoleInspector, inspect.RoleMerchant}
	staff    = []inspect.Role{inspect.RoleAdmin, inspect.RoleSafetyOfficer, inspect.RoleInspector}
	managers = []inspect.Role{inspect.RoleAdmin, inspect.RoleSafetyOfficer}
	admins   = []inspect.Role{inspect.RoleAdmin}
)

// Route is one documented API route: the route table drives registration, the
// role check and the OpenAPI document alike.
type Route struct {
	Method  string
	Path    string         // Fiber syntax: /api/v1/sites/:id
	Roles   []inspect.Role // nil: no login needed
	Summary string
	// Request and Response name schemas of the OpenAPI document ("" for none).
	Request  string
	Response string
	// Query lists the query parameters the route reads.
	Query   []string
	Upload  bool // the body is a raw photo, streamed
	handler fiber.Handler
}

// v1 holds the handlers' dependencies.
type v1 struct {
	store   Store
	log     *slog.Logger
	cfg     V1Config
	limiter *loginLimiter
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
	h := &v1{store: cfg.Store, log: s.log, cfg: cfg}
	h.limiter = newLoginLimiter(cfg.LoginLimits)
	routes := h.routes()
	for _, r := range routes {
		handlers := []fiber.Handler{}
		if !r.Upload {
			handlers = append(handlers, s.JSONBodyLimit())
		}
		if r.Roles != nil {
			handlers = append(handlers, h.authenticate, requireRole(r.Roles))
		}
		handlers = append(handlers, r.handler)
		s.app.Add(r.Method, r.Path, handlers...)
	}
	openapi := openAPIDocument(routes)
	s.app.Get(OpenAPIPath, func(c *fiber.Ctx) error { return c.JSON(openapi) })
	return routes
}

// OpenAPIPath is where the OpenAPI document is served.
const OpenAPIPath = "/api/v1/openapi.json"

func (h *v1) routes() []Route {
	const p = "/api/v1"
	return append([]Route{
		{Method: "POST", Path: p + "/auth/login", Summary: "Log in with username or phone and password; sets the session cookie and returns the bearer token", Request: "Login", Response: "LoginResult", handler: h.login},
		{Method: "POST", Path: p + "/auth/logout", Roles: anyRole, Summary: "End the current session", handler: h.logout},
		{Method: "GET", Path: p + "/me", Roles: anyRole, Summary: "The logged-in user", Response: "User", handler: h.me},

		{Method: "GET", Path: p + "/units", Roles: staff, Summary: "Org units in the caller's scope", Response: "UnitList", handler: h.listUnits},
		{Method: "POST", Path: p + "/units", Roles: admins, Summary: "Create an org unit", Request: "Unit", Response: "Unit", handler: h.createUnit},
		{Method: "GET", Path: p + "/users", Roles: managers, Summary: "Users an admin or safety officer may see", Response: "UserList", handler: h.listUsers},
		{Method: "POST", Path: p + "/users", Roles: managers, Summary: "Create a user (officers: inspectors and merchants of their area)", Request: "NewUser", Response: "User", handler: h.createUser},

		{Method: "GET", Path: p + "/sites", Roles: anyRole, Summary: "Sites in the caller's scope", Query: []string{"grid_id", "type", "after_id", "limit"}, Response: "SiteList", handler: h.listSites},
		{Method: "POST", Path: p + "/sites", Roles: managers, Summary: "Create a site", Request: "Site", Response: "Site", handler: h.createSite},
		{Method: "GET", Path: p + "/sites/:id", Roles: anyRole, Summary: "One site", Response: "Site", handler: h.getSite},
		{Method: "PUT", Path: p + "/sites/:id", Roles: managers, Summary: "Replace a site's fields", Request: "Site", Response: "Site", handler: h.updateSite},

		{Method: "GET", Path: p + "/inspections", Roles: staff, Summary: "Inspections: an inspector's own, an officer's area, all for admins", Query: []string{"status", "site_id", "after_id", "limit"}, Response: "InspectionList", handler: h.listInspections},
		{Method: "POST", Path: p + "/inspections", Roles: managers, Summary: "Assign a site to an inspector with a due date", Request: "Assignment", Response: "Inspection", handler: h.assignInspection},
		{Method: "GET", Path: p + "/inspections/:id", Roles: staff, Summary: "An inspection with its site and checklist items", Response: "InspectionDetail", handler: h.getInspection},
		{Method: "POST", Path: p + "/inspections/:id/start", Roles: staff, Summary: "Start: generate and store the checklist (assigned inspector)", Response: "InspectionDetail", handler: h.startInspection},
		{Method: "PUT", Path: p + "/inspections/:id/items/:code", Roles: staff, Summary: "Answer one item: pass, fail (fixed_on_spot or hazard) or na (assigned inspector)", Request: "Answer", Response: "Item", handler: h.answerItem},
		{Method: "POST", Path: p + "/inspections/:id/submit", Roles: staff, Summary: "Submit: every item answered, every photo there (assigned inspector)", Response: "Inspection", handler: h.submitInspection},
		{Method: "POST", Path: p + "/inspections/:id/return", Roles: managers, Summary: "Return a submitted inspection for correction", Request: "Reason", Response: "Inspection", handler: h.returnInspection},
		{Method: "POST", Path: p + "/inspections/:id/reassign", Roles: managers, Summary: "Give an inspection that has not started to another inspector", Request: "Reassign", Response: "Inspection", handler: h.reassignInspection},

		{Method: "PUT", Path: p + "/photos/:uuid", Roles: anyRole, Upload: true, Summary: "Upload a photo under a client-generated UUID, for an inspection item or a hazard", Query: []string{"inspection_id", "item_code", "hazard_id"}, Response: "Photo", handler: h.putPhoto},
		{Method: "GET", Path: p + "/photos/:uuid", Roles: anyRole, Summary: "A photo's metadata", Response: "Photo", handler: h.getPhoto},
		{Method: "GET", Path: p + "/photos/:uuid/content", Roles: anyRole, Summary: "A photo's original, or its JPEG thumbnail with variant=thumb", Query: []string{"variant"}, Response: "binary", handler: h.photoContent},

		{Method: "GET", Path: p + "/hazards", Roles: anyRole, Summary: "Hazards in the caller's scope, filtered", Query: []string{"state", "severity", "unit_id", "site_id", "inspector_id", "rule_code", "overdue", "after_id", "limit"}, Response: "HazardList", handler: h.listHazards},
		{Method: "GET", Path: p + "/hazards/:id", Roles: anyRole, Summary: "A hazard with its rule, events and photos", Response: "HazardDetail", handler: h.getHazard},
		{Method: "POST", Path: p + "/hazards/:id/actions/:action", Roles: anyRole, Summary: "Take an action on a hazard (notify, submit_proof, reinspect_fixed, reinspect_present, escalate, return_for_correction, resubmit, withdraw; a determination is opened and concluded through /hazards/:id/determination)", Request: "HazardAction", Response: "HazardDetail", handler: h.hazardAction},
		{Method: "POST", Path: p + "/hazards/:id/rating", Roles: []inspect.Role{inspect.RoleMerchant}, Summary: "Rate the handling of a closed hazard, 1 to 5 (merchant)", Request: "Rating", Response: "HazardDetail", handler: h.rateHazard},
		{Method: "POST", Path: p + "/hazards/:id/reassign", Roles: managers, Summary: "Give a hazard's re-inspection to another inspector of its grid", Request: "Reassign", Response: "HazardDetail", handler: h.reassignHazard},

		{Method: "GET", Path: p + "/merchant/hazards", Roles: []inspect.Role{inspect.RoleMerchant}, Summary: "The hazards of the merchant's premises in plain words: legal basis, deadline, proof needed", Query: []string{"lang"}, Response: "MerchantHazardList", handler: h.merchantHazards},
		{Method: "POST", Path: p + "/merchant/hazards/:id/proof", Roles: []inspect.Role{inspect.RoleMerchant, inspect.RoleInspector}, Summary: "Submit rectification proof: photos already uploaded to the hazard and a note", Request: "HazardAction", Response: "HazardDetail", handler: h.submitProof},
	}, append(h.reviewRoutes(p), h.deadlineRoutes(p)...)...)
}

// principalKey is the Locals key of the caller's principal.
type principalKey struct{}

func principal(c *fiber.Ctx) inspect.Principal {
	p, _ := c.Locals(principalKey{}).(inspect.Principal)
	return p
}

func requireRole(roles []inspect.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if !slices.Contains(roles, p.User.Role) {
			names := make([]string, len(roles))
			for i, r := range roles {
				names[i] = string(r)
			}
			return inspect.Errorf(inspect.EFORBIDDEN, "this is for %s only", strings.Join(names, ", "))
		}
		return c.Next()
	}
}
