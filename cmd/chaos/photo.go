package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// photos makes 12-megapixel JPEGs: a few are encoded at start, and each upload is
// one of them with a comment segment of its own after the start marker, so every
// upload has distinct bytes (and SHA-256) without encoding 12 MP each time.
type photos struct {
	bases [][]byte
}

func newPhotos(n int) (*photos, error) {
	p := &photos{}
	for i := range n {
		m := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
		r := rand.New(rand.NewPCG(uint64(i), 7))
		for y := range 3000 {
			for x := range 4000 {
				m.Y[m.YOffset(x, y)] = uint8((x/7+y/5+i*40)%256) ^ uint8(r.IntN(24))
			}
		}
		for y := range 1500 {
			for x := range 2000 {
				c := color.YCbCr{Cb: uint8(x / 8), Cr: uint8(y/6 + i*30)}
				m.Cb[y*m.CStride+x], m.Cr[y*m.CStride+x] = c.Cb, c.Cr
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 80}); err != nil {
			return nil, err
		}
		p.bases = append(p.bases, b.Bytes())
	}
	return p, nil
}

// next returns a distinct 12 MP JPEG and its SHA-256 (hex).
func (p *photos) next(tag string) ([]byte, string) {
	base := p.bases[rand.IntN(len(p.bases))]
	com := []byte("chaos " + tag)
	seg := []byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}
	out := make([]byte, 0, len(base)+len(seg)+len(com))
	out = append(out, base[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, com...)
	out = append(out, base[2:]...)
	sum := sha256.Sum256(out)
	return out, hex.EncodeToString(sum[:])
}
