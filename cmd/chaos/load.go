package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// Demo passwords of seed-demo, which devstack cluster runs on its empty database.
const (
	adminPassword     = "demo-admin-2024"
	officerPassword   = "demo-officer-2024"
	inspectorPassword = "demo-inspector-2024"
	merchantPassword  = "demo-merchant-2024"
)

// upload is one attempt to upload a photo, and how it ended.
type upload struct {
	ID, SHA string
	Status  int
}

// hazardFate is what the load did with a hazard it made.
type hazardFate struct {
	ID        int64
	Notified  bool // notified with a 2xx: its rectification clock runs
	Fixed     bool // proof and re-inspection acknowledged
	Escalated int  // escalations acknowledged
	Tried     int  // escalations attempted
}

// load is the simulated district: inspectors inspecting with photos, merchants
// sending proof, officers notifying and escalating.
type load struct {
	c      *client
	photos *photos
	stop   atomic.Bool
	later  sync.WaitGroup // escalations waiting for their hazard's deadline
	admin  string
	office string // officer-district's token
	users  map[int64]inspect.User
	sites  []inspect.Site
	grid   map[int64]inspect.User // an inspector of each grid

	mu      sync.Mutex
	tokens  map[string]string
	uploads []upload
	hazards map[int64]*hazardFate
	cycles  int
}

func newLoad(c *client, p *photos) (*load, error) {
	l := &load{c: c, photos: p, tokens: map[string]string{}, hazards: map[int64]*hazardFate{}, users: map[int64]inspect.User{}, grid: map[int64]inspect.User{}}
	var err error
	if l.admin, err = c.login("admin", adminPassword); err != nil {
		return nil, err
	}
	if l.office, err = c.login("officer-district", officerPassword); err != nil {
		return nil, err
	}
	var users api.List[inspect.User]
	if _, err := c.do("setup", l.admin, "GET", "/api/v1/users", nil, &users); err != nil {
		return nil, err
	}
	for _, u := range users.Items {
		l.users[u.ID] = u
		if u.Role == inspect.RoleInspector && len(u.GridIDs) > 0 {
			if _, ok := l.grid[u.GridIDs[0]]; !ok {
				l.grid[u.GridIDs[0]] = u
			}
		}
	}
	var sites api.List[inspect.Site]
	if _, err := c.do("setup", l.admin, "GET", "/api/v1/sites?limit=100", nil, &sites); err != nil {
		return nil, err
	}
	for _, s := range sites.Items {
		if _, ok := l.grid[s.GridID]; ok && len(s.MerchantIDs) > 0 {
			l.sites = append(l.sites, s)
		}
	}
	if len(l.sites) == 0 {
		return nil, fmt.Errorf("the seeded district has no site with an inspector and a merchant")
	}
	return l, l.setPolicy()
}

