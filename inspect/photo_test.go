package inspect_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

func TestPhotoTooLargeAndID(t *testing.T) {
	assertCode(t, inspect.PhotoTooLarge(20<<20), inspect.ETOOLARGE, "20 MiB")
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"0b5c7d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e", true},
		{"00000000-0000-0000-0000-000000000000", false},
		{"0b5c7d4e8f1a4c2b9d3e5f6a7b8c9d0e", false}, // one spelling only
		{"{0b5c7d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e}", false},
		{"../../etc/passwd", false},
	}
	for _, tt := range tests {
		id, err := inspect.ParsePhotoID(tt.in)
		if tt.wantOK != (err == nil) {
			t.Errorf("ParsePhotoID(%q) = %v, %v", tt.in, id, err)
		}
		if err == nil && id == uuid.Nil {
			t.Errorf("ParsePhotoID(%q) = nil UUID", tt.in)
		}
		if err != nil {
			assertField(t, err, "uuid")
		}
	}
}

func TestEXIFTakenIn(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	wall := inspect.EXIF{TakenAt: time.Date(2026, 3, 2, 17, 45, 10, 0, time.UTC)}
	if got, want := wall.TakenIn(shanghai), time.Date(2026, 3, 2, 9, 45, 10, 0, time.UTC); !got.Equal(want) {
		t.Errorf("wall clock in Shanghai = %s, want %s", got.UTC(), want)
	}
	known := inspect.EXIF{TakenAt: time.Date(2026, 3, 2, 17, 45, 10, 0, time.FixedZone("", -5*3600)), TakenAtZoneKnown: true}
	if got := known.TakenIn(shanghai); !got.Equal(known.TakenAt) {
		t.Errorf("a recorded offset must win over the deployment's zone: %s", got)
	}
	if !(inspect.EXIF{}).TakenIn(shanghai).IsZero() {
		t.Error("no time stays no time")
	}
}
