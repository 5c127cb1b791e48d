package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/api/apitest"
	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// password is every seeded user's password.
const password = "correct-horse-42"

// fixture is one running server with its seeded org: a district down to a grid,
// an officer, an inspector, a merchant, a guesthouse in the grid and an inspection
// of it assigned for today.
type fixture struct {
	base      string
	db        *storage.DB
	store     *storage.Services
	objects   *storage.ObjectStore
	officer   inspect.User
	inspector inspect.User
	merchant  inspect.User
	district  inspect.Unit
	grid      inspect.Unit
	site      inspect.Site
	insp      inspect.Inspection
	checklist checklists.Checklist
	tokens    map[int64]string
	client    *apitest.Client
	factory   *storagetest.Factory
}

// guesthouseProfile is the seeded site's profile: a one-floor guesthouse.
const guesthouseProfile = `{"name":"幸福里民宿","site_type":"guesthouse","floors":1,"floor_area_m2":150,"occupants":30,"rooms":8,"beds":16,"fire_resistance_class":2}`

func setup(t *testing.T, web ...api.WebConfig) *fixture {
	t.Helper()
	ctx := context.Background()
	env := storagetest.New(t)
	store, rules := env.Store, env.Rules
	f := &fixture{db: env.DB, store: store, objects: env.Objects, tokens: map[int64]string{}}

	fac := storagetest.NewFactory(t, storagetest.DirectoryOf(store), password)
	f.factory = fac
	tree := fac.Tree("武侯区", "玉林街道", "玉林北路社区", "第3网格")
	f.district, f.grid = tree.District, tree.Grid
	fac.Unit(tree.Community.ID, inspect.LevelGrid, "第4网格")
	f.officer = fac.User(inspect.User{Username: "officer", DisplayName: "王科长", Role: inspect.RoleSafetyOfficer, UnitID: f.district.ID})
	f.inspector = fac.User(inspect.User{Username: "inspector", DisplayName: "李网格员", Role: inspect.RoleInspector, UnitID: f.grid.ID, GridIDs: []int64{f.grid.ID}})
	f.merchant = fac.User(inspect.User{Username: "merchant", DisplayName: "张老板", Role: inspect.RoleMerchant})
	f.site = fac.Site(inspect.Site{
		Name: "幸福里民宿", Type: "guesthouse", Address: "玉林北路 12 号", Lat: 30.63, Lng: 104.05, GridID: f.grid.ID,
		Profile: json.RawMessage(guesthouseProfile), MerchantIDs: []int64{f.merchant.ID},
	})
	profile, err := checklists.ParseProfile(f.site.Profile)
	if err != nil {
		t.Fatal(err)
	}
	f.checklist = try(rules.Generate(profile)).must(t)
	f.insp = try(store.Inspections.AssignInspection(ctx, f.principal(t, f.officer), f.site.ID, f.inspector.ID, time.Now().Add(6*time.Hour))).must(t)

	srv := api.New(api.Config{
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		BodyLimit:      1 << 20,
		MaxUploadBytes: 20 << 20,
	})
	srv.MountV1(api.V1Config{Directory: store.Directory, Sites: store.Sites, Inspections: store.Inspections, Photos: store.Photos,
		Hazards: store.Hazards, Flags: store.Flags, Notifications: store.Notifications, Policy: store.Policy, Determinations: store.Determinations,
		Agencies: store.Agencies, Plans: store.Plans, Open311: store.Open311, LoginLimiter: storage.NewLoginAttempts(env.DB)})
	srv.MountWeb(web...)
	f.client = apitest.Serve(t, srv)
	f.base = f.client.Base
	return f
}

// result holds a value and an error, so that seeding reads try(f()).must(t).
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

// must returns the value, failing the test on the error.
func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func (f *fixture) principal(t *testing.T, u inspect.User) inspect.Principal {
	t.Helper()
	return f.factory.Principal(u)
}

// photoItems returns the codes of the first n checklist items that need a photo.
func (f *fixture) photoItems(t *testing.T, n int) []string {
	t.Helper()
	var codes []string
	for _, it := range f.checklist.Items {
		if it.Evidence == checklists.EvidencePhoto && len(codes) < n {
			codes = append(codes, it.Code)
		}
	}
	if len(codes) < n {
		t.Fatalf("the guesthouse checklist has %d items that need a photo, want %d", len(codes), n)
	}
	return codes
}

