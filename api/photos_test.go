package api_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image/jpeg"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
	"github.com/safegrid/safegrid/storage"
)

// pngDeclaring returns a valid PNG signature and header chunk declaring w×h pixels,
// and no pixel data: a decompression bomb's calling card.
func pngDeclaring(w, h uint32) []byte {
	var ihdr bytes.Buffer
	binary.Write(&ihdr, binary.BigEndian, w)
	binary.Write(&ihdr, binary.BigEndian, h)
	ihdr.Write([]byte{8, 2, 0, 0, 0}) // 8-bit RGB
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(ihdr.Len()))
	b.WriteString("IHDR")
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr.Bytes()...)))
	return b.Bytes()
}

// TestPhotoUploads sends each kind of bad (and repeated) upload and checks its
// documented status and message, and that afterwards no photo row lacks its
// objects and no object lacks its row.
func TestPhotoUploads(t *testing.T) {
	t.Parallel()
	w := setup(t)
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)
	item := d.Items[0].Code
	path := func(id string) string {
		return fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", id, d.ID, item)
	}
	good := jpegPhoto(t)
	big := make([]byte, 25<<20)
	copy(big, good)
	repeated := uuid.New().String()
	tests := []struct {
		name       string
		id         string
		body       []byte
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"empty", uuid.New().String(), []byte{}, 400, inspect.EINVALID, "the photo is empty"},
		{"truncated jpeg", uuid.New().String(), good[:len(good)/2], 400, inspect.EINVALID, "truncated or corrupt"},
		{"html named .jpg", uuid.New().String(), []byte("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"), 415, inspect.EUNSUPPORTED, "looks like HTML"},
		{"png declaring 30000x30000", uuid.New().String(), pngDeclaring(30000, 30000), 413, inspect.ETOOLARGE, "30000×30000 pixels"},
		{"25 MiB", uuid.New().String(), big, 413, inspect.ETOOLARGE, "larger than 20 MiB"},
		{"not a uuid", "photo-1.jpg", good, 400, inspect.EINVALID, "must be a UUID"},
		{"first upload", repeated, good, 201, "", ""},
		{"same uuid, same bytes", repeated, good, 200, "", ""},
		{"same uuid, other bytes", repeated, jpegPhoto(t), 409, inspect.ECONFLICT, "already uploaded with other content"},
	}
	var first []byte
	for _, tt := range tests {
		r := w.do(token, "PUT", path(tt.id), tt.body)
		if r.Status != tt.wantStatus {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.Status, r.Body, tt.wantStatus)
			continue
		}
		if tt.wantCode != "" {
			e := r.ErrorBody(t)
			if e.Error != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("%s: error %q %q, want %q mentioning %q", tt.name, e.Error, e.Message, tt.wantCode, tt.wantMsg)
			}
		}
		switch tt.name {
		case "first upload":
			first = r.Body
			var ph inspect.Photo
			if err := json.Unmarshal(r.Body, &ph); err != nil || ph.ID.String() != repeated || ph.Width != 64 || ph.Height != 48 || ph.Type != inspect.PhotoJPEG {
				t.Errorf("stored photo %s (%v)", r.Body, err)
			}
		case "same uuid, same bytes":
			if !bytes.Equal(r.Body, first) {
				t.Errorf("retry answered %s, want the first answer %s", r.Body, first)
			}
		}
		w.checkPhotoConsistency(t)
	}
	var rows int
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM photos`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("%d photo rows (%v), want 1: only the accepted upload", rows, err)
	}
	keys, err := w.objects.Keys(w.ctx, "")
	if err != nil || len(keys) != 2 {
		t.Errorf("objects %v (%v), want the original and its thumbnail", keys, err)
	}
	// Both objects can be read back through the API.
	for _, variant := range []string{"original", "thumb"} {
		r := w.do(token, "GET", fmt.Sprintf("/api/v1/photos/%s/content?variant=%s", repeated, variant), nil)
		if r.Status != 200 || len(r.Body) == 0 || r.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("%s: status %d, %d bytes, %s", variant, r.Status, len(r.Body), r.Header.Get("Content-Type"))
		}
		if variant == "original" && !bytes.Equal(r.Body, good) {
			t.Errorf("original read back differs from the upload")
		}
	}
}

// TestPhotoRowFailureLeavesNoObject makes the transaction that inserts the row fail
// after both objects were written (the analysis-job hook errors) and checks that
// the objects are removed again, and that a retry then succeeds.
func TestPhotoRowFailureLeavesNoObject(t *testing.T) {
	t.Parallel()
	w := setup(t)
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)
	id := uuid.New().String()
	path := fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", id, d.ID, d.Items[0].Code)
	photo := jpegPhoto(t)

	w.queue.photoInserted = func(storage.PhotoRecord) error { return errors.New("job queue unavailable") }
	if r := w.do(token, "PUT", path, photo); r.Status != 500 {
		t.Fatalf("upload with a failing hook: status %d, want 500", r.Status)
	}
	if keys, err := w.objects.Keys(w.ctx, ""); err != nil || len(keys) != 0 {
		t.Errorf("objects left after the failed upload: %v (%v)", keys, err)
	}
	w.checkPhotoConsistency(t)

	var hooked []string
	w.queue.photoInserted = func(p storage.PhotoRecord) error {
		hooked = append(hooked, fmt.Sprintf("%s site=%d item=%s location=%q", p.ID, p.SiteID, p.ItemCode, p.Location))
		return nil
	}
	if r := w.do(token, "PUT", path, photo); r.Status != 201 {
		t.Fatalf("retry: status %d, want 201", r.Status)
	}
	want := fmt.Sprintf("%s site=%d item=%s location=%q", id, w.own.site.ID, d.Items[0].Code, d.Items[0].Location)
	if len(hooked) != 1 || hooked[0] != want {
		t.Errorf("hook saw %v, want [%s]", hooked, want)
	}
	// A photo for an item that is not on the checklist is refused before anything
	// is written.
	if r := w.do(token, "PUT", fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=NOPE-1", uuid.New(), d.ID), jpegPhoto(t)); r.Status != 404 {
		t.Errorf("unknown item: status %d, want 404", r.Status)
	}
	w.checkPhotoConsistency(t)
}

// webpFrameOverCanvas is the 368-byte probe of issue #11 in spirit: a VP8X canvas of
// 100×100 whose VP8 frame header says 16383×16383.
func webpFrameOverCanvas() []byte {
	chunk := func(fourcc string, data []byte) []byte {
		out := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		return append(out, data...)
	}
	vp8x := []byte{0, 0, 0, 0, 99, 0, 0, 99, 0, 0}
	vp8 := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f}
	vp8 = append(vp8, make([]byte, 330)...)
	body := append([]byte("WEBP"), chunk("VP8X", vp8x)...)
	body = append(body, chunk("VP8 ", vp8)...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// peakGrowth runs f and returns how far the Go heap and the process's resident
// memory rose above where they were before it, at their highest.
func peakGrowth(t *testing.T, f func()) (heap, rss int64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := int64(ms.HeapAlloc)
	rss0 := procStatus(t, "VmRSS")
	// Reset the peak resident size (VmHWM) to the current one.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset the peak RSS: %v", err)
	}
	var peakHeap atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if h := int64(ms.HeapAlloc); h > peakHeap.Load() {
				peakHeap.Store(h)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peakHeap.Load() - heap0, procStatus(t, "VmHWM") - rss0
}

// procStatus reads a size in bytes from /proc/self/status.
func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestHostileUploadsStayWithinMemory sends the decoder bombs of issue #11 — a WebP
// whose frame is far larger than its canvas and a progressive JPEG declaring 49 MP —
// first to a target that does not exist (the answer must be 404: the target is
// checked before any decoding) and then to a real one (refused), and measures how
// far the server's heap and resident memory rise for each upload: under 64 MB.
// Not parallel: the memory of other tests would count.
func TestHostileUploadsStayWithinMemory(t *testing.T) {
	w := setup(t)
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)
	tests := []struct {
		name       string
		body       []byte
		wantStatus int
		wantCode   string
	}{
		{"webp frame 16383×16383 in a 100×100 canvas", webpFrameOverCanvas(), 400, inspect.EINVALID},
		{"progressive jpeg declaring 7000×7000", phototest.ProgressiveDeclaring(t, 7000, 7000), 413, inspect.ETOOLARGE},
	}
	const limit = 64 << 20
	for _, tt := range tests {
		for _, target := range []struct {
			query  string
			status int
		}{
			{"inspection_id=999999999&item_code=x", 404},
			{fmt.Sprintf("inspection_id=%d&item_code=%s", d.ID, d.Items[0].Code), tt.wantStatus},
		} {
			var r response
			heap, rss := peakGrowth(t, func() {
				r = w.do(token, "PUT", "/api/v1/photos/"+uuid.NewString()+"?"+target.query, tt.body)
			})
			t.Logf("%s → %d: heap +%.1f MB, RSS +%.1f MB", tt.name, r.Status, float64(heap)/(1<<20), float64(rss)/(1<<20))
			if r.Status != target.status {
				t.Errorf("%s to %s: status %d (%s), want %d", tt.name, target.query, r.Status, r.Body, target.status)
			}
			if target.status != 404 && r.ErrorBody(t).Error != tt.wantCode {
				t.Errorf("%s: %s, want %s", tt.name, r.Body, tt.wantCode)
			}
			if heap > limit || rss > limit {
				t.Errorf("%s: heap +%d MB, RSS +%d MB; want both under 64 MB", tt.name, heap>>20, rss>>20)
			}
		}
	}
}

// TestTwelveMegapixelUploads: a 12 MP phone photo with EXIF orientation 6 is
// stored with an upright thumbnail; the same photo truncated is 400, and a JPEG
// whose header claims 30000×30000 is 413, as they always were.
func TestTwelveMegapixelUploads(t *testing.T) {
	t.Parallel()
	w := setup(t)
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)
	path := func(id string) string {
		return fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", id, d.ID, d.Items[0].Code)
	}
	data := phototest.PhoneJPEG(t)
	for _, tt := range []struct {
		name   string
		body   []byte
		status int
		msg    string
	}{
		{"truncated 12 MP", data[:len(data)*2/3], 400, "truncated or corrupt"},
		{"header claims 30000×30000", phototest.WithFrameSize(t, jpegPhoto(t), 30000, 30000), 413, "30000×30000 pixels"},
	} {
		r := w.do(token, "PUT", path(uuid.NewString()), tt.body)
		if r.Status != tt.status || !strings.Contains(r.ErrorBody(t).Message, tt.msg) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tt.name, r.Status, r.Body, tt.status, tt.msg)
		}
	}
	id := uuid.NewString()
	if r := w.do(token, "PUT", path(id), data); r.Status != 201 {
		t.Fatalf("12 MP upload: %d %s", r.Status, r.Body)
	}
	r := w.do(token, "GET", "/api/v1/photos/"+id+"/content?variant=thumb", nil)
	thumb, err := jpeg.Decode(bytes.NewReader(r.Body))
	if r.Status != 200 || err != nil {
		t.Fatalf("thumbnail: %d, %v", r.Status, err)
	}
	b := thumb.Bounds()
	if b.Dx() != 240 || b.Dy() != 320 {
		t.Errorf("thumbnail %v, want 240×320: upright and fitting 320", b)
	}
	if !phototest.RedOnTop(thumb) {
		t.Error("thumbnail: want red on top (orientation 6 applied)")
	}
}

// TestSweepOrphanPhotos leaves behind what a crash between an upload's object writes
// and its commit would — the upload's record and its two objects, no row — and checks
// that a committed upload leaves no record, that the sweeper spares unfinished uploads
// younger than the grace and uploads whose bytes a row uses, and deletes exactly the
// crashed upload's objects.
func TestSweepOrphanPhotos(t *testing.T) {
	t.Parallel()
	w := setup(t)
	_, photo := w.hazard(w.own) // committed uploads leave no record behind
	if n := w.count(`SELECT count(*) FROM photo_uploads`); n != 0 {
		t.Fatalf("%d upload records after committed uploads, want 0", n)
	}
	var usedSHA string
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT sha256 FROM photos WHERE id = $1`, photo).Scan(&usedSHA); err != nil {
		t.Fatal(err)
	}

	crashedSHA := strings.Repeat("0f", 32)
	orphans := []string{storage.PhotoKey(crashedSHA), storage.ThumbKey(crashedSHA)}
	for _, k := range orphans {
		b := jpegPhoto(t)
		if _, err := w.objects.Put(w.ctx, k, bytes.NewReader(b), int64(len(b)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	for _, u := range []struct {
		sha     string
		started time.Time
	}{
		{crashedSHA, twoHoursAgo},
		{usedSHA, twoHoursAgo},                 // crashed, but the same bytes were stored by another upload
		{strings.Repeat("1e", 32), time.Now()}, // still in flight
	} {
		if _, err := w.db.Pool.Exec(w.ctx, `INSERT INTO photo_uploads (photo_id, sha256, started_at) VALUES ($1, $2, $3)`, uuid.New(), u.sha, u.started); err != nil {
			t.Fatal(err)
		}
	}

	deleted, err := w.svc.Photos.SweepOrphanPhotos(w.ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	slices.Sort(orphans)
	if diff := cmp.Diff(orphans, deleted); diff != "" {
		t.Errorf("sweep deleted other objects than exactly the crashed upload's (-want +got):\n%s", diff)
	}
	if n := w.count(`SELECT count(*) FROM photo_uploads`); n != 1 {
		t.Errorf("%d upload records after the sweep, want only the one in flight", n)
	}
	w.checkPhotoConsistency(t) // every row still has both objects, no object lacks a row
	if r := w.do(w.login(w.admin), "GET", "/api/v1/photos/"+photo+"/content", nil); r.Status != 200 {
		t.Errorf("the photo in use after the sweep: %d", r.Status)
	}
}

// count runs a counting query on the world's database.
func (w *world) count(sql string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Pool.QueryRow(w.ctx, sql, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}
