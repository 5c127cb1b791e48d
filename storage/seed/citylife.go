package seed

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// siteLife generates one site's history into a batch.
type siteLife struct {
	w           *world
	b           *batch
	r           *rand.Rand
	site        inspect.Site
	grid        int // index into world.grids
	merchant    int64
	items       []checklists.Item
	ruleVersion string
	nextHazard  int64
	nextItem    int
	open        map[string]bool // rule codes of this site's hazards still open at Now
}

// plan is the life a hazard would have if Now did not cut it short.
type plan int

const (
	planFixedOnSpot plan = iota
	planWithdrawn
	planNormal   // notice, proof before the deadline, re-inspection finds it fixed
	planReturned // returned for correction first, then normal
	planLate     // the deadline passes, late proof, fixed
	planIgnored  // the deadline passes, re-inspection finds it present: escalated, then fixed
	planMajor    // a determination concludes major: escalated, supervised, then fixed
)

// plans is the share of each life, in percent.
var plans = []struct {
	p       plan
	percent int
}{{planFixedOnSpot, 10}, {planWithdrawn, 2}, {planNormal, 58}, {planReturned, 8}, {planLate, 12}, {planIgnored, 8}, {planMajor, 2}}

func (s *siteLife) pickPlan() plan {
	n := s.r.IntN(100)
	for _, p := range plans {
		if n < p.percent {
			return p.p
		}
		n -= p.percent
	}
	return planNormal
}