// setPolicy gives every district a 3-minute rectification limit with reminders 2
// and 1 minutes before, so deadlines, reminders and their jobs happen during the run.
func (l *load) setPolicy() error {
	var units api.List[inspect.Unit]
	if _, err := l.c.do("setup", l.admin, "GET", "/api/v1/units", nil, &units); err != nil {
		return err
	}
	o := inspect.PolicyOverride{RemindBefore: []inspect.Duration{inspect.Duration(2 * time.Minute), inspect.Duration(time.Minute)},
		Rectify: map[inspect.Level]map[inspect.Severity]inspect.Duration{}}
	for level, bySeverity := range inspect.DefaultPolicy().Rectify {
		o.Rectify[level] = map[inspect.Severity]inspect.Duration{}
		for sev := range bySeverity {
			o.Rectify[level][sev] = inspect.Duration(3 * time.Minute)
		}
	}
	for _, u := range units.Items {
		if u.Level == inspect.LevelDistrict {
			if _, err := l.c.do("setup", l.admin, "PUT", fmt.Sprintf("/api/v1/policy?district_id=%d", u.ID), o, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *load) token(u inspect.User, password string) string {
	l.mu.Lock()
	tok, ok := l.tokens[u.Username]
	l.mu.Unlock()
	if ok {
		return tok
	}
	tok, err := l.c.login(u.Username, password)
	if err != nil {
		log.Printf("chaos: %v", err)
		return ""
	}
	l.mu.Lock()
	l.tokens[u.Username] = tok
	l.mu.Unlock()
	return tok
}

// retry calls f until it gets a 2xx (true) or a client error, up to n times.
func retry(n int, f func() (int, error)) bool {
	for i := range n {
		st, _ := f()
		switch {
		case st >= 200 && st < 300:
			return true
		case st >= 400 && st < 500 && st != 408 && st != 429:
			return false
		}
		time.Sleep(time.Duration(i+1) * 500 * time.Millisecond)
	}
	return false
}

// uploadPhoto uploads a fresh photo under one UUID, retrying with the same UUID
// and bytes like the app does, and returns the UUID when one attempt got 2xx.
func (l *load) uploadPhoto(tok, query string) (string, bool) {
	id := uuid.NewString()
	data, sha := l.photos.next(id)
	ok := retry(6, func() (int, error) {
		st, err := l.c.do("upload", tok, "PUT", "/api/v1/photos/"+id+"?"+query, rawBody{data, "image/jpeg"}, nil)
		l.mu.Lock()
		l.uploads = append(l.uploads, upload{ID: id, SHA: sha, Status: st})
		l.mu.Unlock()
		return st, err
	})
	return id, ok
}

// inspector runs inspections of its share of the sites until the load stops.
func (l *load) inspector(worker, workers int) {
	for n := worker; !l.stop.Load(); n += workers {
		site := l.sites[n%len(l.sites)]
		l.inspect(site, l.grid[site.GridID])
	}
}

func (l *load) inspect(site inspect.Site, inspector inspect.User) {
	tok := l.token(inspector, inspectorPassword)
	var insp inspect.Inspection
	if !retry(5, func() (int, error) {
		return l.c.do("assign", l.office, "POST", "/api/v1/inspections", api.AssignmentInput{SiteID: site.ID, InspectorID: inspector.ID, Due: time.Now().Add(24 * time.Hour)}, &insp)
	}) {
		time.Sleep(time.Second)
		return
	}
	var d inspect.InspectionDetail
	if !retry(5, func() (int, error) {
		return l.c.do("start", tok, "POST", fmt.Sprintf("/api/v1/inspections/%d/start", insp.ID), nil, &d)
	}) {
		return
	}
	failed := false
	var hazardID int64
	for _, it := range d.Items {
		if l.stop.Load() {
			return
		}
		ans := api.AnswerInput{Answer: inspect.AnswerPass}
		if it.NeedsPhoto {
			if _, ok := l.uploadPhoto(tok, fmt.Sprintf("inspection_id=%d&item_code=%s", d.ID, url.QueryEscape(it.Code))); !ok {
				return // the inspection stays unfinished, as on a phone that gave up
			}
			if !failed {
				failed = true
				// The inspector sets a short deadline on the spot (a rule's own
				// number of days would otherwise outlast the run).
				ans = api.AnswerInput{Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "chaos: found",
					Deadline: time.Now().Add(3 * time.Minute)}
			}
		}
		var got inspect.ItemDetail
		if !retry(5, func() (int, error) {
			return l.c.do("answer", tok, "PUT", fmt.Sprintf("/api/v1/inspections/%d/items/%s", d.ID, url.PathEscape(it.Code)), ans, &got)
		}) {
			return
		}
		if got.HazardID != 0 {
			hazardID = got.HazardID
		}
	}
	retry(5, func() (int, error) {
		return l.c.do("submit", tok, "POST", fmt.Sprintf("/api/v1/inspections/%d/submit", d.ID), nil, nil)
	})
	l.mu.Lock()
	l.cycles++
	l.mu.Unlock()
	if hazardID != 0 {
		l.handleHazard(hazardID, site, tok)
	}
}

// handleHazard: the officer notifies; half the merchants send proof and the
// inspector confirms the fix; of the rest, some are escalated and all run into
// their deadline.
func (l *load) handleHazard(id int64, site inspect.Site, inspectorTok string) {
	fate := &hazardFate{ID: id}
	l.mu.Lock()
	l.hazards[id] = fate
	l.mu.Unlock()
	action := func(tok, a string, in inspect.HazardActionInput) bool {
		return retry(1, func() (int, error) {
			return l.c.do("action "+a, tok, "POST", fmt.Sprintf("/api/v1/hazards/%d/actions/%s", id, a), in, nil)
		})
	}
	// A hazard may be notified when it is recorded (the district's policy says
	// so); otherwise the officer notifies it.
	var h struct{ State inspect.HazardState }
	if !retry(5, func() (int, error) {
		return l.c.do("read", l.office, "GET", fmt.Sprintf("/api/v1/hazards/%d", id), nil, &h)
	}) {
		return
	}
	if h.State != inspect.StateNotified && !action(l.office, "notify", inspect.HazardActionInput{Note: "chaos: please fix"}) {
		return
	}
	fate.Notified = true
	merchant := l.users[site.MerchantIDs[0]]
	switch rand.IntN(4) {
	case 0, 1:
		mtok := l.token(merchant, merchantPassword)
		photo, ok := l.uploadPhoto(mtok, fmt.Sprintf("hazard_id=%d", id))
		if !ok {
			return
		}
		if !retry(1, func() (int, error) {
			return l.c.do("proof", mtok, "POST", fmt.Sprintf("/api/v1/merchant/hazards/%d/proof", id), inspect.HazardActionInput{Note: "chaos: fixed", PhotoIDs: []string{photo}}, nil)
		}) {
			return
		}
		fate.Fixed = action(inspectorTok, "reinspect_fixed", inspect.HazardActionInput{Note: "chaos: fixed indeed"})
	case 2:
		// Escalation without a visit is for a hazard whose deadline passed
		// (reinspection_due): wait for the deadline job, then escalate.
		l.later.Add(1)
		go func() {
			defer l.later.Done()
			due := false
			waitFor(6*time.Minute, func() bool {
				time.Sleep(2 * time.Second)
				st, _ := l.c.do("read", l.office, "GET", fmt.Sprintf("/api/v1/hazards/%d", id), nil, &h)
				due = st == 200 && h.State == inspect.StateReinspectionDue
				return due || l.stop.Load()
			})
			if !due {
				return
			}
			l.mu.Lock()
			fate.Tried++
			l.mu.Unlock()
			if action(l.office, "escalate", inspect.HazardActionInput{Note: "chaos: escalate"}) {
				l.mu.Lock()
				fate.Escalated++
				l.mu.Unlock()
			}
		}()
	}
}
