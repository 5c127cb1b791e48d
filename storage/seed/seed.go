// Package seed fills an empty database with a demo district: the org tree, users
// of every role, about 200 sites of every type, and a table of scenarios that take
// sites through the workflow to every inspection status and hazard state. The
// scenarios run through the storage services, as a user would, so tests reuse them
// to build a realistic world.
package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// Demo passwords, printed by seed-demo. They are for a demo database only.
const (
	AdminPassword     = "demo-admin-2024"
	OfficerPassword   = "demo-officer-2024"
	InspectorPassword = "demo-inspector-2024"
	MerchantPassword  = "demo-merchant-2024"
)

// PrintLogins writes how to log in as the demo users, at the address the server
// listens on (SAFEGRID_HTTP_ADDR).
func PrintLogins(w io.Writer, addr string) {
	host := addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(w, `
Log in at POST /api/v1/auth/login with {"login": "<username or phone>", "password": "..."}:
  admin                          %s
  officer-district, officer-sd1, officer-sd2 (safety officers)   %s
  inspector01 … inspector12 (one per grid)   %s
  merchant01 … merchant60        %s
  gas-company, power-company (agencies: the hazards of their field)   %s
The web app is at http://%s/ ; e.g. inspector01 has a site to inspect today.
e.g. curl -s %s/api/v1/auth/login -d '{"login":"inspector01","password":"%s"}' -H 'Content-Type: application/json'
`, AdminPassword, OfficerPassword, InspectorPassword, MerchantPassword, AgencyPassword, host, host, InspectorPassword)
}

// Summary counts what Demo created.
type Summary struct{ Units, Users, Sites, Inspections, Hazards int }

// demoSeeder carries what seeding builds up.
type demoSeeder struct {
	svc     *storage.Services
	rng     *rand.Rand
	sum     Summary
	photos  [][]byte // a few distinct JPEGs, reused (storage keeps each once)
	thumbs  [][]byte
	nPhotos int
}

