package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/api/apitest"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/jobs"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// call sends a request with apitest's client and returns the status and the raw
// answer, decoding a 2xx answer into out.
func call(c *apitest.Client, token, method, path string, body, out any) (int, []byte) {
	c.T().Helper()
	r := c.Call(token, method, path, body, out)
	return r.Status, r.Body
}

// analysisPassword is every fixture user's password.
const analysisPassword = "analysis test password"

// analysisFixture is a database and bucket of their own with a hotel in one grid,
// its inspector ("inspector"), a district safety officer ("officer") and an
// inspection of the hotel assigned to the inspector.
type analysisFixture struct {
	svc       *storage.Services
	bucket    *storage.ObjectStore
	dbURL     string
	site      inspect.Site
	insp      inspect.Inspection
	inspector inspect.Principal
	admin     inspect.Principal
}

func newAnalysisFixture(t testing.TB) analysisFixture {
	t.Helper()
	ctx := context.Background()
	env := storagetest.New(t)
	fixtureStore, dbURL := env.Store, env.URL
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(fixtureStore), analysisPassword)
	adminP := f.AdminP
	tree := f.Tree()
	f.Officer("officer", tree.District)
	inspector := f.Inspector("inspector", tree.Grid)
	site := f.Site(inspect.Site{Name: "Riverside Hotel", Type: "hotel", Address: "8 Jinli Road", GridID: tree.Grid.ID,
		Profile: storagetest.Profile(t, "hotel-12f-kitchen.json")})
	insp, err := fixtureStore.Inspections.AssignInspection(ctx, adminP, site.ID, inspector.ID, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inspectorP, err := fixtureStore.Directory.PrincipalOf(ctx, inspector.ID)
	if err != nil {
		t.Fatal(err)
	}
	return analysisFixture{svc: fixtureStore, bucket: env.Objects, dbURL: dbURL, site: site, insp: insp, inspector: inspectorP, admin: adminP}
}

// corridorItem returns the first item of d photographed in a corridor whose AI
// checks include two_wheeler_indoor.
func corridorItem(t testing.TB, d inspect.InspectionDetail) inspect.ItemDetail {
	t.Helper()
	for _, it := range d.Items {
		if it.Location == "corridor" && slices.Contains(it.AIChecks, "two_wheeler_indoor") {
			return it
		}
	}
	t.Fatal("the hotel's checklist has no corridor item with the two_wheeler_indoor check")
	return inspect.ItemDetail{}
}

