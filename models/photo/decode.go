package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"

	"github.com/safegrid/safegrid/inspect"
)

// ThumbnailSide is the longest side of a photo's thumbnail, in pixels.
const ThumbnailSide = 320

// ThumbnailQuality is the JPEG quality of thumbnails.
const ThumbnailQuality = 80

// Decoded is a photo decoded for one purpose: upright (its EXIF orientation
// applied, once, here) and, for a JPEG, at the smallest DCT scale that purpose
// needs. It holds a share of the decode budget until Close.
type Decoded struct {
	// Image is the upright photo, at most the photo's full size, anchored at (0,0).
	Image *image.NRGBA
	// Width and Height are the whole photo's size, upright: boxes found on Image
	// are mapped to these.
	Width, Height int
	release       func()
}

// Close gives the decode's memory back to the budget. Image must not be used
// afterwards.
func (d *Decoded) Close() {
	if d.release != nil {
		d.release()
		d.release = nil
	}
}

// Decode decodes the photo in data (JPEG, PNG or WebP, by its bytes) so that its
// longer side is at least minSide pixels where the format can decode smaller (a
// JPEG at 1/2, 1/4 or 1/8 of its size, in the DCT domain: a 12 MP phone photo for
// a 320-pixel thumbnail or a 416-pixel model input is decoded at 1/8 and never at
// full size); minSide 0 decodes at full size. PNG and WebP are decoded whole (phones
// do not take them). The result is turned upright by the photo's EXIF orientation.
//
// The decoders are this package's own: every caller can read every type an upload
// accepts. Errors are user-facing *inspect.Error values (see DecodeError); a
// decode that would take more memory than DecodeBudget is ETOOLARGE.
func Decode(data []byte, minSide int) (*Decoded, error) {
	typ, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return nil, err
	}
	x, _ := ReadEXIF(bytes.NewReader(data)) // malformed EXIF: what could be read
	var d Decoded
	switch typ {
	case inspect.PhotoJPEG:
		var info jpegInfo
		var release func()
		d.Image, info, release, err = decodeJPEG(data, minSide, x.Orientation > 1)
		d.Width, d.Height, d.release = info.width, info.height, release
	default:
		d.Image, d.release, err = decodeWhole(data, typ, x.Orientation > 1)
		if err == nil {
			d.Width, d.Height = d.Image.Rect.Dx(), d.Image.Rect.Dy()
		}
	}
	if err != nil {
		return nil, err
	}
	if x.Orientation >= 5 { // a quarter turn swaps the sides
		d.Width, d.Height = d.Height, d.Width
	}
	if x.Orientation > 1 {
		// The budget taken covers the turned copy: a decode never takes more while
		// it holds some, so that decodes cannot wait on each other for ever.
		d.Image = Upright(d.Image, x.Orientation).(*image.NRGBA)
	}
	return &d, nil
}

// chain returns a function that calls a, then b.
func chain(a, b func()) func() { return func() { a(); b() } }

// decodeWhole decodes a PNG or WebP at full size, within the decode budget (with
// room for a turned copy when turn is set).
func decodeWhole(data []byte, typ inspect.PhotoType, turn bool) (*image.NRGBA, func(), error) {
	_, w, h, err := Dimensions(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	// The decoders' own image (up to 8 bytes a pixel for a 16-bit PNG) and its
	// NRGBA copy.
	perPixel := int64(12)
	if turn {
		perPixel += 4
	}
	release, err := acquire(int64(w) * int64(h) * perPixel)
	if err != nil {
		return nil, nil, err
	}
	var img image.Image
	switch typ {
	case inspect.PhotoPNG:
		img, err = png.Decode(bytes.NewReader(data))
	case inspect.PhotoWebP:
		img, err = webp.Decode(bytes.NewReader(data))
	default:
		err = inspect.Errorf(inspect.EUNSUPPORTED, "unsupported photo type %s", typ)
	}
	if err != nil {
		release()
		return nil, nil, DecodeError(err)
	}
	return imaging.Clone(img), release, nil
}

// Upright turns img by an EXIF orientation (1–8; 0 or 1 is already upright) so that
// it shows the scene the way the camera's user saw it.
func Upright(img image.Image, orientation int) image.Image {
	if orientation < 2 || orientation >= len(uprights) {
		return img
	}
	return uprights[orientation](img)
}

// uprights turn an image of each EXIF orientation 2–8 upright.
var uprights = [...]func(image.Image) *image.NRGBA{
	2: imaging.FlipH, 3: imaging.Rotate180, 4: imaging.FlipV, 5: imaging.Transpose,
	6: imaging.Rotate270, 7: imaging.Transverse, 8: imaging.Rotate90,
}

// Thumbnail decodes the photo in data at the smallest scale that still fills
// ThumbnailSide, upright, and encodes it as a JPEG that fits ThumbnailSide. It is
// also the upload's proof that the photo is whole: every byte of the image data is
// entropy-decoded, so a truncated or corrupt photo is refused here.
func Thumbnail(data []byte) ([]byte, error) {
	d, err := Decode(data, ThumbnailSide)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var b bytes.Buffer
	if err := encodeJPEG(&b, imaging.Fit(d.Image, ThumbnailSide, ThumbnailSide, imaging.Linear), ThumbnailQuality); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return b.Bytes(), nil
}

// encodeJPEG encodes img as a JPEG at quality.
func encodeJPEG(w io.Writer, img image.Image, quality int) error {
	return jpeg.Encode(w, img, &jpeg.Options{Quality: quality})
}
