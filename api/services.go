package api

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// The interfaces below are what the JSON API needs from storage, one per
// aggregate, declared here at their consumer (the api package) so that api
// never imports storage and each handler depends only on the aggregate it
// serves. Every method that takes a principal decides access itself, with
// inspect's predicates, on the rows it reads: a thing the principal may not see
// is not_found, a thing they may see but not change is forbidden. cmd wires the
// storage services in.

// DirectoryService is credentials, sessions, users and org units.
type DirectoryService interface {
	PrincipalOf(ctx context.Context, id int64) (inspect.Principal, error)
	Credentials(ctx context.Context, login string) (inspect.User, string, error)
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	CreateSession(ctx context.Context, s inspect.Session) error
	RevokeSession(ctx context.Context, tokenHash []byte) error
	SessionPrincipal(ctx context.Context, tokenHash []byte, now time.Time) (inspect.Principal, error)

	Units(ctx context.Context, p inspect.Principal, pg inspect.UnitPage) ([]inspect.Unit, error)
	CreateUnit(ctx context.Context, p inspect.Principal, u inspect.Unit) (inspect.Unit, error)
	Users(ctx context.Context, p inspect.Principal, f inspect.UserFilter) ([]inspect.User, error)
	CreateUser(ctx context.Context, p inspect.Principal, u inspect.User, passwordHash string) (inspect.User, error)
}

// SiteService is the inspected premises.
type SiteService interface {
	Sites(ctx context.Context, p inspect.Principal, f inspect.SiteFilter) ([]inspect.Site, error)
	Site(ctx context.Context, p inspect.Principal, id int64) (inspect.Site, error)
	CreateSite(ctx context.Context, p inspect.Principal, s inspect.Site) (inspect.Site, error)
	UpdateSite(ctx context.Context, p inspect.Principal, s inspect.Site) (inspect.Site, error)
	SiteChecklist(ctx context.Context, p inspect.Principal, id int64) (checklists.Checklist, error)
}

// InspectionService is assigned inspections and their checklist items.
type InspectionService interface {
	InspectionPhotos(ctx context.Context, p inspect.Principal, id int64) ([]inspect.ItemPhoto, error)
	Inspections(ctx context.Context, p inspect.Principal, f inspect.InspectionFilter) ([]inspect.Inspection, error)
	Inspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error)
	AssignInspection(ctx context.Context, p inspect.Principal, siteID, inspectorID int64, due time.Time) (inspect.Inspection, error)
	StartInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.InspectionDetail, error)
	AnswerItem(ctx context.Context, p inspect.Principal, inspectionID int64, it inspect.Item) (inspect.ItemDetail, error)
	SubmitInspection(ctx context.Context, p inspect.Principal, id int64) (inspect.Inspection, error)
	ReturnInspection(ctx context.Context, p inspect.Principal, id int64, reason string) (inspect.Inspection, error)
	ReassignInspection(ctx context.Context, p inspect.Principal, id, inspectorID int64) (inspect.Inspection, error)
	RescheduleInspection(ctx context.Context, p inspect.Principal, id int64, due time.Time) (inspect.Inspection, error)
	RequestVisit(ctx context.Context, p inspect.Principal, siteID int64, kind inspect.VisitKind, note string) (inspect.VisitRequest, error)
	VisitRequests(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.VisitRequest, error)
	SelfInspect(ctx context.Context, p inspect.Principal, siteID int64) (inspect.InspectionDetail, error)
}

// PhotoService is evidence photos: originals, thumbnails and the annotated copy.
type PhotoService interface {
	CheckPhotoTarget(ctx context.Context, p inspect.Principal, target inspect.PhotoTarget) error
	SavePhoto(ctx context.Context, p inspect.Principal, ph inspect.Photo, original io.Reader, thumbnail []byte) (inspect.Photo, bool, error)
	Photo(ctx context.Context, p inspect.Principal, id string) (inspect.Photo, error)
	OpenPhoto(ctx context.Context, p inspect.Principal, id string, thumbnail bool) (io.ReadCloser, string, int64, error)
	OpenAnnotated(ctx context.Context, p inspect.Principal, photoID uuid.UUID) (io.ReadCloser, string, int64, error)
}

// HazardService is hazards and the actions of their workflow.
type HazardService interface {
	AcknowledgeHazard(ctx context.Context, p inspect.Principal, id int64, a inspect.Acknowledgement) (inspect.HazardDetail, error)
	Hazards(ctx context.Context, p inspect.Principal, f inspect.HazardFilter) ([]inspect.HazardDetail, error)
	OwnHazards(ctx context.Context, p inspect.Principal, pg inspect.OwnHazardPage) ([]inspect.HazardDetail, error)
	Hazard(ctx context.Context, p inspect.Principal, id int64) (inspect.HazardDetail, error)
	HazardAction(ctx context.Context, p inspect.Principal, id int64, a inspect.Action, in inspect.HazardActionInput) (inspect.HazardDetail, error)
	RateHazard(ctx context.Context, p inspect.Principal, id int64, rating int) (inspect.HazardDetail, error)
	ReassignHazard(ctx context.Context, p inspect.Principal, id, inspectorID int64, note string) (inspect.HazardDetail, error)
	CommentHazard(ctx context.Context, p inspect.Principal, id int64, note string) (inspect.HazardDetail, error)
	SignHazard(ctx context.Context, p inspect.Principal, id int64) (inspect.HazardDetail, error)
	ApplyPolicy(ctx context.Context, p inspect.Principal, districtID int64) ([]inspect.DeadlineMove, error)
}