func Demo(ctx context.Context, svc *storage.Services) (Summary, error) {
	s := newSeeder(svc)
	hash := func(pw string) string {
		h, err := inspect.HashPassword(pw, inspect.DefaultPasswordParams())
		if err != nil {
			panic(err)
		}
		return h
	}
	admin, err := svc.Directory.CreateUserUnchecked(ctx, inspect.User{Username: "admin", Phone: "13800000000", DisplayName: "系统管理员", Role: inspect.RoleAdmin}, hash(AdminPassword))
	if err != nil {
		return s.sum, err
	}
	s.sum.Users++
	ap, err := svc.Directory.PrincipalOf(ctx, admin.ID)
	if err != nil {
		return s.sum, err
	}

	// Units: 1 district, 2 subdistricts, 4 communities, 12 grids.
	unit := func(parent int64, level inspect.Level, name, code string) (inspect.Unit, error) {
		s.sum.Units++
		return svc.Directory.CreateUnit(ctx, ap, inspect.Unit{ParentID: parent, Level: level, Name: name, Code: code})
	}
	district, err := unit(0, inspect.LevelDistrict, "武侯区", "510107")
	if err != nil {
		return s.sum, err
	}
	subNames := []string{"玉林街道", "簇桥街道"}
	commNames := [][]string{{"玉林北路社区", "玉林东路社区"}, {"锦城社区", "七里社区"}}
	var subs []inspect.Unit
	var grids []inspect.Unit
	for i, sn := range subNames {
		sub, err := unit(district.ID, inspect.LevelSubdistrict, sn, fmt.Sprintf("510107%03d", i+1))
		if err != nil {
			return s.sum, err
		}
		subs = append(subs, sub)
		for j, cn := range commNames[i] {
			comm, err := unit(sub.ID, inspect.LevelCommunity, cn, "")
			if err != nil {
				return s.sum, err
			}
			for k := range 3 {
				g, err := unit(comm.ID, inspect.LevelGrid, fmt.Sprintf("%s第%d网格", cn, k+1), fmt.Sprintf("G%d%d%d", i+1, j+1, k+1))
				if err != nil {
					return s.sum, err
				}
				grids = append(grids, g)
			}
		}
	}

	// Users, hashed in parallel (argon2id is deliberately slow).
	type newUser struct {
		u  inspect.User
		pw string
	}
	var todo []newUser
	todo = append(todo, newUser{inspect.User{Username: "officer-district", Phone: "13800000001", DisplayName: "区安全办 王敏", Role: inspect.RoleSafetyOfficer, UnitID: district.ID}, OfficerPassword})
	for i, sub := range subs {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("officer-sd%d", i+1), Phone: fmt.Sprintf("1380000001%d", i+1), DisplayName: []string{"玉林街道应急办 李强", "簇桥街道应急办 赵丽"}[i], Role: inspect.RoleSafetyOfficer, UnitID: sub.ID}, OfficerPassword})
	}
	surnames := []string{"张", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗"}
	given := []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"}
	for i, g := range grids {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("inspector%02d", i+1), Phone: fmt.Sprintf("1390000%04d", i+1), DisplayName: "网格员 " + surnames[i%16] + given[(i*5)%16], Role: inspect.RoleInspector, UnitID: g.ID, GridIDs: []int64{g.ID}}, InspectorPassword})
	}
	agencyUsers, err := demoAgencies(ctx, svc, ap, district)
	if err != nil {
		return s.sum, err
	}
	for _, u := range agencyUsers {
		todo = append(todo, newUser{u, AgencyPassword})
	}
	for i := range 60 {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("merchant%02d", i+1), Phone: fmt.Sprintf("1370000%04d", i+1), DisplayName: "商户 " + surnames[(i*3)%16] + given[(i*7)%16], Role: inspect.RoleMerchant}, MerchantPassword})
	}
	hashes := make([]string, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, t := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			hashes[i] = hash(t.pw)
			<-sem
		}()
	}
	wg.Wait()
	users := map[string]inspect.User{}
	for i, t := range todo {
		u, err := svc.Directory.CreateUserUnchecked(ctx, t.u, hashes[i])
		if err != nil {
			return s.sum, fmt.Errorf("user %s: %w", t.u.Username, err)
		}
		users[u.Username] = u
		s.sum.Users++
	}
	principals := map[string]inspect.Principal{}
	// pr returns the principals of the users named, in order.
	pr := func(names ...string) ([]inspect.Principal, error) {
		out := make([]inspect.Principal, len(names))
		for i, name := range names {
			p, ok := principals[name]
			if !ok {
				var err error
				if p, err = svc.Directory.PrincipalOf(ctx, users[name].ID); err != nil {
					return nil, err
				}
				principals[name] = p
			}
			out[i] = p
		}
		return out, nil
	}

	// Sites: about 200, every type, spread over the grids, each with a merchant.
	var sites []inspect.Site
	for i := range 204 {
		g := grids[i%len(grids)]
		merchant := users[fmt.Sprintf("merchant%02d", i%60+1)]
		typ := checklists.SiteTypes[i%len(checklists.SiteTypes)].Code
		name, profile := SiteProfile(s.rng, typ, i)
		raw, err := json.Marshal(profile)
		if err != nil {
			return s.sum, err
		}
		site, err := svc.Sites.CreateSite(ctx, ap, inspect.Site{
			Name: name, Type: inspect.SiteType(typ),
			Address: fmt.Sprintf("成都市武侯区%s%d号", []string{"玉林北路", "玉林中路", "芳草街", "科华北路", "簇桥路", "锦城大道", "七里路", "高升桥路"}[i%8], 1+s.rng.IntN(300)),
			Lat:     30.62 + s.rng.Float64()*0.05, Lng: 104.02 + s.rng.Float64()*0.05,
			GridID: g.ID, Profile: raw, MerchantIDs: []int64{merchant.ID},
		})
		if err != nil {
			return s.sum, fmt.Errorf("site %d (%s): %w", i, typ, err)
		}
		sites = append(sites, site)
		s.sum.Sites++
	}

	// Inspections: for the first sites of each grid, run the workflow to a
	// different point, so that every inspection status and hazard state is there.
	officerFor := func(site inspect.Site) string {
		for i := range grids {
			if grids[i].ID == site.GridID {
				return fmt.Sprintf("officer-sd%d", i/6+1)
			}
		}
		return "officer-district"
	}
	inspectorFor := func(site inspect.Site) string {
		for i := range grids {
			if grids[i].ID == site.GridID {
				return fmt.Sprintf("inspector%02d", i+1)
			}
		}
		return ""
	}
	merchantFor := func(site inspect.Site) string {
		for name, u := range users {
			if u.ID == site.MerchantIDs[0] {
				return name
			}
		}
		return ""
	}
	for i, scenario := range Scenarios {
		site := sites[i]
		ps, err := pr(officerFor(site), inspectorFor(site), merchantFor(site), "officer-district")
		if err != nil {
			return s.sum, err
		}
		officer, inspector, merchant, districtOfficer := ps[0], ps[1], ps[2], ps[3]
		// The determination panel: the responsible officer, the district's officer
		// and the admin, three distinct reviewers who all see the site's hazards.
		panel := []inspect.Principal{officer, districtOfficer, ap}
		if err := s.runScenario(ctx, scenario, site, Cast{Officer: officer, Inspector: inspector, Merchant: merchant, Panel: panel}); err != nil {
			return s.sum, fmt.Errorf("scenario %s at site %d: %w", scenario, site.ID, err)
		}
	}
	// Every inspector, inspector01 of the README included, has a site to inspect
	// today: the first site of their grid that no scenario used.
	for gi := range grids {
		site := sites[len(Scenarios)+gi]
		ps, err := pr(officerFor(site), inspectorFor(site))
		if err != nil {
			return s.sum, err
		}
		officer, inspector := ps[0], ps[1]
		if _, err := s.svc.Inspections.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(4*time.Hour)); err != nil {
			return s.sum, fmt.Errorf("today's inspection of site %d: %w", site.ID, err)
		}
		s.sum.Inspections++
	}
	// A gas and an electrical hazard, on sites after those of today's inspections,
	// for the agencies; then the gas company's action on its hazard.
	err = s.fieldHazards(ctx, sites[len(Scenarios)+len(grids):], func(site inspect.Site) (inspect.Principal, inspect.Principal, error) {
		ps, err := pr(officerFor(site), inspectorFor(site))
		if err != nil {
			return inspect.Principal{}, inspect.Principal{}, err
		}
		return ps[0], ps[1], nil
	})
	if err != nil {
		return s.sum, err
	}
	if err := demoAgencyAction(ctx, svc, users["gas-company"]); err != nil {
		return s.sum, fmt.Errorf("the gas company's action: %w", err)
	}
	return s.sum, nil
}

