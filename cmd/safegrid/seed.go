package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/disintegration/imaging"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// Demo passwords, printed by seed-demo. They are for a demo database only.
const (
	demoAdminPassword     = "demo-admin-2024"
	demoOfficerPassword   = "demo-officer-2024"
	demoInspectorPassword = "demo-inspector-2024"
	demoMerchantPassword  = "demo-merchant-2024"
)

func runSeedDemo(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("seed-demo", env.stderr)
	ifEmpty := fs.Bool("if-empty", false, "do nothing (but print how to log in) when the database already has org units")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, db, err := openConfiguredDB(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	has, err := db.HasUnits(ctx)
	if err != nil {
		return err
	}
	if has {
		if *ifEmpty {
			fmt.Fprintln(env.stdout, "the database already has data; not seeding")
			printDemoLogins(env.stdout)
			return nil
		}
		return fmt.Errorf("the database already has org units; seed-demo fills an empty database only (use --if-empty to skip quietly)")
	}
	objects, err := storage.NewObjectStore(objectStoreConfig(cfg))
	if err != nil {
		return err
	}
	if err := ensureBucket(ctx, objects, newLogger(cfg, env.stderr)); err != nil {
		return err
	}
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	store := storage.NewStore(db, objects, rules)
	// An insert-only River client (no queues, no workers, never started): the seeded
	// hazards get their reminder and deadline jobs in the transactions that set
	// their deadlines, and the running serve executes them (at once when already
	// due; the workers re-read the hazard). No SMS is enqueued for demo users.
	jobs, err := river.NewClient(riverpgxv5.New(db.Pool), &river.Config{})
	if err != nil {
		return fmt.Errorf("create job client: %w", err)
	}
	store.Jobs = jobs
	sum, err := seedDemo(ctx, store)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	fmt.Fprintf(env.stdout, "seeded a demo district: %d units, %d users, %d sites, %d inspections, %d hazards\n",
		sum.units, sum.users, sum.sites, sum.inspections, sum.hazards)
	printDemoLogins(env.stdout)
	return nil
}

func printDemoLogins(w io.Writer) {
	fmt.Fprintf(w, `
Log in at POST /api/v1/auth/login with {"login": "<username or phone>", "password": "..."}:
  admin                          %s
  officer-district, officer-sd1, officer-sd2 (safety officers)   %s
  inspector01 … inspector12 (one per grid)   %s
  merchant01 … merchant60        %s
e.g. curl -s localhost:8080/api/v1/auth/login -d '{"login":"inspector01","password":"%s"}' -H 'Content-Type: application/json'
`, demoAdminPassword, demoOfficerPassword, demoInspectorPassword, demoMerchantPassword, demoInspectorPassword)
}

type seedSummary struct{ units, users, sites, inspections, hazards int }

// demoSeeder carries what seeding builds up.
type demoSeeder struct {
	store   *storage.Store
	rng     *rand.Rand
	sum     seedSummary
	photos  [][]byte // a few distinct JPEGs, reused (storage keeps each once)
	thumbs  [][]byte
	nPhotos int
}

func seedDemo(ctx context.Context, store *storage.Store) (seedSummary, error) {
	s := &demoSeeder{store: store, rng: rand.New(rand.NewPCG(2024, 510107))}
	for i := range 6 {
		orig, thumb := demoPhoto(i)
		s.photos, s.thumbs = append(s.photos, orig), append(s.thumbs, thumb)
	}
	hash := func(pw string) string {
		h, err := inspect.HashPassword(pw, inspect.DefaultPasswordParams())
		if err != nil {
			panic(err)
		}
		return h
	}
	admin, err := store.CreateUserUnchecked(ctx, inspect.User{Username: "admin", Phone: "13800000000", DisplayName: "系统管理员", Role: inspect.RoleAdmin}, hash(demoAdminPassword))
	if err != nil {
		return s.sum, err
	}
	s.sum.users++
	ap, err := store.PrincipalOf(ctx, admin.ID)
	if err != nil {
		return s.sum, err
	}

	// Units: 1 district, 2 subdistricts, 4 communities, 12 grids.
	unit := func(parent int64, level inspect.Level, name, code string) (inspect.Unit, error) {
		s.sum.units++
		return store.CreateUnit(ctx, ap, inspect.Unit{ParentID: parent, Level: level, Name: name, Code: code})
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
	todo = append(todo, newUser{inspect.User{Username: "officer-district", Phone: "13800000001", DisplayName: "区安全办 王敏", Role: inspect.RoleSafetyOfficer, UnitID: district.ID}, demoOfficerPassword})
	for i, sub := range subs {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("officer-sd%d", i+1), Phone: fmt.Sprintf("1380000001%d", i+1), DisplayName: []string{"玉林街道应急办 李强", "簇桥街道应急办 赵丽"}[i], Role: inspect.RoleSafetyOfficer, UnitID: sub.ID}, demoOfficerPassword})
	}
	surnames := []string{"张", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗"}
	given := []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"}
	for i, g := range grids {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("inspector%02d", i+1), Phone: fmt.Sprintf("1390000%04d", i+1), DisplayName: "网格员 " + surnames[i%16] + given[(i*5)%16], Role: inspect.RoleInspector, UnitID: g.ID, GridIDs: []int64{g.ID}}, demoInspectorPassword})
	}
	for i := range 60 {
		todo = append(todo, newUser{inspect.User{Username: fmt.Sprintf("merchant%02d", i+1), Phone: fmt.Sprintf("1370000%04d", i+1), DisplayName: "商户 " + surnames[(i*3)%16] + given[(i*7)%16], Role: inspect.RoleMerchant}, demoMerchantPassword})
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
		u, err := store.CreateUserUnchecked(ctx, t.u, hashes[i])
		if err != nil {
			return s.sum, fmt.Errorf("user %s: %w", t.u.Username, err)
		}
		users[u.Username] = u
		s.sum.users++
	}
	principals := map[string]inspect.Principal{}
	pr := func(name string) (inspect.Principal, error) {
		if p, ok := principals[name]; ok {
			return p, nil
		}
		p, err := store.PrincipalOf(ctx, users[name].ID)
		principals[name] = p
		return p, err
	}

	// Sites: about 200, every type, spread over the grids, each with a merchant.
	var sites []inspect.Site
	for i := range 204 {
		g := grids[i%len(grids)]
		merchant := users[fmt.Sprintf("merchant%02d", i%60+1)]
		typ := checklists.SiteTypes[i%len(checklists.SiteTypes)].Code
		name, profile := s.demoProfile(typ, i)
		raw, err := json.Marshal(profile)
		if err != nil {
			return s.sum, err
		}
		site, err := store.CreateSite(ctx, ap, inspect.Site{
			Name: name, Type: inspect.SiteType(typ),
			Address: fmt.Sprintf("成都市武侯区%s%d号", []string{"玉林北路", "玉林中路", "芳草街", "科华北路", "簇桥路", "锦城大道", "七里路", "高升桥路"}[i%8], 1+s.rng.IntN(300)),
			Lat:     30.62 + s.rng.Float64()*0.05, Lng: 104.02 + s.rng.Float64()*0.05,
			GridID: g.ID, Profile: raw, MerchantIDs: []int64{merchant.ID},
		})
		if err != nil {
			return s.sum, fmt.Errorf("site %d (%s): %w", i, typ, err)
		}
		sites = append(sites, site)
		s.sum.sites++
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
	scenarios := []string{
		"open", "notified", "rectification_submitted", "closed_fixed", "closed_fixed_rated", "escalated",
		"reinspection_due", "returned", "withdrawn", "under_determination", "major", "closed_on_spot",
		"open", "notified", "submitted_only", "returned_inspection", "in_progress", "assigned",
		"notified", "rectification_submitted", "closed_fixed_rated", "open", "assigned", "in_progress",
	}
	for i, scenario := range scenarios {
		site := sites[i]
		officer, err := pr(officerFor(site))
		if err != nil {
			return s.sum, err
		}
		inspector, err := pr(inspectorFor(site))
		if err != nil {
			return s.sum, err
		}
		merchant, err := pr(merchantFor(site))
		if err != nil {
			return s.sum, err
		}
		// The determination panel: the responsible officer, the district's officer
		// and the admin, three distinct reviewers who all see the site's hazards.
		districtOfficer, err := pr("officer-district")
		if err != nil {
			return s.sum, err
		}
		panel := []inspect.Principal{officer, districtOfficer, ap}
		if err := s.runScenario(ctx, scenario, site, officer, inspector, merchant, panel); err != nil {
			return s.sum, fmt.Errorf("scenario %s at site %d: %w", scenario, site.ID, err)
		}
	}
	return s.sum, nil
}