// live writes n hazards found over visits spread across the years, and an
// inspection assigned for today to every fifth site.
func (s *siteLife) live(n int) error {
	w := s.w
	s.open = map[string]bool{}
	from := w.o.Now.AddDate(-w.o.Years, 0, 0)
	span := w.o.Now.Sub(from) - 2*time.Hour
	// Visits find one to three hazards each; the visits are spread over the years.
	var sizes []int
	for left := n; left > 0; {
		m := min(left, 1+s.r.IntN(3))
		sizes = append(sizes, m)
		left -= m
	}
	visits := make([]time.Time, len(sizes))
	for i := range visits {
		visits[i] = from.Add(time.Duration(s.r.Int64N(int64(span)))).Truncate(time.Second)
	}
	slices.SortFunc(visits, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range visits {
		if err := s.visit(at, sizes[i]); err != nil {
			return err
		}
	}
	if int(s.site.ID)%5 == 0 {
		id := int64(w.o.Hazards) + s.site.ID
		due := w.o.Now.Add(time.Duration(2+s.r.IntN(8)) * time.Hour)
		s.b.get("inspections").add(id, s.site.ID, w.inspectors[s.grid], s.officer(), due, "assigned", "", nil, w.o.Now.AddDate(0, 0, -1), nil, nil)
	}
	return nil
}

// officer is the safety officer of the site's community.
func (s *siteLife) officer() int64 {
	return s.w.officers[s.w.ancestors[s.site.GridID][1].ID]
}

// pickItem returns the next checklist item, round robin, whose rule has no open
// hazard at the site (a second finding would join it, not open another).
func (s *siteLife) pickItem(used map[string]bool) (checklists.Item, bool) {
	for range s.items {
		it := s.items[s.nextItem%len(s.items)]
		s.nextItem++
		if !s.open[it.Code] && !used[it.Code] {
			return it, true
		}
	}
	return checklists.Item{}, false
}

// visit writes a submitted inspection at time at with m failed items, each a hazard.
func (s *siteLife) visit(at time.Time, m int) error {
	w := s.w
	inspector := w.inspectors[s.grid]
	inspID := s.nextHazard
	s.b.get("inspections").add(inspID, s.site.ID, inspector, s.officer(), at.Add(24*time.Hour), "submitted", s.ruleVersion, nil,
		at.AddDate(0, 0, -3), at, at.Add(40*time.Minute))
	used := map[string]bool{}
	for j := range m {
		it, ok := s.pickItem(used)
		if !ok {
			return nil // every rule of the site has an open hazard
		}
		used[it.Code] = true
		if err := s.hazard(inspID, j, it, at.Add(time.Duration(5*j+3)*time.Minute)); err != nil {
			return err
		}
	}
	return nil
}

// ruleJSON returns the JSON of checklist item it, once per rule code.
func (w *world) ruleJSON(it checklists.Item) []byte {
	if b, ok := w.ruleCache.Load(it.Code); ok {
		return b.([]byte)
	}
	b, err := json.Marshal(it)
	if err != nil {
		panic(err) // an Item always marshals
	}
	w.ruleCache.Store(it.Code, b)
	return b
}

// photoID returns a random version-4 UUID.
func (s *siteLife) photoID() [16]byte {
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.r.Uint64()
		for k := range 8 {
			u[i+k] = byte(v >> (8 * k))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// photo adds a photo row (no object) for an item or a hazard and returns its id.
func (s *siteLife) photo(inspID int64, item string, hazard int64, location string, checks []string, by int64, at time.Time) [16]byte {
	id := s.photoID()
	var insp, code, haz any
	if inspID > 0 {
		insp, code = inspID, item
	} else {
		haz = hazard
	}
	if checks == nil {
		checks = []string{}
	}
	s.b.get("photos").add(id, hex.EncodeToString(id[:])+hex.EncodeToString(id[:]), "image/jpeg", int64(2_000_000+s.r.IntN(3_000_000)), 4032, 3024,
		s.site.ID, insp, code, haz, location, checks, by, at)
	return id
}

// hazard writes the failed item it of inspection inspID and the hazard it became.
func (s *siteLife) hazard(inspID int64, pos int, it checklists.Item, at time.Time) error {
	w := s.w
	inspector := w.inspectors[s.grid]
	id := s.nextHazard
	s.nextHazard++
	p := s.pickPlan()
	h := &hazardLife{s: s, units: w.ancestors[s.site.GridID]}
	h.req = inspect.ActionRequest{Actor: inspector, At: at, Policy: w.policy, Units: h.units, SiteName: s.site.Name}
	out, err := inspect.RecordFinding(inspect.FindingRequest{
		ActionRequest: h.req,
		Finding: inspect.Finding{SiteID: s.site.ID, GridID: s.site.GridID, RuleCode: it.Code, RuleVersion: s.ruleVersion, InspectionID: inspID,
			InspectorID: inspector, Note: "现场检查发现：" + it.Title.ZH, RuleSeverity: inspect.Severity(it.Severity), RuleRectifyDays: it.RectifyDays},
		NewID: id, FixedOnSpot: p == planFixedOnSpot,
	})
	if err != nil {
		return fmt.Errorf("finding %s at site %d: %w", it.Code, s.site.ID, err)
	}
	for _, st := range out.Steps {
		h.step(st.Hazard, st.Event, out.Effects)
	}
	rule := w.ruleJSON(it)
	outcome := "hazard"
	if p == planFixedOnSpot {
		outcome = "fixed_on_spot"
	}
	created := out.Steps[0].Hazard
	s.b.get("inspection_items").add(inspID, it.Code, pos, it.Evidence == checklists.EvidencePhoto, it.Location, nonNilStrings(it.AIChecks),
		it.Severity, it.RectifyDays, rule, "fail", created.Note, outcome, string(created.Severity), created.Deadline, id, at)
	evidence := s.photo(inspID, it.Code, 0, it.Location, it.AIChecks, inspector, at.Add(-time.Minute))
	if len(it.AIChecks) > 0 {
		s.flag(id, evidence, it, at)
	}
	if err := h.follow(p); err != nil {
		return fmt.Errorf("hazard %d (%s at site %d): %w", id, it.Code, s.site.ID, err)
	}
	hz := h.req.Hazard
	if inspect.IsOpen(hz.State) {
		s.open[hz.RuleCode] = true
		s.b.open++
		if sched, ok := inspect.PlanDeadline(hz, w.policy, w.o.Now); ok {
			s.b.schedules = append(s.b.schedules, sched)
		}
	}
	var closed any
	if hz.ClosedAt != nil {
		closed = *hz.ClosedAt
	}
	s.b.get("hazards").add(hz.ID, hz.SiteID, hz.GridID, hz.RuleCode, hz.RuleVersion, rule, hz.InspectionID, string(hz.State), string(hz.Severity), string(hz.Level),
		hz.UnitID, hz.InspectorID, hz.Note, hz.Observations, hz.Escalations, hz.Returns, hz.Deadline, hz.Rating, hz.CreatedAt, closed, h.req.HeadSeq, h.req.HeadHash)
	return nil
}

// flag adds the AI flag of an evidence photo: reviewed by the office when older
// than two weeks (most confirmed), pending otherwise.
func (s *siteLife) flag(hazardID int64, photo [16]byte, it checklists.Item, at time.Time) {
	w := s.w
	review, by, reviewed, hazard := "pending", any(nil), any(nil), any(nil)
	if w.o.Now.Sub(at) > 14*24*time.Hour {
		review, by, reviewed = "confirmed", s.officer(), at.Add(time.Duration(1+s.r.IntN(72))*time.Hour)
		hazard = hazardID
		if s.r.IntN(10) < 2 {
			review, hazard = "rejected", nil
		}
	}
	status := "flag"
	score := 0.55 + s.r.Float32()*0.4
	if score < 0.7 {
		status = "needs_review"
	}
	s.b.get("ai_flags").add(hazardID, photo, s.site.ID, it.Code, it.AIChecks[0], status, score, []byte(`[{"x":0.2,"y":0.3,"w":0.3,"h":0.4}]`),
		fmt.Sprintf("%s %.2f", it.AIChecks[0], score), "yolox_nano", "load-test-model", review, by, reviewed, hazard, at)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
