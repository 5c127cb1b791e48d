package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/api/apitest"
	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// scope is one half of the test district: everything an actor of that half owns.
type scope struct {
	grid, community      inspect.Unit
	officer, inspector   inspect.User
	merchant             inspect.User
	site                 inspect.Site
	officerP, inspectorP inspect.Principal
	merchantP            inspect.Principal
	// work is a started inspection of site, whose items fresh hazards come from.
	work     inspect.InspectionDetail
	nextItem int
}

// world is a running API on its own database and bucket, with a district of two
// halves: own (grid 1, community 1) and other (grid 2, community 2).
type world struct {
	t        testing.TB
	ctx      context.Context
	db       *storage.DB
	objects  *storage.ObjectStore
	svc      *storage.Services
	queue    *hookQueue
	rules    *checklists.RuleSet
	base     string
	admin    inspect.User
	adminP   inspect.Principal
	district inspect.Unit
	sub      inspect.Unit
	own      *scope
	other    *scope
	tokens   map[int64]string
	routes   []api.Route
	srv      *api.Server
	client   *apitest.Client
	factory  *storagetest.Factory
}

func (w *world) app() *fiber.App { return w.srv.App() }

// v1Config wires the storage services into the API, as cmd does.
func v1Config(s *storage.Services) api.V1Config {
	return api.V1Config{Directory: s.Directory, Sites: s.Sites, Inspections: s.Inspections, Photos: s.Photos, Hazards: s.Hazards,
		Flags: s.Flags, Notifications: s.Notifications, Policy: s.Policy, Determinations: s.Determinations, Open311: s.Open311, Plans: s.Plans, Webhooks: s.Webhooks, Agencies: s.Agencies}
}

// hookQueue is the job queue of the API tests: it schedules nothing, and runs
// photoInserted (when set) where the analysis job would be enqueued, inside the
// transaction that inserts a photo row.
type hookQueue struct {
	photoInserted func(storage.PhotoRecord) error
}

func (q *hookQueue) ScheduleDeadline(context.Context, pgx.Tx, inspect.DeadlineSchedule) error {
	return nil
}
func (q *hookQueue) DeliverNotification(context.Context, pgx.Tx, int64) error { return nil }
func (q *hookQueue) AnalysePhoto(_ context.Context, _ pgx.Tx, p storage.PhotoRecord) error {
	if q.photoInserted == nil {
		return nil
	}
	return q.photoInserted(p)
}

func profileJSON(t testing.TB) json.RawMessage { return storagetest.Profile(t, "shop-street-lpg.json") }

func setup(t testing.TB, limits ...api.LoginLimits) *world {
	t.Helper()
	return setupMetered(t, nil, limits...)
}

// setupMetered is setup with the server recording into m (nil: no metrics).
func setupMetered(t testing.TB, m *metrics.Metrics, limits ...api.LoginLimits) *world {
	t.Helper()
	ctx := context.Background()
	env := storagetest.New(t)
	q := &hookQueue{}
	w := &world{t: t, ctx: ctx, db: env.DB, objects: env.Objects, queue: q, rules: env.Rules, tokens: map[int64]string{},
		svc: storage.New(storage.Deps{DB: env.DB, Objects: env.Objects, Rules: env.Rules, Queue: q})}

	srv := api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BodyLimit: 1 << 20, MaxUploadBytes: 20 << 20, Metrics: m})
	cfg := v1Config(w.svc)
	cfg.LoginLimits = api.LoginLimits{AccountFailures: 1000, AccountWindow: time.Minute, AddressFailures: 100000, AddressWindow: time.Minute}
	cfg.LoginLimiter = storage.NewLoginAttempts(env.DB)
	if len(limits) > 0 {
		cfg.LoginLimits = limits[0]
	}
	w.routes, w.srv = srv.MountV1(cfg), srv
	w.client = apitest.Serve(t, srv)
	w.base = w.client.Base

	w.factory = storagetest.NewFactory(t, storagetest.DirectoryOf(w.svc), testPassword)
	w.admin, w.adminP = w.factory.Admin, w.factory.AdminP
	w.district = w.unit(0, inspect.LevelDistrict, "District")
	w.sub = w.unit(w.district.ID, inspect.LevelSubdistrict, "Subdistrict")
	w.own = w.half(1)
	w.other = w.half(2)
	return w
}

