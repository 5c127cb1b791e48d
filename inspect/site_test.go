package inspect_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

func TestSiteValidate(t *testing.T) {
	valid := inspect.Site{
		Name: "如家酒店 (Wuhou branch)", Type: "hotel", Address: "浆洗街 12 号",
		Lat: 30.6415, Lng: 104.0436, GridID: 4,
		Profile: json.RawMessage(`{"floors": 5}`), MerchantIDs: []int64{40, 41},
	}
	tests := []struct {
		name      string
		edit      func(s *inspect.Site)
		wantField string
	}{
		{"valid", func(s *inspect.Site) {}, ""},
		{"no profile yet", func(s *inspect.Site) { s.Profile = nil }, ""},
		{"southern, western extremes", func(s *inspect.Site) { s.Lat, s.Lng = -90, -180 }, ""},
		{"blank name", func(s *inspect.Site) { s.Name = " \t" }, "name"},
		{"name too long", func(s *inspect.Site) { s.Name = strings.Repeat("店", 201) }, "name"},
		{"no type", func(s *inspect.Site) { s.Type = "" }, "type"},
		{"type with spaces", func(s *inspect.Site) { s.Type = "small shop" }, "type"},
		{"blank address", func(s *inspect.Site) { s.Address = "" }, "address"},
		{"latitude over 90", func(s *inspect.Site) { s.Lat = 90.0001 }, "lat"},
		{"latitude NaN", func(s *inspect.Site) { s.Lat = math.NaN() }, "lat"},
		{"longitude under -180", func(s *inspect.Site) { s.Lng = -181 }, "lng"},
		{"lat/lng swapped", func(s *inspect.Site) { s.Lat, s.Lng = s.Lng, s.Lat }, "lat"},
		{"no GPS fix", func(s *inspect.Site) { s.Lat, s.Lng = 0, 0 }, "lat"},
		{"no grid", func(s *inspect.Site) { s.GridID = 0 }, "grid_id"},
		{"profile is an array", func(s *inspect.Site) { s.Profile = json.RawMessage(`[1]`) }, "profile"},
		{"profile broken", func(s *inspect.Site) { s.Profile = json.RawMessage(`{"floors":`) }, "profile"},
		{"merchant twice", func(s *inspect.Site) { s.MerchantIDs = []int64{40, 40} }, "merchant_ids"},
		{"merchant id zero", func(s *inspect.Site) { s.MerchantIDs = []int64{0} }, "merchant_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid
			tt.edit(&s)
			assertField(t, s.Validate(), tt.wantField)
		})
	}
}
