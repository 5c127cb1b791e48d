package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
)

// screensMatrix is the authorization of the routes the web app's screens use
// (screens.go).
func screensMatrix() []matrixRoute {
	const p = "/api/v1"
	return []matrixRoute{
		{"GET /api/v1/inspections/:id/photos", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/inspections/%d/photos", p, w.assigned(s).ID), nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(404), same(401)}},
		{"GET /api/v1/notifications/unread", func(w *world, s *scope, n int) request { return request{"GET", p + "/notifications/unread", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}},
		{"GET /api/v1/hazards/:id/people", onHazard("GET", "/people", nil), [actors][2]int{same(200), ownOnly(200), ownOnly(200), ownOnly(200), same(401)}},
		{"POST /api/v1/hazards/:id/acknowledgement", onHazard("POST", "/acknowledgement", map[string]string{"document": "notice", "name": "Zhang", "signature": signaturePNG()}), [actors][2]int{same(403), same(403), same(403), ownOnly(200), same(401)}},
	}
}

// signaturePNG is a small PNG data URL, as the signature pad sends.
func signaturePNG() string {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 30, 10))); err != nil {
		panic(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}
