package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
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

// TestUnreadCountETag: the bell's poll answers 304 to its own ETag while nothing
// changes, and a new ETag with the new figures when a notification arrives, when
// one is read, and when both happen between two polls (the count is unchanged
// then, the newest id is not); someone else's notification changes nothing; only
// the 100 newest are counted.
func TestUnreadCountETag(t *testing.T) {
	t.Parallel()
	w := setup(t)
	me, other := w.own.inspector, w.other.inspector
	token := w.login(me)
	seq := 0
	arrive := func(u inspect.User) int64 {
		t.Helper()
		seq++
		n, _, err := w.svc.Notifications.Enqueue(w.ctx, inspect.Notification{UserID: u.ID, Channel: inspect.ChannelInApp, Kind: inspect.KindReinspectionDue,
			DedupKey: fmt.Sprintf("hazard:%d:reinspect", seq), TextZH: "复查到期", TextEN: "Re-inspection due"})
		if err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	read := func(id int64) {
		t.Helper()
		if err := w.svc.Notifications.MarkNotificationRead(w.ctx, w.principal(me), id); err != nil {
			t.Fatal(err)
		}
	}
	etag := ""
	// poll asks as the bell does and checks the answer: 304 without a body when
	// want is nil, else 200 with want and an ETag other than the last one.
	poll := func(step string, want *api.UnreadCount) {
		t.Helper()
		var header []string
		if etag != "" {
			header = []string{"If-None-Match", etag}
		}
		r := w.do(token, "GET", "/api/v1/notifications/unread", nil, header...)
		if want == nil {
			if r.Status != 304 || len(r.Body) != 0 {
				t.Errorf("%s: status %d, body %q; want 304 without a body", step, r.Status, r.Body)
			}
			return
		}
		var got api.UnreadCount
		if r.Status != 200 || jsonUnmarshal(r.Body, &got) != nil || got != *want {
			t.Errorf("%s: status %d, body %s; want 200 with %+v", step, r.Status, r.Body, *want)
		}
		if e := r.Header.Get("ETag"); e == "" || e == etag {
			t.Errorf("%s: ETag %q after %q; want a new one", step, e, etag)
		} else {
			etag = e
		}
	}
	poll("nothing yet", &api.UnreadCount{})
	poll("nothing new", nil)
	first := arrive(me)
	poll("one arrived", &api.UnreadCount{Unread: 1, NewestID: first})
	poll("nothing new after it", nil)
	read(first)
	poll("it was read", &api.UnreadCount{Unread: 0, NewestID: first})
	second := arrive(me)
	poll("another arrived", &api.UnreadCount{Unread: 1, NewestID: second})
	read(second)
	third := arrive(me)
	poll("one read and one arrived between two polls", &api.UnreadCount{Unread: 1, NewestID: third})
	arrive(other)
	poll("someone else's arrived", nil)
	var newest int64
	for range 100 {
		newest = arrive(me)
	}
	poll("101 unread", &api.UnreadCount{Unread: 100, NewestID: newest})
	read(third)
	poll("the oldest unread, beyond the 100 newest, was read", nil)
}
