package inspect

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// PhotoType is the media type of an accepted photo, decided by its bytes (by the
// models/photo package), never by the name or the Content-Type header the client sent.
type PhotoType string

// The accepted photo types.
const (
	PhotoJPEG PhotoType = "image/jpeg"
	PhotoPNG  PhotoType = "image/png"
	PhotoWebP PhotoType = "image/webp"
)

// Photo is one stored photo: evidence for a checklist item, proof of a
// rectification or a re-inspection picture. The original is stored under its
// SHA-256; the client's UUID makes a retried upload a no-op.
type Photo struct {
	ID           uuid.UUID `json:"id"` // chosen by the client
	InspectionID int64     `json:"inspection_id,omitempty"`
	ItemCode     string    `json:"item_code,omitempty"`
	HazardID     int64     `json:"hazard_id,omitempty"`
	SHA256       string    `json:"sha256"` // lowercase hex
	Type         PhotoType `json:"type"`
	Size         int64     `json:"size"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	EXIF         EXIF      `json:"exif"`
	UploadedBy   int64     `json:"uploaded_by"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

// ParsePhotoID parses the client's photo UUID from the URL. The nil UUID is refused:
// a client that sends it has not generated one, and every retry would collide.
func ParsePhotoID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, FieldErrorf("uuid", "must be a UUID such as 0b5c7d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e")
	}
	if id == uuid.Nil {
		return uuid.Nil, FieldErrorf("uuid", "must not be the nil UUID; generate one per photo")
	}
	return id, nil
}

// PhotoLimits are the upload limits.
type PhotoLimits struct {
	MaxBytes  int64 // size of the upload
	MaxSide   int   // width or height, in pixels
	MaxPixels int64 // width × height
}

// DefaultPhotoLimits returns 20 MiB, 20 000 pixels a side and 50 megapixels: above
// any phone camera's normal output, far below what it takes to exhaust memory
// (50 MP decode to 200 MB of RGBA).
func DefaultPhotoLimits() PhotoLimits {
	return PhotoLimits{MaxBytes: 20 << 20, MaxSide: 20000, MaxPixels: 50_000_000}
}

// PhotoTooLarge returns the ETOOLARGE error for an upload over maxBytes.
func PhotoTooLarge(maxBytes int64) error {
	return Errorf(ETOOLARGE, "the photo is larger than %s; send a smaller one", formatBytes(maxBytes))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckDimensions checks the pixel size read from a photo's headers against the
// limits: a side or an area over the limit is an ETOOLARGE *Error naming the
// dimensions; a zero or negative side is EINVALID.
func CheckDimensions(width, height int, l PhotoLimits) error {
	if width <= 0 || height <= 0 {
		return Errorf(EINVALID, "the photo declares %d×%d pixels; it is corrupt", width, height)
	}
	if width > l.MaxSide || height > l.MaxSide || int64(width)*int64(height) > l.MaxPixels {
		return Errorf(ETOOLARGE, "the photo is %d×%d pixels; the limit is %d pixels a side and %s pixels in all",
			width, height, l.MaxSide, megapixels(l.MaxPixels))
	}
	return nil
}

func megapixels(n int64) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%d million", n/1_000_000)
	}
	return fmt.Sprintf("%d", n)
}

// EXIF is what SafeGrid reads from a photo's EXIF data: when it was taken, where,
// and how it must be turned to be shown upright. Absent values are zero.
type EXIF struct {
	// TakenAt is DateTimeOriginal (or DateTimeDigitized when that is missing).
	// When TakenAtZoneKnown, it carries the offset the camera recorded
	// (OffsetTimeOriginal); otherwise it is the camera's wall clock read as UTC,
	// and TakenIn gives it the deployment's zone.
	TakenAt          time.Time `json:"taken_at,omitzero"`
	TakenAtZoneKnown bool      `json:"taken_at_zone_known,omitempty"`
	// HasGPS is true when the photo carries a usable GPS position (0, 0 counts as
	// none: it is what a phone writes without a fix).
	HasGPS bool    `json:"has_gps,omitempty"`
	Lat    float64 `json:"lat,omitempty"`
	Lng    float64 `json:"lng,omitempty"`
	// Orientation is the EXIF orientation 1–8 (1 = upright), 0 when absent.
	Orientation int `json:"orientation,omitempty"`
}

// TakenIn returns TakenAt, reading the camera's wall clock in loc when the photo did
// not record its offset. Zero when the photo has no time.
func (x EXIF) TakenIn(loc *time.Location) time.Time {
	if x.TakenAt.IsZero() || x.TakenAtZoneKnown {
		return x.TakenAt
	}
	t := x.TakenAt
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}
