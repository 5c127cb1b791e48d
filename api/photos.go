package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
)

// putPhoto takes a photo under the client's UUID. The target is checked first;
// then the body, the photo's bytes, is streamed to a temporary file (never held
// whole in memory) with its hash and the size cap; the type is decided by the
// bytes, the pixel size is checked from the headers before any pixel is decoded,
// then the photo is decoded once at the thumbnail's size (a JPEG at 1/8 in the DCT
// domain), which proves it is whole and makes the thumbnail. Storage writes both
// objects before the row.
//
// Answers: 201 stored; 200 the same UUID with the same bytes again (the same
// body); 400 empty, truncated or corrupt; 404 target not visible; 409 the UUID
// was used for other bytes; 413 over the byte or pixel limits; 415 not JPEG, PNG or
// WebP.
func (h *v1) putPhoto(c *fiber.Ctx) error {
	limits := h.cfg.PhotoLimits
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	// Whatever the answer, read what is left of a body of reasonable size before
	// answering, so that the client reads the answer instead of a connection reset
	// (a lingering close); a larger body is cut off.
	defer io.Copy(io.Discard, io.LimitReader(body, 4*limits.MaxBytes)) //nolint:errcheck

	id, err := inspect.ParsePhotoID(c.Params("uuid"))
	if err != nil {
		return err
	}
	var target inspect.PhotoTarget
	if target.InspectionID, err = queryID(c, "inspection_id"); err != nil {
		return err
	}
	if target.HazardID, err = queryID(c, "hazard_id"); err != nil {
		return err
	}
	target.ItemCode = strings.Clone(c.Query("item_code"))
	if err := target.Validate(); err != nil {
		return err
	}
	if n := c.Request().Header.ContentLength(); n > 0 && int64(n) > limits.MaxBytes {
		return inspect.PhotoTooLarge(limits.MaxBytes)
	}
	// Who may put a photo where is decided before a byte of it is decoded.
	if err := h.cfg.Photos.CheckPhotoTarget(RequestContext(c), principal(c), target); err != nil {
		return err
	}
	in, err := receivePhoto(body, limits)
	if in != nil {
		defer in.close()
	}
	if err != nil {
		return err
	}
	if in.exifErr != nil {
		h.log.Warn("photo EXIF is malformed; stored without it", "photo", id, "err", in.exifErr)
	}
	ph := inspect.Photo{
		ID: id, InspectionID: target.InspectionID, ItemCode: target.ItemCode, HazardID: target.HazardID,
		SHA256: in.sha256, Type: in.typ, Size: in.size, Width: in.width, Height: in.height, EXIF: in.exif,
	}
	if _, err := in.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind photo: %w", err)
	}
	saved, created, err := h.cfg.Photos.SavePhoto(RequestContext(c), principal(c), ph, in.file, in.thumbnail)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
		if h.metrics != nil {
			h.metrics.AddUpload("photo", in.size)
		}
	}
	return c.Status(status).JSON(saved)
}

// receivedPhoto is an upload that passed every check, kept in a temporary file.
type receivedPhoto struct {
	file          *os.File
	sha256        string
	size          int64
	typ           inspect.PhotoType
	width, height int
	exif          inspect.EXIF
	exifErr       error
	thumbnail     []byte
}

func (p *receivedPhoto) close() {
	p.file.Close()
	os.Remove(p.file.Name())
}

// receivePhoto streams r into a temporary file, at most limits.MaxBytes, and checks
// it: not empty, a JPEG, PNG or WebP by its bytes, within the pixel limits (read
// from the headers, before decoding), and decodable to the end (at the thumbnail's
// scale). It returns the photo (to be closed by the caller, even with an error) and
// its thumbnail.
func receivePhoto(r io.Reader, limits inspect.PhotoLimits) (*receivedPhoto, error) {
	f, err := os.CreateTemp("", "safegrid-photo-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file for a photo: %w", err)
	}
	p := &receivedPhoto{file: f}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(r, limits.MaxBytes+1))
	if err != nil {
		return p, &inspect.Error{Code: inspect.EINVALID, Message: "the upload was interrupted; send the photo again", Err: err}
	}
	if n > limits.MaxBytes {
		return p, inspect.PhotoTooLarge(limits.MaxBytes)
	}
	p.size, p.sha256 = n, hex.EncodeToString(sum.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p, err
	}
	if p.typ, p.width, p.height, err = photo.Dimensions(f); err != nil {
		return p, err
	}
	if err := inspect.CheckDimensions(p.width, p.height, limits); err != nil {
		return p, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p, err
	}
	p.exif, p.exifErr = photo.ReadEXIF(f)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p, err
	}
	if p.thumbnail, err = photo.ThumbnailFile(f); err != nil {
		return p, err
	}
	return p, nil
}

// PhotoUpload is the query of PUT /photos/{uuid}: what the photo is evidence of.
type PhotoUpload struct {
	InspectionID int64  `query:"inspection_id" json:"-"`
	ItemCode     string `query:"item_code" json:"-"`
	HazardID     int64  `query:"hazard_id" json:"-"`
}

// PhotoContentQuery is GET /photos/{uuid}/content.
type PhotoContentQuery struct {
	UUID    uuid.UUID `path:"uuid" json:"-"`
	Variant string    `query:"variant" default:"original" json:"-"`
}

func (q *PhotoContentQuery) validate() error {
	if q.Variant != "original" && q.Variant != "thumb" {
		return inspect.FieldErrorf("variant", "must be original or thumb")
	}
	return nil
}

func (h *v1) getPhoto(ctx context.Context, p inspect.Principal, in ByPhoto) (inspect.Photo, error) {
	return h.cfg.Photos.Photo(ctx, p, in.UUID.String())
}

func (h *v1) photoContent(ctx context.Context, p inspect.Principal, in PhotoContentQuery) (Stream, error) {
	return openStream(ctx, func(ctx context.Context) (io.ReadCloser, string, int64, error) {
		return h.cfg.Photos.OpenPhoto(ctx, p, in.UUID.String(), in.Variant == "thumb")
	})
}

func (h *v1) annotatedPhoto(ctx context.Context, p inspect.Principal, in ByPhoto) (Stream, error) {
	return openStream(ctx, func(ctx context.Context) (io.ReadCloser, string, int64, error) {
		return h.cfg.Photos.OpenAnnotated(ctx, p, in.UUID)
	})
}