// startInspection starts the seeded inspection as its inspector and returns the
// codes of its first n items that need a photo.
func (f *fixture) startInspection(t *testing.T, n int) []string {
	t.Helper()
	if _, err := f.store.Inspections.StartInspection(context.Background(), f.principal(t, f.inspector), f.insp.ID); err != nil {
		t.Fatal(err)
	}
	return f.photoItems(t, n)
}

// hazard returns hazard id as the officer sees it.
func (f *fixture) hazard(t *testing.T, id int64) inspect.HazardDetail {
	t.Helper()
	return try(f.store.Hazards.Hazard(context.Background(), f.principal(t, f.officer), id)).must(t)
}

// call sends one API request as user and returns the status and body.
func (f *fixture) call(t *testing.T, who inspect.User, method, path string, body []byte, contentType string) (int, []byte) {
	t.Helper()
	token := f.tokens[who.ID]
	if token == "" {
		token = f.client.Login(who.Username, password)
		f.tokens[who.ID] = token
	}
	return f.send(t, token, method, path, body, contentType)
}

func (f *fixture) send(t *testing.T, token, method, path string, body []byte, contentType string) (int, []byte) {
	t.Helper()
	var header []string
	if contentType != "" {
		header = []string{"Content-Type", contentType}
	}
	var b any // a nil body sends none
	if body != nil {
		b = body
	}
	r := f.client.Do(token, method, path, b, header...)
	return r.Status, r.Body
}

// uploadPhoto uploads a photo through the API as who, to the target given as a
// query string (inspection_id=..&item_code=.. or hazard_id=..), and returns its id.
func (f *fixture) uploadPhoto(t *testing.T, who inspect.User, file, target string) uuid.UUID {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	status, out := f.call(t, who, "PUT", "/api/v1/photos/"+id.String()+"?"+target, body, "image/jpeg")
	if status != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", file, status, out)
	}
	return id
}

