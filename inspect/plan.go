package inspect

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Inspection plans: a grid team works from plans, not one assignment at a time. A
// plan names a unit (its subtree's sites), the site types it covers and a cadence;
// each period it generates the period's inspections, once. A double-random plan
// (双随机、一公开) draws N of those sites and a pair of the unit's inspectors for
// each, with a seed recorded beside the inputs so that anyone can run the draw
// again and get the same result, and the draw is published.

// PlanKind says how a plan picks its sites each period.
type PlanKind string

// The kinds.
const (
	// PlanCadence inspects every site of the plan's types in the unit each period.
	PlanCadence PlanKind = "cadence"
	// PlanDoubleRandom draws DrawCount of them, and an inspector pair for each.
	PlanDoubleRandom PlanKind = "double_random"
)

// Plan is an inspection plan.
type Plan struct {
	ID        int64      `json:"id"`
	UnitID    int64      `json:"unit_id"`
	Name      string     `json:"name"`
	Kind      PlanKind   `json:"kind"`
	SiteTypes []SiteType `json:"site_types"` // empty: every type
	// Months is the period's length: 1 monthly, 3 quarterly, 6 twice a year, 12
	// yearly. Periods are calendar months, quarters, halves and years in UTC+8.
	Months    int       `json:"months"`
	DrawCount int       `json:"draw_count,omitempty"` // double_random: sites drawn per period
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a plan before it is stored.
func (p Plan) Validate() error {
	switch {
	case strings.TrimSpace(p.Name) == "" || len(p.Name) > 200:
		return FieldErrorf("name", "is required (at most 200 bytes)")
	case p.UnitID <= 0:
		return FieldErrorf("unit_id", "is required: the unit whose sites the plan inspects")
	case p.Kind != PlanCadence && p.Kind != PlanDoubleRandom:
		return FieldErrorf("kind", "must be %s or %s", PlanCadence, PlanDoubleRandom)
	case !slices.Contains([]int{1, 3, 6, 12}, p.Months):
		return FieldErrorf("months", "must be 1, 3, 6 or 12 (monthly, quarterly, twice a year, yearly)")
	case p.Kind == PlanDoubleRandom && (p.DrawCount < 1 || p.DrawCount > 10000):
		return FieldErrorf("draw_count", "a double-random plan draws 1 to 10000 sites per period")
	}
	return nil
}

// PlanPeriod is one period of a plan: [Start, End) and its key, e.g. "2026-11",
// "2026-Q4", "2026-H2" or "2026".
type PlanPeriod struct {
	Key        string    `json:"key"`
	Start, End time.Time `json:"-"`
}

// PeriodAt returns the period of p that contains t.
func (p Plan) PeriodAt(t time.Time) PlanPeriod {
	t = t.In(ReportZone)
	months := max(1, p.Months)
	first := (int(t.Month())-1)/months*months + 1
	start := time.Date(t.Year(), time.Month(first), 1, 0, 0, 0, 0, ReportZone)
	end := start.AddDate(0, months, 0)
	var key string
	switch months {
	case 1:
		key = start.Format("2006-01")
	case 3:
		key = fmt.Sprintf("%d-Q%d", start.Year(), (first-1)/3+1)
	case 6:
		key = fmt.Sprintf("%d-H%d", start.Year(), (first-1)/6+1)
	default:
		key = fmt.Sprint(start.Year())
	}
	return PlanPeriod{Key: key, Start: start, End: end}
}

// DrawCandidate is a site a draw may pick, with the inspectors of its grid (who
// may take its inspection).
type DrawCandidate struct {
	SiteID     int64   `json:"site_id"`
	Inspectors []int64 `json:"inspectors"`
}

// Draw is a double-random draw: the inputs, the seed and what came out. Anyone
// holding the inputs and the seed gets the result again with RunDraw.
type Draw struct {
	ID         int64           `json:"id"`
	PlanID     int64           `json:"plan_id"`
	Period     string          `json:"period"`
	Seed       uint64          `json:"seed,string"`
	Candidates []DrawCandidate `json:"candidates"`
	Inspectors []int64         `json:"inspector_ids"` // the unit's inspectors
	Count      int             `json:"count"`
	Sites      []int64         `json:"drawn_sites"` // in draw order
	Pairs      [][2]int64      `json:"drawn_pairs"` // Pairs[i] inspects Sites[i]
	DrawnAt    time.Time       `json:"drawn_at"`
}

// RunDraw draws count of the candidates and an inspector pair for each, from seed
// alone: the same inputs and seed always give the same draw (inputs are sorted
// first, so their order does not matter). The pair's first is drawn from the
// site's grid's inspectors (the inspection is theirs: they may see the site), the
// second from the rest of the unit's inspectors (0 when there is no one else).
// Candidates without inspectors cannot be drawn.
func RunDraw(seed uint64, cands []DrawCandidate, inspectors []int64, count int) (sites []int64, pairs [][2]int64) {
	cands = slices.Clone(cands)
	cands = slices.DeleteFunc(cands, func(c DrawCandidate) bool { return len(c.Inspectors) == 0 })
	slices.SortFunc(cands, func(a, b DrawCandidate) int { return cmp.Compare(a.SiteID, b.SiteID) })
	inspectors = sortedCopy(inspectors)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	perm := r.Perm(len(cands))
	for _, i := range perm[:min(count, len(perm))] {
		c := cands[i]
		own := sortedCopy(c.Inspectors)
		first := own[r.IntN(len(own))]
		others := slices.DeleteFunc(slices.Clone(inspectors), func(id int64) bool { return id == first })
		var second int64
		if len(others) > 0 {
			second = others[r.IntN(len(others))]
		}
		sites = append(sites, c.SiteID)
		pairs = append(pairs, [2]int64{first, second})
	}
	return sites, pairs
}

// Verify runs d again from its seed and inputs and reports whether it gives the
// recorded result.
func (d Draw) Verify() bool {
	sites, pairs := RunDraw(d.Seed, d.Candidates, d.Inspectors, d.Count)
	return slices.Equal(sites, d.Sites) && slices.Equal(pairs, d.Pairs)
}

func sortedCopy(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// PublicDraw is a draw as published (一公开): which premises were drawn when, by
// which plan and unit; no inspector, no personal data.
type PublicDraw struct {
	ID      int64     `json:"id"`
	Plan    string    `json:"plan"`
	Unit    string    `json:"unit"`
	Period  string    `json:"period"`
	Seed    uint64    `json:"seed,string"`
	DrawnAt time.Time `json:"drawn_at"`
	Sites   []string  `json:"sites"` // the premises' names, in draw order
}

// PlanRun is what one run of a plan did for its period.
type PlanRun struct {
	PlanID  int64   `json:"plan_id"`
	Period  string  `json:"period"`
	Created int     `json:"created"` // inspections made by this run
	Already int     `json:"already"` // made by an earlier run of the period
	Skipped []int64 `json:"skipped"` // sites whose grid has no inspector
	Draw    *Draw   `json:"draw,omitempty"`
}