func (w *world) principal(u inspect.User) inspect.Principal {
	w.t.Helper()
	return w.factory.Principal(u)
}

func (w *world) unit(parent int64, level inspect.Level, name string) inspect.Unit {
	w.t.Helper()
	return w.factory.Unit(parent, level, name)
}

func (w *world) user(u inspect.User) inspect.User {
	w.t.Helper()
	return w.factory.User(u)
}

func (w *world) half(n int) *scope {
	f := w.factory
	s := &scope{}
	s.community = w.unit(w.sub.ID, inspect.LevelCommunity, fmt.Sprintf("Community %d", n))
	s.grid = w.unit(s.community.ID, inspect.LevelGrid, fmt.Sprintf("Grid %d", n))
	s.officer = f.Officer(fmt.Sprintf("officer%d", n), s.community)
	s.inspector = f.Inspector(fmt.Sprintf("inspector%d", n), s.grid)
	s.merchant = f.Merchant(fmt.Sprintf("merchant%d", n))
	s.site = f.Site(inspect.Site{Name: fmt.Sprintf("Shop %d", n), Address: fmt.Sprintf("%d Yulin Road", n), GridID: s.grid.ID, MerchantIDs: []int64{s.merchant.ID}})
	s.officerP, s.inspectorP, s.merchantP = w.principal(s.officer), w.principal(s.inspector), w.principal(s.merchant)
	return s
}

// startedInspection assigns an inspection of s's site to its inspector and starts it.
func (w *world) startedInspection(s *scope) inspect.InspectionDetail {
	w.t.Helper()
	insp, err := w.svc.Inspections.AssignInspection(w.ctx, s.officerP, s.site.ID, s.inspector.ID, time.Now().Add(48*time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	d, err := w.svc.Inspections.StartInspection(w.ctx, s.inspectorP, insp.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// hazard makes a fresh open hazard at s's site (from the next unused item of its
// working inspection) and takes the given actions on it, returning it and the id
// of the evidence photo of its item.
func (w *world) hazard(s *scope, actions ...inspect.Action) (inspect.HazardDetail, string) {
	w.t.Helper()
	if s.work.ID == 0 || s.nextItem >= len(s.work.Items) {
		// A fresh site each time, so that no open hazard of the same site and rule
		// exists (a new finding would join it instead).
		site := w.factory.Site(inspect.Site{Name: "Work shop", Address: "2 Work Road", GridID: s.grid.ID, MerchantIDs: []int64{s.merchant.ID}})
		s.merchantP = w.principal(s.merchant)
		insp, err := w.svc.Inspections.AssignInspection(w.ctx, s.officerP, site.ID, s.inspector.ID, time.Now().Add(48*time.Hour))
		if err != nil {
			w.t.Fatal(err)
		}
		if s.work, err = w.svc.Inspections.StartInspection(w.ctx, s.inspectorP, insp.ID); err != nil {
			w.t.Fatal(err)
		}
		s.nextItem = 0
	}
	it := s.work.Items[s.nextItem]
	s.nextItem++
	photo := w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: s.work.ID, ItemCode: it.Code})
	d, err := w.svc.Inspections.AnswerItem(w.ctx, s.inspectorP, s.work.ID, inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "found"})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range actions {
		var p inspect.Principal
		in := inspect.HazardActionInput{Note: string(a)}
		switch a {
		case inspect.ActionSubmitProof:
			p = s.merchantP
			in.PhotoIDs = []string{w.photo(p, inspect.PhotoTarget{HazardID: d.HazardID})}
		case inspect.ActionReinspectFixed:
			p = s.inspectorP
		default:
			p = s.officerP
		}
		if _, err := w.svc.Hazards.HazardAction(w.ctx, p, d.HazardID, a, in); err != nil {
			w.t.Fatalf("%s hazard %d: %v", a, d.HazardID, err)
		}
	}
	h, err := w.svc.Hazards.Hazard(w.ctx, w.adminP, d.HazardID)
	if err != nil {
		w.t.Fatal(err)
	}
	return h, photo
}

// completeInspection answers every item of a fresh inspection of s's site pass,
// with photos where needed, ready to submit.
func (w *world) completeInspection(s *scope) inspect.InspectionDetail {
	w.t.Helper()
	d := w.startedInspection(s)
	for _, it := range d.Items {
		if it.NeedsPhoto {
			w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: it.Code})
		}
		if _, err := w.svc.Inspections.AnswerItem(w.ctx, s.inspectorP, d.ID, inspect.Item{Code: it.Code, Answer: inspect.AnswerPass}); err != nil {
			w.t.Fatal(err)
		}
	}
	return d
}