// FlagService is the AI flags on photos and their review by the safety office.
type FlagService interface {
	Flags(ctx context.Context, p inspect.Principal, f inspect.FlagFilter) ([]inspect.AIFlag, error)
	Flag(ctx context.Context, p inspect.Principal, id int64) (inspect.AIFlag, error)
	FlagStats(ctx context.Context, p inspect.Principal) ([]inspect.FlagStats, error)
	ReviewFlag(ctx context.Context, p inspect.Principal, id int64, confirm bool, reason string) (inspect.AIFlag, error)
	PhotoFlags(ctx context.Context, p inspect.Principal, photoID uuid.UUID) ([]inspect.AIFlag, error)
	AddManualFlag(ctx context.Context, p inspect.Principal, photoID uuid.UUID, f inspect.AIFlag) (inspect.AIFlag, error)
	ShadowReport(ctx context.Context, p inspect.Principal) (inspect.ShadowReport, error)
	PromoteModel(ctx context.Context, p inspect.Principal, sha, reason string) (inspect.ModelPromotion, error)
	RevertPromotion(ctx context.Context, p inspect.Principal, id int64) (inspect.ModelPromotion, error)
	Thresholds(ctx context.Context, p inspect.Principal, target float64) (inspect.ThresholdReport, error)
	AcceptThreshold(ctx context.Context, p inspect.Principal, code, location string, target float64) (inspect.ThresholdChange, error)
	ThresholdHistory(ctx context.Context, p inspect.Principal) ([]inspect.ThresholdChange, error)
}

// NotificationService is a user's in-app notifications.
type NotificationService interface {
	Notifications(ctx context.Context, p inspect.Principal, limit int, before int64) ([]inspect.Notification, error)
	// UnreadNotifications counts the unread among the window newest and returns
	// the newest one's id (0 without any): the bell's poll.
	UnreadNotifications(ctx context.Context, p inspect.Principal, window int) (unread int, newestID int64, err error)
	MarkNotificationRead(ctx context.Context, p inspect.Principal, id int64) error
}

// PolicyService is a district's time-limit policy and the KPIs measured against it.
type PolicyService interface {
	KPIReport(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) (inspect.KPIReport, error)
	InspectorKPIs(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) ([]inspect.InspectorKPI, error)
	PolicyOf(ctx context.Context, p inspect.Principal, districtID int64) (inspect.DistrictPolicy, error)
	SetPolicyOf(ctx context.Context, p inspect.Principal, districtID int64, o inspect.PolicyOverride) (inspect.DistrictPolicy, error)
}

// DeterminationService is the collective determination of possibly major hazards.
type DeterminationService interface {
	Determination(ctx context.Context, p inspect.Principal, hazardID int64) (inspect.Determination, error)
	OpenDetermination(ctx context.Context, p inspect.Principal, hazardID int64, participants []int64, note string) (inspect.Determination, error)
	CastVote(ctx context.Context, p inspect.Principal, hazardID int64, v inspect.Vote, reason string) (inspect.Determination, error)
	ConcludeDetermination(ctx context.Context, p inspect.Principal, hazardID int64, measures string, deadline time.Time) (inspect.Determination, error)
}

// V1Config is what the /api/v1 routes need: one service per aggregate, and the
// limits of sessions, uploads and logins.
type V1Config struct {
	Directory      DirectoryService
	Sites          SiteService
	Inspections    InspectionService
	Photos         PhotoService
	Hazards        HazardService
	Flags          FlagService
	Notifications  NotificationService
	Policy         PolicyService
	Determinations DeterminationService
	// Open311 is the hotline's door (/open311/v2 and the API keys); nil turns it off.
	Open311 Open311Service
	// Plans is inspection plans and their draws; nil turns them off.
	Plans PlanService
	// Webhooks is the outbound webhooks; nil turns their routes off.
	Webhooks WebhookService
	// Agencies is the agencies at the table (gas, power, police) and the hazards
	// shared with them.
	Agencies AgencyService
	// SessionTTL is how long a login session lasts (default 12 h).
	SessionTTL time.Duration
	// PhotoLimits bound uploads; MaxBytes defaults to Config.MaxUploadBytes.
	PhotoLimits inspect.PhotoLimits
	// LoginLimits bound failed logins (default DefaultLoginLimits).
	LoginLimits LoginLimits
	// LoginLimiter keeps the login limits' counts, shared by all replicas; with
	// none, logins are refused.
	LoginLimiter LoginLimiter
	// LoginWorkers bound the password checks running at once and the logins
	// waiting for one (zero fields take the defaults).
	LoginWorkers LoginWorkers
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}
