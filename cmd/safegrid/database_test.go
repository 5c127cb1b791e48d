package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/seed"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// TestSeedDemoAndAuditVerify seeds the demo district, checks that it holds every
// level, site type, inspection status and hazard state, that `audit verify` passes
// on it, and that it names the event after a direct SQL update of one.
func TestSeedDemoAndAuditVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := storagetest.NewDB(t)
	bucket := storagetest.NewBucket(t)
	s3 := storagetest.ObjectStoreConfig(t)
	env := map[string]string{
		"DATABASE_URL": url, "SAFEGRID_S3_ENDPOINT": s3.Endpoint, "SAFEGRID_S3_ACCESS_KEY": s3.AccessKey,
		"SAFEGRID_S3_SECRET_KEY": s3.SecretKey, "SAFEGRID_S3_BUCKET": bucket.Bucket(),
	}

	env["SAFEGRID_HTTP_ADDR"] = "127.0.0.1:9137"
	code, out, errOut := runCmd(t, env, "seed-demo")
	if code != 0 || !strings.Contains(out, "seeded a demo district") || !strings.Contains(out, seed.InspectorPassword) {
		t.Fatalf("seed-demo: exit %d\n%s\n%s", code, out, errOut)
	}
	// The hint names the address the server will listen on, not a default.
	if !strings.Contains(out, "http://127.0.0.1:9137/") || strings.Contains(out, "8080") {
		t.Errorf("seed-demo's hint does not follow SAFEGRID_HTTP_ADDR=127.0.0.1:9137:\n%s", out)
	}

	count := func(sql string, args ...any) []string {
		t.Helper()
		rows, err := db.Pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return vals
	}
	levels := count(`SELECT level || '=' || count(*) FROM units GROUP BY level ORDER BY level`)
	if want := []string{"community=4", "district=1", "grid=12", "subdistrict=2"}; !slices.Equal(levels, want) {
		t.Errorf("units %v, want %v", levels, want)
	}
	types := count(`SELECT DISTINCT type FROM sites ORDER BY type`)
	if len(types) != len(checklists.SiteTypes) {
		t.Errorf("site types %v, want all %d", types, len(checklists.SiteTypes))
	}
	if n := count(`SELECT count(*)::text FROM sites`); n[0] < "200" || len(n[0]) != 3 {
		t.Errorf("%s sites, want about 200", n[0])
	}
	roles := count(`SELECT DISTINCT role FROM users ORDER BY role`)
	if len(roles) != 5 {
		t.Errorf("roles %v, want all five", roles)
	}
	// The agencies have a hazard of their field each, and the gas company acted.
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gas", "electrical"} {
		f, _ := rules.Field(name)
		if n := count(`SELECT count(*)::text FROM hazards WHERE rule_code = ANY($1)`, f.Rules); n[0] == "0" {
			t.Errorf("no %s hazard in the demo for its agency", name)
		}
	}
	if n := count(`SELECT payload->>'action' FROM hazard_events WHERE kind = 'agency_action'`); !slices.Equal(n, []string{"supply_cut_off"}) {
		t.Errorf("agency actions of the demo %v, want the gas company's supply_cut_off", n)
	}
	statuses := count(`SELECT DISTINCT status FROM inspections ORDER BY status`)
	if len(statuses) != 4 {
		t.Errorf("inspection statuses %v, want all four", statuses)
	}
	// The README's demo login has something to do today: every inspector has an
	// inspection assigned and due within the day.
	if n := count(`SELECT count(*)::text FROM users u WHERE u.role = 'inspector' AND NOT EXISTS (
		SELECT 1 FROM inspections i WHERE i.inspector_id = u.id AND i.status = 'assigned' AND i.due < now() + interval '1 day')`); n[0] != "0" {
		t.Errorf("%s inspectors (of inspector01 … inspector12) have no inspection to do today", n[0])
	}
	states := count(`SELECT DISTINCT state FROM hazards ORDER BY state`)
	for _, s := range append(inspect.OpenStates(), inspect.StateClosedFixed, inspect.StateClosedOnSpot, inspect.StateWithdrawn) {
		if !slices.Contains(states, string(s)) {
			t.Errorf("no hazard is %s (states: %v)", s, states)
		}
	}

	// The determinations are collective: the one under way has its panel of three,
	// the concluded one three ballots, and the major hazard is under listed supervision.
	dets := count(`SELECT cardinality(participants) || '/' || jsonb_array_length(ballots) || '/' || conclusion
		FROM determinations ORDER BY id`)
	if want := []string{"3/0/", "3/3/major"}; !slices.Equal(dets, want) {
		t.Errorf("determinations (participants/ballots/conclusion) %v, want %v", dets, want)
	}
	if n := count(`SELECT count(*)::text FROM listed_supervisions`); n[0] != "1" {
		t.Errorf("%s listed supervisions, want 1", n[0])
	}
	// Every open hazard has its deadline job for the scheduler of serve to run.
	if n := count(`SELECT count(*)::text FROM hazards h WHERE h.state = ANY($1) AND NOT EXISTS (
		SELECT 1 FROM river_job j WHERE j.kind = 'hazard_deadline' AND (j.args->>'hazard_id')::bigint = h.id)`,
		inspect.OpenStates()); n[0] != "0" {
		t.Errorf("%s open hazards without a deadline job", n[0])
	}

	code, out, _ = runCmd(t, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "every chain verifies") || !strings.Contains(out, "KPI rollups") {
		t.Fatalf("audit verify on the demo data: exit %d\n%s", code, out)
	}
	// A KPI rollup that drifted from the hazards is caught too.
	if _, err := db.Pool.Exec(ctx, `UPDATE kpi_day SET received = received + 1 WHERE (grid_id, day) = (SELECT grid_id, day FROM kpi_day LIMIT 1)`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(out, "BROKEN: KPI rollups: 2 rows differ") {
		t.Errorf("audit verify after changing a KPI rollup: exit %d, want 1 naming the day and its month:\n%s", code, out)
	}
	if _, err := db.Pool.Exec(ctx, `SELECT kpi_rebuild()`); err != nil {
		t.Fatal(err)
	}

	// A second seed refuses; --if-empty skips and still says how to log in.
	if code, _, _ := runCmd(t, env, "seed-demo"); code != 1 {
		t.Errorf("second seed-demo: exit %d, want 1", code)
	}
	code, out, _ = runCmd(t, env, "seed-demo", "--if-empty")
	if code != 0 || !strings.Contains(out, "not seeding") || !strings.Contains(out, seed.AdminPassword) {
		t.Errorf("seed-demo --if-empty: exit %d\n%s", code, out)
	}

	// Tamper with one event of a hazard with several.
	var hazardID int64
	if err := db.Pool.QueryRow(ctx, `SELECT hazard_id FROM hazard_events WHERE seq = 3 ORDER BY hazard_id LIMIT 1`).Scan(&hazardID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE hazard_events SET payload = jsonb_set(payload, '{note}', '"nothing was found"') WHERE hazard_id = $1 AND seq = 2`, hazardID); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, env, "audit", "verify")
	want := fmt.Sprintf("hazard %d, event 2: hash mismatch", hazardID)
	if code != 1 || !strings.Contains(out, want) || strings.Count(out, "BROKEN") != 1 {
		t.Errorf("audit verify after tampering: exit %d, want 1 naming %q:\n%s", code, want, out)
	}

	// Deleting the newest event is caught by the head on the hazard row.
	if _, err := db.Pool.Exec(ctx, `UPDATE hazard_events SET payload = jsonb_set(payload, '{note}', '"nothing was found"') WHERE hazard_id = $1 AND seq = 2`, hazardID); err != nil {
		t.Fatal(err)
	}
	var lastHazard, lastSeq int64
	if err := db.Pool.QueryRow(ctx, `SELECT hazard_id, max(seq) FROM hazard_events WHERE hazard_id <> $1 GROUP BY hazard_id HAVING max(seq) > 1 ORDER BY hazard_id LIMIT 1`, hazardID).Scan(&lastHazard, &lastSeq); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM hazard_events WHERE hazard_id = $1 AND seq = $2`, lastHazard, lastSeq); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(out, fmt.Sprintf("hazard %d, event %d: the chain ends at event %d", lastHazard, lastSeq, lastSeq-1)) {
		t.Errorf("audit verify after deleting the newest event of hazard %d: exit %d\n%s", lastHazard, code, out)
	}
}