// demoProfile returns a name and a realistic, valid profile for a site of type typ.
func (s *demoSeeder) demoProfile(typ checklists.SiteType, i int) (string, checklists.Profile) {
	r := s.rng
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

func (s *demoSeeder) photo(ctx context.Context, p inspect.Principal, target inspect.PhotoTarget) (string, error) {
	k := s.nPhotos % len(s.photos)
	s.nPhotos++
	orig := s.photos[k]
	sum := sha256.Sum256(orig)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(orig))
	if err != nil {
		return "", err
	}
	ph := inspect.Photo{ID: uuid.New(), InspectionID: target.InspectionID, ItemCode: target.ItemCode, HazardID: target.HazardID,
		SHA256: hex.EncodeToString(sum[:]), Type: inspect.PhotoJPEG, Size: int64(len(orig)), Width: cfg.Width, Height: cfg.Height}
	saved, _, err := s.store.SavePhoto(ctx, p, ph, bytes.NewReader(orig), s.thumbs[k])
	if err != nil {
		return "", err
	}
	return saved.ID.String(), nil
}

// runScenario takes one site through the workflow to the named point.
func (s *demoSeeder) runScenario(ctx context.Context, scenario string, site inspect.Site, officer, inspector, merchant inspect.Principal, panel []inspect.Principal) error {
	st := s.store
	insp, err := st.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(time.Duration(3+s.rng.IntN(10))*24*time.Hour))
	if err != nil {
		return err
	}
	s.sum.inspections++
	if scenario == "assigned" {
		return nil
	}
	d, err := st.StartInspection(ctx, inspector, insp.ID)
	if err != nil {
		return err
	}
	// Fail the first item whose rule wants a photo; pass or skip the rest.
	failed := ""
	for _, it := range d.Items {
		if it.NeedsPhoto && failed == "" {
			failed = it.Code
		}
	}
	outcome := inspect.OutcomeHazard
	if scenario == "closed_on_spot" {
		outcome = inspect.OutcomeFixedOnSpot
	}
	for n, it := range d.Items {
		if scenario == "in_progress" && n >= len(d.Items)/2 {
			break
		}
		ans := inspect.Item{Code: it.Code, Answer: inspect.AnswerPass}
		switch {
		case it.Code == failed && scenario != "submitted_only" && scenario != "returned_inspection":
			ans = inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: outcome, Note: "现场发现问题，已拍照取证"}
			if scenario == "under_determination" || scenario == "major" {
				ans.Severity = inspect.SeverityPossiblyMajor
			}
		case !it.NeedsPhoto && n%5 == 4:
			ans.Answer = inspect.AnswerNA
		}
		if it.NeedsPhoto || ans.Outcome == inspect.OutcomeFixedOnSpot {
			if _, err := s.photo(ctx, inspector, inspect.PhotoTarget{InspectionID: insp.ID, ItemCode: it.Code}); err != nil {
				return err
			}
		}
		answered, err := st.AnswerItem(ctx, inspector, insp.ID, ans)
		if err != nil {
			return fmt.Errorf("answer %s: %w", it.Code, err)
		}
		if answered.HazardID != 0 {
			s.sum.hazards++
		}
	}
	if scenario == "in_progress" {
		return nil
	}
	if _, err := st.SubmitInspection(ctx, inspector, insp.ID); err != nil {
		return err
	}
	if scenario == "returned_inspection" {
		_, err := st.ReturnInspection(ctx, officer, insp.ID, "请补充消防器材压力表的近景照片")
		return err
	}
	if scenario == "submitted_only" {
		return nil
	}
	d, err = st.Inspection(ctx, inspector, insp.ID)
	if err != nil {
		return err
	}
	var hazardID int64
	for _, it := range d.Items {
		if it.HazardID != 0 {
			hazardID = it.HazardID
		}
	}
	if hazardID == 0 {
		return fmt.Errorf("no hazard came out of inspection %d", insp.ID)
	}
	act := func(p inspect.Principal, a inspect.Action, in inspect.HazardActionInput) error {
		_, err := st.HazardAction(ctx, p, hazardID, a, in)
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		return nil
	}
	proof := func() error {
		id, err := s.photo(ctx, merchant, inspect.PhotoTarget{HazardID: hazardID})
		if err != nil {
			return err
		}
		return act(merchant, inspect.ActionSubmitProof, inspect.HazardActionInput{Note: "已按要求整改，请复查", PhotoIDs: []string{id}})
	}
	switch scenario {
	case "open", "closed_on_spot":
		return nil
	case "returned":
		return act(officer, inspect.ActionReturnForCorrection, inspect.HazardActionInput{Note: "照片看不清，请补拍"})
	case "withdrawn":
		return act(officer, inspect.ActionWithdraw, inspect.HazardActionInput{Note: "经核实不构成隐患"})
	case "under_determination", "major":
		ids := make([]int64, len(panel))
		for i, p := range panel {
			ids[i] = p.User.ID
		}
		if _, err := st.OpenDetermination(ctx, officer, hazardID, ids, "提请集体判定"); err != nil {
			return fmt.Errorf("open determination: %w", err)
		}
		if scenario == "under_determination" {
			return nil
		}
		ballots := []struct {
			vote   inspect.Vote
			reason string
		}{
			{inspect.VoteMajor, "安全出口被堵且人员密集，一旦起火无法疏散"},
			{inspect.VoteMajor, "符合重大火灾隐患直接判定要素"},
			{inspect.VoteGeneral, "可当场清理，整改难度不大"},
		}
		for i, b := range ballots {
			if _, err := st.CastVote(ctx, panel[i%len(panel)], hazardID, b.vote, b.reason); err != nil {
				return fmt.Errorf("vote of %s: %w", panel[i%len(panel)].User.Username, err)
			}
		}
		_, err := st.ConcludeDetermination(ctx, officer, hazardID, "三人集体判定为重大火灾隐患，挂牌督办：立即清理疏散通道，停用违规设施，整改完成前限制营业",
			time.Now().Add(15*24*time.Hour))
		if err != nil {
			return fmt.Errorf("conclude determination: %w", err)
		}
		return nil
	}
	if err := act(officer, inspect.ActionNotify, inspect.HazardActionInput{Note: "已告知商户整改期限"}); err != nil {
		return err
	}
	switch scenario {
	case "notified":
		return nil
	case "reinspection_due":
		_, err := st.SystemHazardAction(ctx, hazardID, inspect.ActionDeadlinePassed, "")
		return err
	}
	if err := proof(); err != nil {
		return err
	}
	switch scenario {
	case "rectification_submitted":
		return nil
	case "escalated":
		return act(inspector, inspect.ActionReinspectPresent, inspect.HazardActionInput{Note: "复查仍未整改"})
	}
	if err := act(inspector, inspect.ActionReinspectFixed, inspect.HazardActionInput{Note: "复查已整改"}); err != nil {
		return err
	}
	if scenario == "closed_fixed_rated" {
		_, err := st.RateHazard(ctx, merchant, hazardID, 4+s.rng.IntN(2))
		return err
	}
	return nil
}

// demoPhoto draws a small picture (a different tint per n) and its thumbnail.
func demoPhoto(n int) (orig, thumb []byte) {
	m := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			m.Set(x, y, color.RGBA{uint8(x/3 + n*40), uint8(y/2 + n*20), uint8((x ^ y) + n*60), 255})
		}
	}
	var b, t bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	if err := jpeg.Encode(&t, imaging.Fit(m, 320, 320, imaging.Linear), &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes(), t.Bytes()
}
