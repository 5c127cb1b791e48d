package inspect

import (
	"strconv"
	"strings"
	"time"
)

// The city hotline's door (12345, or a grid platform): an integrating system files
// a report through the Open311 GeoReport v2 façade with its API key; the report
// becomes an inspection of the site, assigned to the inspector of the site's grid,
// and the system reads its status back.

// APIKey is an integrating system's key. The key itself is shown once, when it is
// made; storage keeps its SHA-256.
type APIKey struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"` // the system, e.g. "12345 hotline"
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ReportService is a kind of report a hotline may file (an Open311 service).
type ReportService struct {
	Code        string `json:"service_code"`
	Name        string `json:"service_name"`
	Description string `json:"description"`
	Group       string `json:"group"`
}

// ReportServices are the kinds of report SafeGrid takes.
func ReportServices() []ReportService {
	return []ReportService{
		{"fire_hazard", "消防安全隐患 Fire safety hazard", "A fire hazard at a premises: blocked exits, wiring, fire equipment missing or broken.", "消防安全"},
		{"ebike_indoor", "电动自行车违规停放充电 E-bike parked or charged indoors", "E-bikes parked or charged in a hallway, stairwell, shop or home.", "消防安全"},
		{"blocked_exit", "安全出口、疏散通道堵塞 Blocked exit or escape route", "Goods, vehicles or locks blocking an exit, stairway or corridor.", "消防安全"},
		{"gas_safety", "燃气安全隐患 Gas safety hazard", "LPG cylinders indoors, gas smell, hoses or valves in poor repair.", "燃气安全"},
		{"illegal_residence", "违规住人（三合一） People living in a shop or workshop", "People sleeping in the same space as a shop, store or workshop.", "消防安全"},
	}
}

// ReportServiceByCode returns the service with code, and whether it exists.
func ReportServiceByCode(code string) (ReportService, bool) {
	for _, s := range ReportServices() {
		if s.Code == code {
			return s, true
		}
	}
	return ReportService{}, false
}

// ReportResponseTime is how soon a report's inspection is due.
const ReportResponseTime = 24 * time.Hour

// ReportSiteRadiusM is how near a report's location must be to a registered
// premises for the report to be filed against it.
const ReportSiteRadiusM = 300

// ServiceRequest is one report filed by an integrating system.
type ServiceRequest struct {
	ID           int64    `json:"id"`
	APIKeyID     int64    `json:"-"`
	ServiceCode  string   `json:"service_code"`
	Description  string   `json:"description"`
	SiteID       int64    `json:"site_id"` // the premises it was filed against
	Lat          *float64 `json:"lat"`     // as reported, when given
	Lng          *float64 `json:"long"`    // as reported, when given
	Address      string   `json:"address"` // the site's address
	InspectionID int64    `json:"inspection_id"`
	// InspectionStatus and Hazards are what came of it: the inspection's status and
	// the hazards it recorded.
	InspectionStatus InspectionStatus `json:"inspection_status"`
	Hazards          int              `json:"hazards"`
	RequestedAt      time.Time        `json:"requested_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
}

// Open reports whether the request is still being handled: until its inspection
// is submitted.
func (r ServiceRequest) Open() bool { return r.InspectionStatus != InspectionSubmitted }

// StatusNotes says in words what came of the request, for the hotline's operator.
func (r ServiceRequest) StatusNotes() string {
	switch {
	case r.Open() && r.InspectionStatus == InspectionInProgress:
		return "网格员正在现场检查 An inspector is at the premises"
	case r.Open():
		return "已派网格员上门检查 Sent to the grid inspector"
	case r.Hazards == 0:
		return "检查完成，未发现隐患 Inspected: no hazard found"
	}
	return "检查完成，发现隐患 " + strconv.Itoa(r.Hazards) + " 项，已责令整改 Inspected: hazards found and ordered fixed"
}

// NewServiceRequest checks a report before it is filed: a known service, a
// description of sane length, and a location (a site, or coordinates).
func NewServiceRequest(code, description string, siteID int64, lat, lng *float64) (ServiceRequest, error) {
	if _, ok := ReportServiceByCode(code); !ok {
		return ServiceRequest{}, FieldErrorf("service_code", "unknown service %q; GET services.json lists them", code)
	}
	description = strings.TrimSpace(description)
	if len([]rune(description)) > 2000 {
		return ServiceRequest{}, FieldErrorf("description", "at most 2000 characters")
	}
	if siteID <= 0 && (lat == nil || lng == nil) {
		return ServiceRequest{}, FieldErrorf("lat", "a location is required: lat and long, or attribute[site_id]")
	}
	if lat != nil && (*lat < -90 || *lat > 90) || lng != nil && (*lng < -180 || *lng > 180) {
		return ServiceRequest{}, FieldErrorf("lat", "lat and long must be WGS-84 degrees")
	}
	return ServiceRequest{ServiceCode: code, Description: description, SiteID: siteID, Lat: lat, Lng: lng}, nil
}

// Webhook is a system that receives every hazard change as a signed POST. Secret
// is the HMAC key; it is returned when the webhook is made and never again.
type Webhook struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	URL       string     `json:"url"`
	Secret    string     `json:"secret,omitempty"`
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// VisitKind is why a merchant asks for a visit (预约呼叫).
type VisitKind string

// The kinds of visit a merchant asks for.
const (
	VisitAdvice            VisitKind = "advice"             // advice before or while fixing
	VisitEarlyReinspection VisitKind = "early_reinspection" // fixed: come and check before the deadline
)

// VisitResponseTime is how soon a requested visit is due.
const VisitResponseTime = 48 * time.Hour

// VisitRequest is a merchant's request for a visit to one of their premises; it
// becomes an inspection on the grid inspector's list, with the note.
type VisitRequest struct {
	ID           int64     `json:"id"`
	SiteID       int64     `json:"site_id"`
	MerchantID   int64     `json:"merchant_id"`
	Kind         VisitKind `json:"kind"`
	Note         string    `json:"note"`
	InspectionID int64     `json:"inspection_id"`
	RequestedAt  time.Time `json:"requested_at"`
}

// CheckVisitRequest checks a request's kind and note.
func CheckVisitRequest(kind VisitKind, note string) error {
	if kind != VisitAdvice && kind != VisitEarlyReinspection {
		return FieldErrorf("kind", "must be %s or %s", VisitAdvice, VisitEarlyReinspection)
	}
	if n := len([]rune(strings.TrimSpace(note))); n == 0 || n > 500 {
		return FieldErrorf("note", "say in 1 to 500 characters what the visit is for")
	}
	return nil
}
