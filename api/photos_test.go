package api_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
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
