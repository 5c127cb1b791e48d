package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// LoadPassword is the password of every user seed-load writes: a load-test
// database only.
const LoadPassword = "load-test-2024"

// CityOptions size the city City writes.
type CityOptions struct {
	Sites   int // registered premises
	Hazards int // hazards over the whole history
	Years   int // years of history, ending at Now
	Grids   int // grids (0: one per 20 sites, at most 1,000)
	// Seed makes the city: the same options and seed write the same rows.
	Seed uint64
	Now  time.Time
	// Queue, when set, gets the deadline jobs of the hazards still open at Now,
	// as the product would have inserted them.
	Queue storage.Queue
	// Progress is called after each batch of sites is written.
	Progress func(CitySummary)
}

// CitySummary counts what City wrote.
type CitySummary struct {
	Units, Users, Sites, Inspections, Hazards, OpenHazards, Events, Photos, Flags, Notifications int
	// Copied is the time the rows took to generate and copy; Elapsed adds the
	// indexes, foreign keys, deadline jobs and statistics.
	Copied, Elapsed time.Duration
}

// sitesPerBatch is how many sites are generated and copied at once.
const sitesPerBatch = 500

// City writes a realistic, deterministic city into an empty database with COPY,
// in one transaction: a unit tree (district → subdistricts → communities →
// grids), users of every role (all with LoadPassword), sites of every type with
// valid profiles and merchants (some chains own many sites), and per site a
// history of inspections whose failed items became hazards. Each hazard goes
// through a plausible life (notice, proof, re-inspection, late deadlines,
// escalation, determinations, ratings) cut at Now, decided step by step by the
// domain's own functions (inspect.RecordFinding, inspect.TakeAction), so its
// event chain, notifications, supervision and determination rows are those the
// product would have written. Photos are rows only (no objects) and every
// evidence photo with an AI check carries a flag, reviewed unless recent.
func City(ctx context.Context, db *storage.DB, rules *checklists.RuleSet, o CityOptions) (CitySummary, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := newWorld(rules, o)
	if err != nil {
		return CitySummary{}, err
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return CitySummary{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	var units int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units); err != nil {
		return CitySummary{}, fmt.Errorf("count units: %w", err)
	}
	if units > 0 {
		return CitySummary{}, fmt.Errorf("the database already has %d org units; seed-load fills an empty database only", units)
	}
	b := w.people()
	ddl, err := deferIndexes(ctx, tx, b.tableNames())
	if err != nil {
		return w.sum, err
	}
	if err := b.copy(ctx, tx); err != nil {
		return w.sum, err
	}
	// Generate batches of sites on every core while the last ones are copied.
	batches := make(chan *batch, 2)
	genErr := make(chan error, 1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(1)-1) * sitesPerBatch
				if first >= o.Sites || ctx.Err() != nil {
					return
				}
				b, err := w.sites(first, min(first+sitesPerBatch, o.Sites))
				if err != nil {
					select {
					case genErr <- err:
					default:
					}
					return
				}
				select {
				case batches <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(batches) }()
	var schedules []inspect.DeadlineSchedule
	for b := range batches {
		if err := b.copy(ctx, tx); err != nil {
			cancel()
			for range batches { //nolint:revive // drain so the generators end
			}
			return w.sum, err
		}
		w.count(b)
		schedules = append(schedules, b.schedules...)
		w.sum.Elapsed = time.Since(start)
		if o.Progress != nil {
			o.Progress(w.sum)
		}
	}
	select {
	case err := <-genErr:
		return w.sum, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return w.sum, err
	}
	w.sum.Copied = time.Since(start)
	if o.Progress != nil {
		o.Progress(w.sum) // the last line before the indexes are built
	}
	if err := ddl.restore(ctx, tx); err != nil {
		return w.sum, err
	}
	if o.Queue != nil {
		for _, plan := range schedules {
			if err := o.Queue.ScheduleDeadline(ctx, tx, plan); err != nil {
				return w.sum, fmt.Errorf("schedule deadline jobs of hazard %d: %w", plan.HazardID, err)
			}
		}
	}
	for _, t := range []string{"units", "users", "sites", "inspections", "hazards", "ai_flags"} {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))`, t, t)); err != nil {
			return w.sum, fmt.Errorf("move the id sequence of %s: %w", t, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return w.sum, fmt.Errorf("commit: %w", err)
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE`); err != nil {
		return w.sum, fmt.Errorf("analyze: %w", err)
	}
	w.sum.Elapsed = time.Since(start)
	return w.sum, nil
}