// TestDatasetExport reviews two analysed photos — one flag confirmed, one rejected —
// and checks the YOLO data set: both images, a label line for the confirmed box only
// (class id and normalised box), an empty label file for the rejected photo, the
// model's class list and every decision with its reason.
func TestDatasetExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newAnalysisFixture(t)
	started, err := fx.svc.Inspections.StartInspection(ctx, fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := corridorItem(t, started)
	admin := fx.admin

	// A photo of 200×100 with a motorcycle box covering its left half.
	analysed := func(shade uint8) (uuid.UUID, int64) {
		img := image.NewRGBA(image.Rect(0, 0, 200, 100))
		for i := range img.Pix {
			img.Pix[i] = shade
		}
		img.Set(0, 0, color.RGBA{R: 255, A: 255})
		b := phototest.Encode(t, img, 75)
		sum := sha256.Sum256(b)
		ph := inspect.Photo{ID: uuid.New(), InspectionID: fx.insp.ID, ItemCode: item.Code, SHA256: hex.EncodeToString(sum[:]),
			Type: inspect.PhotoJPEG, Size: int64(len(b)), Width: 200, Height: 100}
		if _, _, err := fx.svc.Photos.SavePhoto(ctx, fx.inspector, ph, bytes.NewReader(b), b); err != nil {
			t.Fatal(err)
		}
		dets := json.RawMessage(`[{"class":"motorcycle","class_id":3,"score":0.9,"box":{"x1":0,"y1":20,"x2":100,"y2":100}},
			{"class":"person","class_id":0,"score":0.8,"box":{"x1":150,"y1":0,"x2":200,"y2":100}}]`)
		flag := inspect.AIFlag{Code: "two_wheeler_indoor", Status: "flag", Score: 0.9, Reason: "motorcycle in a corridor photo",
			Boxes: []inspect.FlagBox{{Class: "motorcycle", Score: 0.9, X1: 0, Y1: 20, X2: 100, Y2: 100}}}
		a := storage.Analysis{PhotoID: ph.ID, ModelName: "yolox_nano", ModelSHA256: strings.Repeat("ef", 32), Width: 200, Height: 100,
			Detections: dets, AnalysedAt: time.Now()}
		a.Annotated = b
		if err := fx.svc.Photos.SaveAnalysis(ctx, a, fx.site.ID, item.Code, []inspect.AIFlag{flag}); err != nil {
			t.Fatal(err)
		}
		flags, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, ph.ID)
		if err != nil || len(flags) != 1 {
			t.Fatalf("flags: %v, %v", flags, err)
		}
		return ph.ID, flags[0].ID
	}
	confirmedPhoto, confirmedFlag := analysed(90)
	rejectedPhoto, rejectedFlag := analysed(160)
	if _, err := fx.svc.Flags.ReviewFlag(ctx, admin, confirmedFlag, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Flags.ReviewFlag(ctx, admin, rejectedFlag, false, "a parked wheelchair"); err != nil {
		t.Fatal(err)
	}
	analysed(200) // pending: not exported

	out := t.TempDir()
	env := map[string]string{
		"DATABASE_URL": fx.dbURL, "SAFEGRID_S3_ENDPOINT": os.Getenv("SAFEGRID_S3_ENDPOINT"),
		"SAFEGRID_S3_BUCKET": fx.bucket.Bucket(),
	}
	var stdout, stderr bytes.Buffer
	re := &runEnv{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	if code := runMain(ctx, re, []string{"dataset", "export", out}); code != 0 {
		t.Fatalf("dataset export: exit %d, %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exported 2 reviewed photos with 1 confirmed boxes") {
		t.Errorf("summary %q", stdout.String())
	}

	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read("labels/"+confirmedPhoto.String()+".txt"), "3 0.250000 0.600000 0.500000 0.800000\n"; got != want {
		t.Errorf("label of the confirmed photo = %q, want %q (the motorcycle only, not the person)", got, want)
	}
	if got := read("labels/" + rejectedPhoto.String() + ".txt"); got != "" {
		t.Errorf("label of the rejected photo = %q, want empty", got)
	}
	for _, id := range []uuid.UUID{confirmedPhoto, rejectedPhoto} {
		if _, err := jpeg.Decode(strings.NewReader(read("images/" + id.String() + ".jpg"))); err != nil {
			t.Errorf("exported image %s: %v", id, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(out, "images"))
	if len(entries) != 2 {
		t.Errorf("%d images exported, want 2 (the pending flag's photo is not reviewed)", len(entries))
	}
	if y := read("data.yaml"); !strings.Contains(y, "nc: 80\n") || !strings.Contains(y, `  3: "motorcycle"`) || !strings.Contains(y, "train: images") {
		t.Errorf("data.yaml is not what a YOLO trainer reads:\n%s", y)
	}
	classes := strings.Split(strings.TrimSpace(read("classes.txt")), "\n")
	if len(classes) != 80 || classes[3] != "motorcycle" {
		t.Errorf("classes.txt has %d classes, class 3 %q; want COCO's 80 with motorcycle at 3", len(classes), classes[3])
	}
	var decisions []map[string]any
	sc := bufio.NewScanner(strings.NewReader(read("decisions.jsonl")))
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		decisions = append(decisions, d)
	}
	if len(decisions) != 2 || decisions[0]["review"] != "confirmed" || decisions[1]["review"] != "rejected" || decisions[1]["reason"] != "a parked wheelchair" {
		t.Errorf("decisions = %v", decisions)
	}
}
