package api_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

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