// SiteProfile returns a name and a realistic, valid profile for the i-th site, of
// type typ, drawing from r.
func SiteProfile(r *rand.Rand, typ checklists.SiteType, i int) (string, checklists.Profile) {
	p := checklists.Profile{SiteType: typ, Floors: 1, FloorAreaM2: float64(40 + r.IntN(120)), Occupants: 5 + r.IntN(30), Jurisdiction: "sichuan"}
	multi := func(floors int, perFloor float64) {
		p.Floors, p.MaxFloorAreaM2, p.FloorAreaM2 = floors, perFloor, perFloor*float64(floors)
	}
	var name string
	switch typ {
	case checklists.SiteHotel:
		multi(4+r.IntN(8), float64(300+r.IntN(400)))
		p.Rooms, p.Beds, p.Occupants, p.FireAlarm, p.Sprinkler, p.HasKitchen, p.Gas = 40+r.IntN(80), 80+r.IntN(120), 150+r.IntN(100), true, true, true, checklists.GasPipeline
		p.BuildingHeightM, p.FireDoors, p.Stairs = float64(p.Floors)*3.3, true, 2
		name = fmt.Sprintf("锦里%d号酒店", i)
	case checklists.SiteGuesthouse:
		multi(2+r.IntN(2), float64(80+r.IntN(70)))
		p.Rooms, p.Beds, p.Occupants = 6+r.IntN(8), 10+r.IntN(15), 15+r.IntN(20)
		name = fmt.Sprintf("竹里民宿%d", i)
	case checklists.SiteShortLet:
		p.Rooms, p.Beds, p.Occupants, p.BuildingHeightM = 2, 3, 4, 60
		name = fmt.Sprintf("网约房 %d栋%d室", 1+r.IntN(9), 1001+r.IntN(2000))
	case checklists.SiteRental:
		multi(3+r.IntN(3), float64(90+r.IntN(60)))
		p.Tenants, p.Occupants, p.EbikeParking, p.EbikeCharging = 6+r.IntN(10), 12+r.IntN(20), "outdoor", true
		name = fmt.Sprintf("自建出租楼%d", i)
	case checklists.SiteGroupRental:
		p.Rooms, p.Tenants, p.Occupants, p.Subdivided, p.EbikeParking = 6+r.IntN(4), 6+r.IntN(4), 10+r.IntN(8), true, "indoor"
		name = fmt.Sprintf("群租房 %d号", i)
	case checklists.SiteShop:
		p.HasKitchen, p.Gas, p.LPGKg = i%2 == 0, checklists.GasLPG, 15
		if !p.HasKitchen {
			p.Gas, p.LPGKg = checklists.GasNone, 0
		}
		name = fmt.Sprintf("%s%d", []string{"便利店", "小吃店", "五金店", "水果店"}[i%4], i)
	case checklists.SiteRestaurant:
		p.HasKitchen, p.Gas, p.Occupants = true, []string{checklists.GasPipeline, checklists.GasLPG}[i%2], 40+r.IntN(80)
		if p.Gas == checklists.GasLPG {
			p.LPGKg = float64(30 + r.IntN(100))
		}
		p.FloorAreaM2 = float64(120 + r.IntN(200))
		name = fmt.Sprintf("%s%d", []string{"川菜馆", "火锅店", "串串店", "面馆"}[i%4], i)
	case checklists.SiteLiveWork:
		multi(2, float64(60+r.IntN(40)))
		p.MixedLiving, p.Sleepers, p.UpperFloorOccupants, p.Occupants = true, 2+r.IntN(4), 3, 6+r.IntN(4)
		if p.UpperFloorOccupants > p.Occupants {
			p.UpperFloorOccupants = p.Occupants
		}
		name = fmt.Sprintf("前店后宅 %d号", i)
	case checklists.SiteEbikeShop:
		p.EbikeParking, p.EbikeCharging = "indoor", true
		name = fmt.Sprintf("电动车维修店%d", i)
	case checklists.SiteResidentialBuilding:
		multi(18+r.IntN(15), float64(600+r.IntN(300)))
		p.BuildingHeightM, p.Occupants, p.EbikeParking, p.EbikeCharging, p.FireAlarm, p.Sprinkler, p.Stairs = float64(p.Floors)*2.9, 400+r.IntN(400), "garage", true, true, true, 2
		name = fmt.Sprintf("%s小区%d栋", []string{"芳草", "玉林", "锦城", "七里"}[i%4], 1+r.IntN(20))
	case checklists.SiteDormitory:
		multi(4+r.IntN(3), float64(300+r.IntN(200)))
		p.Beds, p.Occupants, p.Rooms = 100+r.IntN(100), 120+r.IntN(80), 30+r.IntN(20)
		name = fmt.Sprintf("员工宿舍%d", i)
	default:
		name = fmt.Sprintf("场所%d", i)
	}
	p.Name = name
	return name, p
}
