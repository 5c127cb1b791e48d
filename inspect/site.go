package inspect

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SiteType names the kind of premises (hotel, rental_flat, shop, ...). The set of
// known types belongs to the checklist generator (package checklists), which
// validates it; here it is only a well-formed name.
type SiteType string

// Site is one premises that is inspected.
type Site struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Type    SiteType `json:"type"`
	Address string   `json:"address"`
	// Lat and Lng are WGS-84 degrees. (Maps in China often show GCJ-02; converting
	// is the client's job, storage keeps WGS-84 as the phone's GPS reports it.)
	Lat    float64 `json:"lat"`
	Lng    float64 `json:"lng"`
	GridID int64   `json:"grid_id"`
	// Profile holds the attributes the checklist generator reads (floors, area,
	// occupants, ...) as a JSON object; checklists validates its contents.
	Profile     json.RawMessage `json:"profile,omitempty"`
	MerchantIDs []int64         `json:"merchant_ids,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

var siteTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks s's own fields (not the profile's contents, which checklists
// checks). The error is an EINVALID *Error naming the first wrong field.
func (s Site) Validate() error {
	if err := checkText("name", s.Name, 200); err != nil {
		return err
	}
	if !siteTypePattern.MatchString(string(s.Type)) {
		return FieldErrorf("type", "must be a site type such as hotel or shop (lower-case letters, digits and _)")
	}
	if err := checkText("address", s.Address, 500); err != nil {
		return err
	}
	if math.IsNaN(s.Lat) || s.Lat < -90 || s.Lat > 90 {
		return FieldErrorf("lat", "must be a latitude between -90 and 90")
	}
	if math.IsNaN(s.Lng) || s.Lng < -180 || s.Lng > 180 {
		return FieldErrorf("lng", "must be a longitude between -180 and 180")
	}
	if s.Lat == 0 && s.Lng == 0 {
		// A phone without a GPS fix reports 0,0: in the Gulf of Guinea, not a site.
		return FieldErrorf("lat", "location is missing (0, 0 is what a phone sends without a GPS fix)")
	}
	if s.GridID <= 0 {
		return FieldErrorf("grid_id", "is required")
	}
	if p := bytes.TrimSpace(s.Profile); len(p) > 0 {
		if !json.Valid(p) || p[0] != '{' {
			return FieldErrorf("profile", "must be a JSON object")
		}
	}
	return checkIDs("merchant_ids", s.MerchantIDs, "user", "merchant")
}

// checkText checks the text in field: required, and at most max characters
// without the white space around it.
func checkText(field, text string, max int) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return FieldErrorf(field, "is required")
	case utf8.RuneCountInString(text) > max:
		return FieldErrorf(field, "is longer than %d characters", max)
	}
	return nil
}

// checkIDs checks the list of ids in field: each an id (what: "user", "unit"), none
// listed twice (noun names an entry: "merchant", "grid").
func checkIDs(field string, ids []int64, what, noun string) error {
	for i, id := range ids {
		if id <= 0 {
			return FieldErrorf(field, "entry %d is not a %s id", i, what)
		}
		if slices.Contains(ids[:i], id) {
			return FieldErrorf(field, "%s %d is listed twice", noun, id)
		}
	}
	return nil
}