var photoSeq struct {
	mu sync.Mutex
	n  int
}

// jpegPhoto returns a distinct small JPEG each call.
func jpegPhoto(t testing.TB) []byte {
	photoSeq.mu.Lock()
	photoSeq.n++
	n := photoSeq.n
	photoSeq.mu.Unlock()
	m := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			m.Set(x, y, color.RGBA{uint8(x*4 + n), uint8(y*5 + n*7), uint8(n * 13), 255})
		}
	}
	return phototest.Encode(t, m, 75)
}

// photo stores a photo directly through the store and returns its id.
func (w *world) photo(p inspect.Principal, target inspect.PhotoTarget) string {
	w.t.Helper()
	b := jpegPhoto(w.t)
	sum := sha256.Sum256(b)
	ph := inspect.Photo{ID: uuid.New(), InspectionID: target.InspectionID, ItemCode: target.ItemCode, HazardID: target.HazardID,
		SHA256: hex.EncodeToString(sum[:]), Type: inspect.PhotoJPEG, Size: int64(len(b)), Width: 64, Height: 48}
	saved, _, err := w.svc.Photos.SavePhoto(w.ctx, p, ph, bytes.NewReader(b), b)
	if err != nil {
		w.t.Fatal(err)
	}
	return saved.ID.String()
}

// login logs u in over HTTP and returns the token.
func (w *world) login(u inspect.User) string {
	w.t.Helper()
	if tok, ok := w.tokens[u.ID]; ok {
		return tok
	}
	tok := w.freshLogin(u)
	w.tokens[u.ID] = tok
	return tok
}

func (w *world) freshLogin(u inspect.User) string {
	w.t.Helper()
	return w.client.Login(u.Username, testPassword)
}

// response is a decoded answer.
type response = apitest.Response

// do sends a request; body is JSON-encoded unless it is []byte.
func (w *world) do(token, method, path string, body any, header ...string) response {
	w.t.Helper()
	return w.client.Do(token, method, path, body, header...)
}

// call sends a request and decodes a 2xx JSON answer into out.
func (w *world) call(token, method, path string, body, out any) int {
	w.t.Helper()
	return w.client.Call(token, method, path, body, out).Status
}

// checkPhotoConsistency fails unless every photo row has both its objects and
// every photo object has a row.
func (w *world) checkPhotoConsistency(t *testing.T) {
	t.Helper()
	missing, orphans, err := w.svc.Photos.PhotoConsistency(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 || len(orphans) > 0 {
		t.Errorf("photo rows without objects: %v; objects without rows: %v", missing, orphans)
	}
}

// openPool opens another pool of size on w's database, closed when the test ends.
func (w *world) openPool(size storage.PoolSize) *storage.DB {
	w.t.Helper()
	db, err := storage.OpenPool(w.ctx, w.db.Pool.Config().ConnString(), size)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(db.Close)
	return db
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// ids runs sql, which selects one bigint column, and returns its values.
func (w *world) ids(sql string, args ...any) []int64 {
	w.t.Helper()
	rows, err := w.db.Pool.Query(w.ctx, sql, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}