// world is the city's fixed part (units, people) and the counters that give ids.
type world struct {
	o        CityOptions
	rules    *checklists.RuleSet
	policy   inspect.TimeLimitPolicy
	passHash string
	sum      CitySummary

	district    inspect.Unit
	grids       []inspect.Unit
	ancestors   map[int64][]inspect.Unit // a unit and every unit above it, bottom up
	officers    map[int64]int64          // unit → its safety officer (none for grids)
	inspectors  []int64                  // by grid index
	merchants   int                      // merchant users: ids merchantBase+1 ...
	merchantID0 int64
	adminID     int64

	ruleCache sync.Map // rule code → the JSON of its checklist item
}

func newWorld(rules *checklists.RuleSet, o CityOptions) (*world, error) {
	if o.Sites < 1 || o.Hazards < 0 || o.Years < 1 {
		return nil, fmt.Errorf("a city needs at least 1 site and 1 year (sites %d, hazards %d, years %d)", o.Sites, o.Hazards, o.Years)
	}
	if o.Grids <= 0 {
		o.Grids = min(1000, max(1, o.Sites/20))
	}
	o.Grids = min(o.Grids, o.Sites)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	// One argon2id hash for every load user: hashing a city's users one by one
	// would take minutes and prove nothing.
	hash, err := inspect.HashPassword(LoadPassword, inspect.DefaultPasswordParams())
	if err != nil {
		return nil, err
	}
	return &world{o: o, rules: rules, policy: inspect.DefaultPolicy(), passHash: hash,
		ancestors: map[int64][]inspect.Unit{}, officers: map[int64]int64{}}, nil
}

// people returns the batch of units, users and their grids.
func (w *world) people() *batch {
	b := newBatch()
	at := w.o.Now.AddDate(-w.o.Years, 0, -7)
	var nextUnit, nextUser int64
	user := func(username, name string, role inspect.Role, unit int64) int64 {
		nextUser++
		var u any
		if unit > 0 {
			u = unit
		}
		b.get("users").add(nextUser, username, fmt.Sprintf("139%08d", nextUser), name, string(role), u, w.passHash, at)
		return nextUser
	}
	unit := func(parent *inspect.Unit, level inspect.Level, name, code string) inspect.Unit {
		nextUnit++
		u := inspect.Unit{ID: nextUnit, Level: level, Name: name, Code: code}
		var p any
		up := []inspect.Unit{u}
		if parent != nil {
			u.ParentID, p = parent.ID, parent.ID
			up = append(up, w.ancestors[parent.ID]...)
		}
		w.ancestors[u.ID] = up
		b.get("units").add(u.ID, p, string(level), name, code, at)
		if level != inspect.LevelGrid {
			w.officers[u.ID] = user(fmt.Sprintf("officer-%d", u.ID), name+"安全员", inspect.RoleSafetyOfficer, u.ID)
		}
		return u
	}
	w.adminID = user("admin", "系统管理员", inspect.RoleAdmin, 0)
	w.district = unit(nil, inspect.LevelDistrict, "负载测试区", "510199")
	communities := (w.o.Grids + 9) / 10
	subdistricts := (communities + 9) / 10
	var subs, comms []inspect.Unit
	for i := range subdistricts {
		subs = append(subs, unit(&w.district, inspect.LevelSubdistrict, fmt.Sprintf("第%d街道", i+1), fmt.Sprintf("510199%03d", i+1)))
	}
	for i := range communities {
		comms = append(comms, unit(&subs[i/10], inspect.LevelCommunity, fmt.Sprintf("第%d社区", i+1), ""))
	}
	for i := range w.o.Grids {
		g := unit(&comms[i/10], inspect.LevelGrid, fmt.Sprintf("第%d网格", i+1), fmt.Sprintf("G%04d", i+1))
		w.grids = append(w.grids, g)
		id := user(fmt.Sprintf("insp%04d", i+1), fmt.Sprintf("网格员%04d", i+1), inspect.RoleInspector, g.ID)
		w.inspectors = append(w.inspectors, id)
		b.get("user_grids").add(id, g.ID)
	}
	// Merchants: most own one site; the first 1% are chains and landlords who own
	// many (see merchantOf).
	w.merchants = max(1, w.o.Sites*4/5)
	w.merchantID0 = nextUser
	for i := range w.merchants {
		user(fmt.Sprintf("m%06d", i+1), fmt.Sprintf("商户%06d", i+1), inspect.RoleMerchant, 0)
	}
	w.sum.Units, w.sum.Users = int(nextUnit), int(nextUser)
	return b
}