// TestPhotoAnalysisEndToEnd is issue 5's end-to-end check on the real server, the
// real model and a real photo: an inspector uploads the indoor-motorcycle photo for
// a corridor item; within seconds the analysis job puts a two_wheeler_indoor flag
// in the review queue with an annotated copy; the officer confirms it and the
// hazard for the site and rule exists.
func TestPhotoAnalysisEndToEnd(t *testing.T) {
	modelSource, images, ortLib := realEnv(t)
	photo, err := os.ReadFile(filepath.Join(images, "coco_343934_motorcycle_entryway_ccby.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fx := newAnalysisFixture(t)
	dbURL, bucket, site, insp := fx.dbURL, fx.bucket, fx.site, fx.insp
	const password = analysisPassword
	// The real server, with AI checks on.
	httpAddr, metricsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "SAFEGRID_HTTP_ADDR": httpAddr, "SAFEGRID_S3_ENDPOINT": os.Getenv("SAFEGRID_S3_ENDPOINT"),
		"SAFEGRID_S3_BUCKET": bucket.Bucket(), "SAFEGRID_ORT_LIB": ortLib, "SAFEGRID_CACHE_DIR": t.TempDir(),
		"SAFEGRID_MODEL_SOURCE": modelSource, "SAFEGRID_AI_SESSIONS": "1", "SAFEGRID_METRICS_ADDR": metricsAddr,
	}
	srvCtx, cancel := context.WithCancel(ctx)
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runServe(srvCtx, &runEnv{stdout: io.Discard, stderr: logs, getenv: func(k string) string { return env[k] }}, nil)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	waitReady(t, httpAddr, "every check ok", func(a readyAnswer) bool { return a.status == http.StatusOK })

	c := apitest.New(t, "http://"+httpAddr)
	inspectorToken, officerToken := c.Login("inspector", password), c.Login("officer", password)
	var started inspect.InspectionDetail
	if st, raw := call(c, inspectorToken, "POST", fmt.Sprintf("/api/v1/inspections/%d/start", insp.ID), nil, &started); st != 200 {
		t.Fatalf("start inspection: %d %s", st, raw)
	}
	item := corridorItem(t, started)

	photoID := uuid.New()
	uploaded := time.Now()
	if st, raw := call(c, inspectorToken, "PUT", fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", photoID, insp.ID, item.Code), photo, nil); st != 201 {
		t.Fatalf("upload: %d %s", st, raw)
	}

	var flag inspect.AIFlag
	deadline := time.Now().Add(60 * time.Second)
	for flag.ID == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no two_wheeler_indoor flag for photo %s in the review queue within 60 s", photoID)
		}
		var queue api.List[inspect.AIFlag]
		if st, raw := call(c, officerToken, "GET", "/api/v1/flags?review=pending", nil, &queue); st != 200 {
			t.Fatalf("review queue: %d %s", st, raw)
		}
		for _, f := range queue.Items {
			if f.PhotoID == photoID && f.Code == "two_wheeler_indoor" {
				flag = f
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("flag in the review queue %.1f s after the upload: %s %.2f (%s)", time.Since(uploaded).Seconds(), flag.Code, flag.Score, flag.Reason)
	if flag.Score < 0.6 || flag.Status != "flag" || flag.SiteID != site.ID || flag.RuleCode != item.Code {
		t.Errorf("flag = %+v; want a flag ≥ 0.6 for site %d and rule %s", flag, site.ID, item.Code)
	}
	manifest, _ := models.EmbeddedManifest("yolox_nano")
	if flag.ModelName != "yolox_nano" || flag.ModelSHA256 != manifest.SHA256 {
		t.Errorf("flag model %s %s, want yolox_nano %s", flag.ModelName, flag.ModelSHA256, manifest.SHA256)
	}
	foundMotorcycle := false
	for _, b := range flag.Boxes {
		foundMotorcycle = foundMotorcycle || b.Class == "motorcycle"
	}
	if !foundMotorcycle {
		t.Errorf("flag boxes %+v name no motorcycle", flag.Boxes)
	}

	st, annotated := call(c, officerToken, "GET", "/api/v1/photos/"+photoID.String()+"/annotated", nil, nil)
	if st != 200 {
		t.Fatalf("annotated photo: %d %s", st, annotated)
	}
	img, err := jpeg.Decode(bytes.NewReader(annotated))
	if err != nil {
		t.Fatalf("annotated photo is not a JPEG: %v", err)
	}
	orig, _ := jpeg.Decode(bytes.NewReader(photo))
	if img.Bounds() != orig.Bounds() {
		t.Errorf("annotated copy is %v, the photo %v", img.Bounds(), orig.Bounds())
	}

	var confirmed inspect.AIFlag
	if st, raw := call(c, officerToken, "POST", fmt.Sprintf("/api/v1/flags/%d/confirm", flag.ID), map[string]string{"note": "motorcycle parked in the corridor"}, &confirmed); st != 200 {
		t.Fatalf("confirm: %d %s", st, raw)
	}
	var h inspect.HazardDetail
	if st, raw := call(c, officerToken, "GET", fmt.Sprintf("/api/v1/hazards/%d", confirmed.HazardID), nil, &h); st != 200 {
		t.Fatalf("hazard %d from the confirmed flag: %d %s", confirmed.HazardID, st, raw)
	}
	if h.SiteID != site.ID || h.RuleCode != item.Code || !inspect.IsOpen(h.State) {
		t.Errorf("hazard = site %d rule %s state %s; want site %d rule %s, open", h.SiteID, h.RuleCode, h.State, site.ID, item.Code)
	}

	// The replica's metrics, on their own address, tell the analysis latency, the
	// upload's bytes, the routes' latency, the pool and the queue.
	waitMetrics(t, metricsAddr, []string{
		`safegrid_job_duration_seconds_count{kind="analyse_photo",outcome="ok"} 1`,
		fmt.Sprintf(`safegrid_upload_bytes_total{kind="photo"} %d`, len(photo)),
		`safegrid_http_request_duration_seconds_count{method="PUT",route="/api/v1/photos/:uuid",status="2xx"} 1`,
		`safegrid_http_request_duration_seconds_count{method="GET",route="/api/v1/hazards/:id",status="2xx"} 1`,
		`safegrid_db_pool_max_connections{pool="api"}`,
		`safegrid_db_pool_max_connections{pool="jobs"}`,
		`safegrid_db_pool_max_connections{pool="reports"}`,
		`safegrid_jobs_queue_up 1`,
	})
	if r := c.Do("", "GET", "/metrics", nil); strings.Contains(string(r.Body), "safegrid_") {
		t.Error("the API port serves the metrics; they belong on SAFEGRID_METRICS_ADDR only")
	}
}

// waitMetrics scrapes http://addr/metrics until it holds every line of want (a job's
// histogram is recorded just after the job's transaction commits), for 10 s at most.
func waitMetrics(t *testing.T, addr string, want []string) {
	t.Helper()
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
	}
	t.Errorf("metrics lack %s", strings.Join(missing, "\n"))
}

// TestAnalysisRetriesWithoutLosingThePhoto runs the analysis worker by hand: while
// the original cannot be read the job fails with a retryable error and the photo row
// stays; once it can, the analysis and its flags are stored; running the job again
// stores nothing twice.
func TestAnalysisRetriesWithoutLosingThePhoto(t *testing.T) {
	_, images, _ := realEnv(t)
	ctx := context.Background()
	photo, err := os.ReadFile(filepath.Join(images, "skimage_middlebury_motorcycle_left.png"))
	if err != nil {
		t.Fatal(err)
	}
	det := realDetector(t)

	fx := newAnalysisFixture(t)
	started, err := fx.svc.Inspections.StartInspection(ctx, fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := corridorItem(t, started)
	sum := sha256.Sum256(photo)
	ph := inspect.Photo{ID: uuid.New(), InspectionID: fx.insp.ID, ItemCode: item.Code, SHA256: hex.EncodeToString(sum[:]),
		Type: inspect.PhotoPNG, Size: int64(len(photo)), Width: 741, Height: 500}
	if _, _, err := fx.svc.Photos.SavePhoto(ctx, fx.inspector, ph, bytes.NewReader(photo), photo); err != nil {
		t.Fatal(err)
	}

	w := jobs.NewAnalysePhotoWorker(fx.svc.Photos, det, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	job := &river.Job[jobs.AnalysePhotoArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: jobs.AnalysePhotoArgs{PhotoID: ph.ID}}

	// The original is unreadable (the object store lost it for a while).
	key := storage.PhotoKey(ph.SHA256)
	if err := fx.bucket.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	err = w.Work(ctx, job)
	var cancelled *rivertype.JobCancelError
	if err == nil || errors.As(err, &cancelled) {
		t.Fatalf("analysis of an unreadable photo: err %v; want a retryable error", err)
	}
	if target, err := fx.svc.Photos.PhotoForAnalysis(ctx, ph.ID); err != nil || target.Analysed {
		t.Fatalf("after the failed attempt: photo %+v, err %v; want the photo kept and not analysed", target, err)
	}

	// The object is back: the retry analyses it.
	if _, err := fx.bucket.Put(ctx, key, bytes.NewReader(photo), int64(len(photo)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("a second run of the same job: %v", err)
	}
	flags, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, ph.ID)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, f := range flags {
		codes[f.Code]++
	}
	if codes["two_wheeler_indoor"] != 1 {
		t.Errorf("flags after retry and rerun: %v; want exactly one two_wheeler_indoor", codes)
	}
	for code, n := range codes {
		if n != 1 {
			t.Errorf("flag %s stored %d times", code, n)
		}
	}
	if rc, _, _, err := fx.svc.Photos.OpenAnnotated(ctx, fx.inspector, ph.ID); err != nil {
		t.Errorf("annotated copy: %v", err)
	} else {
		rc.Close()
	}
}

// realEnv returns the real model's source, the photo folder and the ONNX Runtime
// library from the environment (make test sets them), and skips t, saying so,
// when any is unset.
func realEnv(t testing.TB) (modelSource, images, ortLib string) {
	t.Helper()
	modelSource, images, ortLib = os.Getenv("SAFEGRID_MODEL_SOURCE"), os.Getenv("SAFEGRID_TEST_IMAGES"), os.Getenv("SAFEGRID_ORT_LIB")
	if modelSource == "" || images == "" || ortLib == "" {
		t.Skipf("SKIPPED: needs SAFEGRID_MODEL_SOURCE (%q), SAFEGRID_TEST_IMAGES (%q) and SAFEGRID_ORT_LIB (%q): the real model, photos and runtime", modelSource, images, ortLib)
	}
	return modelSource, images, ortLib
}

// realDetector opens the real YOLOX-nano detector from realEnv's source with one
// session, closed when t ends.
func realDetector(t testing.TB) *models.Detector {
	t.Helper()
	modelSource, _, ortLib := realEnv(t)
	if err := models.InitRuntime(ortLib); err != nil {
		t.Fatal(err)
	}
	dir, err := models.Install(context.Background(), modelSource, "yolox_nano", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	det, err := models.Open(dir, models.Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { det.Close() })
	return det
}
