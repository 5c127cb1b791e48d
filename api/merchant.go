package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// MerchantHazard is a hazard as a merchant reads it: in plain words, with the legal
// basis, the deadline and what proves the fix.
type MerchantHazard struct {
	ID          int64               `json:"id"`
	SiteID      int64               `json:"site_id"`
	SiteName    string              `json:"site_name"`
	SiteAddress string              `json:"site_address"`
	RuleCode    string              `json:"rule_code"`
	State       inspect.HazardState `json:"state"`
	Severity    inspect.Severity    `json:"severity"`
	// Title and Explanation are in the requested language (lang=zh|en, default zh).
	Title       string `json:"title"`
	Explanation string `json:"explanation"`
	// Finding is what the inspector wrote down at the site: the problem as found,
	// where Title is the requirement it breaks.
	Finding string `json:"finding,omitempty"`
	// LegalBasis names each source and clause, marked when still to be confirmed.
	LegalBasis []string  `json:"legal_basis"`
	Deadline   time.Time `json:"deadline"`
	// SecondsLeft counts down to the deadline; negative when overdue.
	SecondsLeft int64  `json:"seconds_left"`
	Overdue     bool   `json:"overdue"`
	ProofNeeded string `json:"proof_needed"`
	// CanSubmitProof and CanRate say which of the merchant's actions apply now.
	CanSubmitProof bool `json:"can_submit_proof"`
	CanRate        bool `json:"can_rate"`
	Rating         int  `json:"rating,omitempty"`
}

// MerchantQuery is GET /merchant/hazards: the language, and the page (limit, 1 to
// 500, default 500; cursor, the next of the previous page).
type MerchantQuery struct {
	Lang   string `query:"lang" default:"zh" json:"-"`
	Limit  int    `query:"limit" json:"-"`
	Cursor string `query:"cursor" json:"-"`
}

func (q *MerchantQuery) validate() error {
	if q.Lang != "zh" && q.Lang != "en" {
		return inspect.FieldErrorf("lang", "must be zh or en")
	}
	return nil
}

// merchantHazards lists the hazards of the merchant's premises, open ones first
// and newest first (storage orders and pages them, inspect.OwnHazardKey).
func (h *v1) merchantHazards(ctx context.Context, p inspect.Principal, q MerchantQuery) (List[MerchantHazard], error) {
	pg := inspect.OwnHazardPage{Limit: q.Limit}
	if q.Cursor != "" {
		if err := decodeCursor(q.Cursor, &pg.After); err != nil {
			return List[MerchantHazard]{}, err
		}
	}
	if err := pg.Normalize(); err != nil {
		return List[MerchantHazard]{}, err
	}
	list, err := h.cfg.Hazards.OwnHazards(ctx, p, pg)
	if err != nil {
		return List[MerchantHazard]{}, err
	}
	now := h.now()
	out := make([]MerchantHazard, 0, len(list))
	for _, d := range list {
		out = append(out, merchantView(d, p, q.Lang, now))
	}
	next := nextCursor(list, pg.Limit, func(d inspect.HazardDetail) inspect.OwnHazardKey { return inspect.OwnHazardKeyOf(d.Hazard) })
	return List[MerchantHazard]{Items: out, Next: next}, nil
}

func merchantView(d inspect.HazardDetail, p inspect.Principal, lang string, now time.Time) MerchantHazard {
	var rule checklists.Rule
	_ = json.Unmarshal(d.Rule, &rule) // a hazard without a stored rule shows its code only
	_, rateErr := d.Hazard.Rate(1)
	_, proofErr := inspect.Transition(d.State, inspect.ActionSubmitProof)
	m := MerchantHazard{
		ID: d.ID, SiteID: d.SiteID, SiteName: d.SiteName, SiteAddress: d.SiteAddress, RuleCode: d.RuleCode,
		State: d.State, Severity: d.Severity, Title: rule.Title.In(lang), Explanation: rule.Explanation.In(lang), Finding: d.Note,
		LegalBasis: []string{}, Deadline: d.Deadline, Rating: d.Rating,
		ProofNeeded:    proofNeeded(rule.Evidence, rule.Location, lang),
		CanSubmitProof: p.CanPerform(d.Hazard, inspect.ActionSubmitProof) && proofErr == nil,
		CanRate:        p.CanRate(d.Hazard) && rateErr == nil,
	}
	if m.Title == "" {
		m.Title = d.RuleCode
	}
	if inspect.IsOpen(d.State) {
		m.SecondsLeft = int64(d.Deadline.Sub(now) / time.Second)
		m.Overdue = m.SecondsLeft < 0
	}
	for _, ct := range rule.Citations {
		s := "《" + strings.TrimSpace(ct.Source) + "》" + ct.Clause
		if ct.Unconfirmed() {
			s += map[string]string{"zh": "（依据待确认）", "en": " (basis to be confirmed)"}[lang]
		}
		m.LegalBasis = append(m.LegalBasis, s)
	}
	return m
}

// proofNeeded says in plain words what proves the fix, from the rule's evidence
// kind and the place its photo shows (named by the vocabulary).
func proofNeeded(evidence, location, lang string) string {
	label, ok := inspect.LocationLabel(location)
	if !ok || location == inspect.LocationOther {
		label = inspect.Label{ZH: "现场", EN: "place"}
	}
	if lang == "en" {
		switch evidence {
		case inspect.EvidencePhoto:
			return fmt.Sprintf("a photo of the %s showing it fixed", strings.ToLower(label.EN))
		case inspect.EvidenceDocument:
			return "a photo of the document (certificate, record or contract) that is now in order"
		case inspect.EvidenceFunctionTest:
			return "a short video or photos showing the equipment working when tested"
		}
		return "a photo showing it fixed"
	}
	switch evidence {
	case inspect.EvidencePhoto:
		return "整改后" + label.ZH + "的照片"
	case inspect.EvidenceDocument:
		return "整改后相关证照、记录或合同的照片"
	case inspect.EvidenceFunctionTest:
		return "设施测试正常运行的照片或短视频"
	}
	return "整改后的现场照片"
}

// VisitRequestInput is the body of POST /merchant/visit-requests.
type VisitRequestInput struct {
	SiteID int64             `json:"site_id" required:"true"`
	Kind   inspect.VisitKind `json:"kind" required:"true"`
	Note   string            `json:"note" required:"true"`
}

func (h *v1) requestVisit(ctx context.Context, p inspect.Principal, in VisitRequestInput) (inspect.VisitRequest, error) {
	return h.cfg.Inspections.RequestVisit(ctx, p, in.SiteID, in.Kind, in.Note)
}

func (h *v1) visitRequests(ctx context.Context, p inspect.Principal, q Page) (List[inspect.VisitRequest], error) {
	return listPage(q, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.VisitRequest, error) {
		return h.cfg.Inspections.VisitRequests(ctx, p, after, limit)
	}, func(v inspect.VisitRequest) int64 { return v.ID })
}

func (h *v1) selfInspect(ctx context.Context, p inspect.Principal, in ByID) (inspect.InspectionDetail, error) {
	return h.cfg.Inspections.SelfInspect(ctx, p, in.ID)
}