// merchantOf returns the merchant of site i: 15% of sites belong to the chains
// (the first 1% of merchants), the rest to one merchant each.
func (w *world) merchantOf(i int, r *rand.Rand) int64 {
	chains := max(1, w.merchants/100)
	if r.IntN(100) < 15 {
		return w.merchantID0 + 1 + int64(r.IntN(chains))
	}
	return w.merchantID0 + 1 + int64(chains+i%(w.merchants-chains+boolInt(w.merchants == chains)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// count adds what batch b holds to the summary.
func (w *world) count(b *batch) {
	w.sum.Sites += b.rows("sites")
	w.sum.Inspections += b.rows("inspections")
	w.sum.Hazards += b.rows("hazards")
	w.sum.Events += b.rows("hazard_events")
	w.sum.Photos += b.rows("photos")
	w.sum.Flags += b.rows("ai_flags")
	w.sum.Notifications += b.rows("notifications")
	w.sum.OpenHazards += b.open
}

// hazardsOf returns how many hazards site i has: an even share of the total.
func (w *world) hazardsOf(i int) int {
	n := w.o.Hazards / w.o.Sites
	if i < w.o.Hazards%w.o.Sites {
		n++
	}
	return n
}

// firstHazardID returns the id of site i's first hazard (ids follow site order).
func (w *world) firstHazardID(i int) int64 {
	n := w.o.Hazards / w.o.Sites
	extra := min(i, w.o.Hazards%w.o.Sites)
	return int64(i*n+extra) + 1
}

// siteRand is site i's own random source: sites generate independently, in any
// order, and always alike.
func (w *world) siteRand(i int) *rand.Rand {
	return rand.New(rand.NewPCG(w.o.Seed, uint64(i)+1))
}

// sites returns the batch of sites [first, last) with their history.
func (w *world) sites(first, last int) (*batch, error) {
	b := newBatch()
	for i := first; i < last; i++ {
		if err := w.site(b, i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// site adds site i, its merchant link, its inspections and hazards to b.
func (w *world) site(b *batch, i int) error {
	r := w.siteRand(i)
	typ := checklists.SiteTypes[r.IntN(len(checklists.SiteTypes))].Code
	name, profile := SiteProfile(r, typ, i+1)
	cl, err := w.rules.Generate(profile)
	if err != nil {
		return fmt.Errorf("checklist of site %d: %w", i+1, err)
	}
	raw, err := json.Marshal(profile)
	if err != nil {
		return err
	}
	grid := w.grids[i%len(w.grids)]
	id := int64(i + 1)
	created := w.o.Now.AddDate(-w.o.Years, 0, -1)
	b.get("sites").add(id, name, string(typ), fmt.Sprintf("负载测试区第%d路%d号", 1+r.IntN(300), 1+r.IntN(500)),
		30.5+r.Float64()*0.3, 103.9+r.Float64()*0.3, grid.ID, raw, created, created)
	s := &siteLife{w: w, b: b, r: r, site: inspect.Site{ID: id, Name: name, GridID: grid.ID}, grid: i % len(w.grids),
		merchant: w.merchantOf(i, r), items: cl.Items, ruleVersion: cl.RuleVersion, nextHazard: w.firstHazardID(i)}
	b.get("site_merchants").add(id, s.merchant)
	return s.live(w.hazardsOf(i))
}