// testImages returns n distinct JPEG files: real photos from SAFEGRID_TEST_IMAGES
// when it is set (nicer screenshots), otherwise pictures drawn here.
func testImages(t *testing.T, n int, prefer ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	if src := os.Getenv("SAFEGRID_TEST_IMAGES"); src != "" {
		entries, _ := os.ReadDir(src)
		var names []string
		for _, p := range prefer {
			for _, e := range entries {
				if strings.Contains(e.Name(), p) && strings.HasSuffix(e.Name(), ".jpg") {
					names = append(names, e.Name())
				}
			}
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".jpg") {
				names = append(names, e.Name())
			}
		}
		seen := map[string]bool{}
		for _, name := range names {
			if len(out) == n {
				break
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, filepath.Join(src, name))
		}
	}
	for i := len(out); i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("photo-%d.jpg", i))
		if err := os.WriteFile(p, drawnJPEG(i), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// drawnJPEG is a 640×480 picture, different for every seed.
func drawnJPEG(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{uint8(60 + x/8 + seed*37), uint8(90 + y/6), uint8(140 + seed*53), 255})
		}
	}
	for y := 200 + seed*10; y < 380; y++ {
		for x := 120 + seed*40; x < 330+seed*40; x++ {
			img.Set(x, y, color.RGBA{200, 60, 40, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// screenshotDir is where the screenshots go: $SAFEGRID_SCREENSHOTS, or
// ./screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SAFEGRID_SCREENSHOTS")
	if dir == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// driverResult is what driver.mjs prints as its last line.
type driverResult struct {
	OK          bool            `json:"ok"`
	Error       string          `json:"error"`
	Screenshots []string        `json:"screenshots"`
	Screens     []screenAudit   `json:"screens"`
	Data        json.RawMessage `json:"data"`
}

// screenAudit is what the driver found on one screen: axe-core's serious and
// critical violations and visible words in the wrong language.
type screenAudit struct {
	Screen string `json:"screen"`
	Lang   string `json:"lang"`
	Axe    []struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		At     string   `json:"at"`
		Nodes  []string `json:"nodes"`
	} `json:"axe"`
	Foreign []struct {
		Word string `json:"word"`
		Text string `json:"text"`
	} `json:"foreign"`
	OffScreen []struct {
		What  string `json:"what"`
		Left  int    `json:"left"`
		Right int    `json:"right"`
		Width int    `json:"width"`
		At    string `json:"at"`
	} `json:"offScreen"`
}

// At names the viewport a finding was made at, with the screen's language.
func (s screenAudit) At(viewport string) string { return s.Lang + ", " + viewport }

// checkScreens fails the test for every accessibility violation (serious or
// critical), every word of the other language and every element out of reach
// beyond the viewport's sides on the screens visited.
func checkScreens(t *testing.T, screens []screenAudit) {
	t.Helper()
	for _, s := range screens {
		for _, v := range s.Axe {
			t.Errorf("screen %s (%s, %s): axe %s %s: %s %v", s.Screen, s.Lang, v.At, v.Impact, v.ID, v.Help, v.Nodes)
		}
		for _, f := range s.Foreign {
			t.Errorf("screen %s in %s shows %q in the wrong language: %q", s.Screen, s.Lang, f.Word, f.Text)
		}
		for _, o := range s.OffScreen {
			t.Errorf("screen %s (%s): %s spans %d…%d px of a %d px wide viewport, where no one can scroll to it", s.Screen, s.At(o.At), o.What, o.Left, o.Right, o.Width)
		}
	}
}

// browserSlots bounds how many drivers run at once.
var browserSlots = make(chan struct{}, 3)

// runDriver runs one scenario of driver.mjs against the fixture and returns its
// data. The scenario's config is written to a file; the driver logs to stderr.
func runDriver(t *testing.T, f *fixture, scenario string, cfg map[string]any, data any) {
	t.Helper()
	bt := needBrowser(t)
	shots := screenshotDir(t)
	cfg["scenario"] = scenario
	cfg["base"] = f.base
	cfg["screenshots"] = shots
	cfg["chromium"] = bt.chromium
	cfg["playwright"] = filepath.Join(bt.nodePrefix, "node_modules", "playwright-core")
	cfg["axe"] = filepath.Join(bt.nodePrefix, "node_modules", "axe-core", "axe.min.js")
	cfg["password"] = password
	cfg["profileDir"] = t.TempDir()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	// A few browsers at a time: the tests run in parallel, Chromium is heavy.
	browserSlots <- struct{}{}
	defer func() { <-browserSlots }()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bt.node, filepath.Join("driver", "driver.mjs"), cfgPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("driver %s took %s; log:\n%s", scenario, time.Since(start).Round(100*time.Millisecond), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res driverResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("driver %s printed no result (%v): %s", scenario, runErr, stdout.String())
	}
	t.Logf("screenshots in %s: %s", shots, strings.Join(res.Screenshots, ", "))
	checkScreens(t, res.Screens)
	if !res.OK {
		t.Fatalf("driver %s failed: %s", scenario, res.Error)
	}
	if data != nil {
		if err := json.Unmarshal(res.Data, data); err != nil {
			t.Fatalf("driver %s data: %v", scenario, err)
		}
	}
}

// officers creates n more safety officers of the whole district, who see every
// hazard of the fixture: with the fixture's officer, a determination panel.
func (f *fixture) officers(t *testing.T, n int) []inspect.User {
	t.Helper()
	var out []inspect.User
	for i := range n {
		out = append(out, f.factory.User(inspect.User{
			Username: fmt.Sprintf("officer%d", i+2), Phone: fmt.Sprintf("1380000010%d", i), DisplayName: fmt.Sprintf("区安全办 审核员%d", i+2),
			Role: inspect.RoleSafetyOfficer, UnitID: f.district.ID,
		}))
	}
	return out
}

// possiblyMajorHazard records a possibly major hazard at the fixture's site,
// found on the first checklist item that wants a photo, and returns its id.
func (f *fixture) possiblyMajorHazard(t *testing.T) int64 {
	t.Helper()
	code := f.startInspection(t, 1)[0]
	item := try(f.store.Inspections.AnswerItem(context.Background(), f.principal(t, f.inspector), f.insp.ID, inspect.Item{
		Code: code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard,
		Severity: inspect.SeverityPossiblyMajor, Note: "地下室存放液化气钢瓶",
	})).must(t)
	if item.HazardID == 0 {
		t.Fatal("the failed item made no hazard")
	}
	return item.HazardID
}
