package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/safegrid/safegrid/inspect"
)

// listHazards is the office's list: filters by state, severity, responsible unit
// (its subtree), site, inspector, rule and overdue; the caller's scope applies on
// top. Lists repeat a query parameter or separate values by commas:
// ?state=open,notified&severity=general.
func (h *v1) listHazards(c *fiber.Ctx) error {
	var f inspect.HazardFilter
	var err error
	for _, s := range splitQuery(c, "state") {
		f.States = append(f.States, inspect.HazardState(s))
	}
	for _, s := range splitQuery(c, "severity") {
		f.Severities = append(f.Severities, inspect.Severity(s))
	}
	if f.UnitID, err = queryID(c, "unit_id"); err != nil {
		return err
	}
	if f.SiteID, err = queryID(c, "site_id"); err != nil {
		return err
	}
	if f.InspectorID, err = queryID(c, "inspector_id"); err != nil {
		return err
	}
	if f.AfterID, err = queryID(c, "after_id"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	f.RuleCode = strings.Clone(c.Query("rule_code"))
	switch c.Query("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		return inspect.FieldErrorf("overdue", "must be true or false")
	}
	list, err := h.store.Hazards(RequestContext(c), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(List[inspect.HazardDetail]{Items: list})
}

// splitQuery returns the values of a repeated or comma-separated query parameter.
func splitQuery(c *fiber.Ctx, name string) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func (h *v1) getHazard(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.store.Hazard(RequestContext(c), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) hazardAction(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	action := inspect.Action(strings.Clone(c.Params("action")))
	var in inspect.HazardActionInput
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	d, err := h.store.HazardAction(RequestContext(c), principal(c), id, action, in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// submitProof is the merchant's "I fixed it": photos already uploaded to the
// hazard (PUT /photos/{uuid}?hazard_id=) and a note; the hazard becomes
// rectification_submitted.
func (h *v1) submitProof(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in inspect.HazardActionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.store.HazardAction(RequestContext(c), principal(c), id, inspect.ActionSubmitProof, in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) rateHazard(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Rating int `json:"rating"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.store.RateHazard(RequestContext(c), principal(c), id, in.Rating)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *v1) reassignHazard(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ReassignInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := h.store.ReassignHazard(RequestContext(c), principal(c), id, in.InspectorID, in.Note)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

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

// ruleText is the part of a stored checklist item the merchant view reads.
type ruleText struct {
	Title       map[string]string `json:"title"`
	Explanation map[string]string `json:"explanation"`
	Citations   []struct {
		Source  string `json:"source"`
		Edition string `json:"edition"`
		Clause  string `json:"clause"`
		Status  string `json:"status"`
	} `json:"citations"`
	Evidence string `json:"evidence"`
	Location string `json:"location"`
}

func inLang(t map[string]string, lang string) string {
	if v := t[lang]; v != "" {
		return v
	}
	if v := t["zh"]; v != "" {
		return v
	}
	return t["en"]
}

// merchantHazards lists the hazards of the merchant's premises, open ones first.
func (h *v1) merchantHazards(c *fiber.Ctx) error {
	lang := c.Query("lang", "zh")
	if lang != "zh" && lang != "en" {
		return inspect.FieldErrorf("lang", "must be zh or en")
	}
	p := principal(c)
	list, err := h.store.Hazards(RequestContext(c), p, inspect.HazardFilter{Limit: inspect.MaxHazardPage})
	if err != nil {
		return err
	}
	now := h.now()
	out := make([]MerchantHazard, 0, len(list))
	for _, d := range list {
		out = append(out, merchantView(d, p, lang, now))
	}
	open := func(m MerchantHazard) bool { return inspect.IsOpen(m.State) }
	sorted := make([]MerchantHazard, 0, len(out))
	for _, m := range out {
		if open(m) {
			sorted = append(sorted, m)
		}
	}
	for _, m := range out {
		if !open(m) {
			sorted = append(sorted, m)
		}
	}
	return c.JSON(List[MerchantHazard]{Items: sorted})
}

func merchantView(d inspect.HazardDetail, p inspect.Principal, lang string, now time.Time) MerchantHazard {
	var rt ruleText
	_ = json.Unmarshal(d.Rule, &rt) // a hazard without a stored rule shows its code only
	m := MerchantHazard{
		ID: d.ID, SiteID: d.SiteID, SiteName: d.SiteName, SiteAddress: d.SiteAddress, RuleCode: d.RuleCode,
		State: d.State, Severity: d.Severity, Title: inLang(rt.Title, lang), Explanation: inLang(rt.Explanation, lang),
		LegalBasis: []string{}, Deadline: d.Deadline, Rating: d.Rating,
		ProofNeeded:    proofNeeded(rt.Evidence, rt.Location, lang),
		CanSubmitProof: p.CanPerform(d.Hazard, inspect.ActionSubmitProof) && canTransition(d.State, inspect.ActionSubmitProof),
		CanRate:        p.CanRate(d.Hazard) && (d.State == inspect.StateClosedFixed || d.State == inspect.StateClosedOnSpot) && d.Rating == 0,
	}
	if m.Title == "" {
		m.Title = d.RuleCode
	}
	if inspect.IsOpen(d.State) {
		m.SecondsLeft = int64(d.Deadline.Sub(now) / time.Second)
		m.Overdue = m.SecondsLeft < 0
	}
	for _, ct := range rt.Citations {
		s := "《" + strings.TrimSpace(ct.Source) + "》" + ct.Clause
		if ct.Status == "U" {
			if lang == "en" {
				s += " (basis to be confirmed)"
			} else {
				s += "（依据待确认）"
			}
		}
		m.LegalBasis = append(m.LegalBasis, s)
	}
	return m
}

func canTransition(s inspect.HazardState, a inspect.Action) bool {
	_, err := inspect.Transition(s, a)
	return err == nil
}

// proofNeeded says in plain words what proves the fix, from the rule's evidence
// kind and the place its photo shows.
func proofNeeded(evidence, location, lang string) string {
	place := strings.ReplaceAll(location, "_", " ")
	if lang == "en" {
		switch evidence {
		case "photo":
			return fmt.Sprintf("a photo of the %s showing it fixed", place)
		case "document":
			return "a photo of the document (certificate, record or contract) that is now in order"
		case "function_test":
			return "a short video or photos showing the equipment working when tested"
		}
		return "a photo showing it fixed"
	}
	zh := map[string]string{"outdoors": "室外", "storefront": "门面", "exit": "安全出口", "lobby": "大堂", "corridor": "走道",
		"stairwell": "楼梯间", "lift": "电梯", "room": "房间", "kitchen": "厨房", "equipment_room": "设备间",
		"bike_store": "电动车停放处", "office": "办公室", "other": "现场"}[location]
	if zh == "" {
		zh = "现场"
	}
	switch evidence {
	case "photo":
		return "整改后" + zh + "的照片"
	case "document":
		return "整改后相关证照、记录或合同的照片"
	case "function_test":
		return "设施测试正常运行的照片或短视频"
	}
	return "整改后的现场照片"
}
