package models

import (
	"image"
	"math"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// Verdicts of a before/after proof check. They are suggestions for the office, which
// decides; nothing is closed on them.
// The words are the domain's (inspect.ProofVerdicts).
const (
	// VerdictHazardGone: the proof shows the place of the evidence photo, and the
	// check that flagged it no longer fires where it did.
	VerdictHazardGone = inspect.ProofHazardGone
	// VerdictDifferentPlace: the proof does not look like the evidence photo's place
	// (or its GPS is far from the site, or it was taken before the hazard).
	VerdictDifferentPlace = inspect.ProofDifferentPlace
	// VerdictStillPresent: the same place, and the flagged condition is still there.
	VerdictStillPresent = inspect.ProofStillPresent
)

// Reason codes of a proof check: message codes the web app renders.
const (
	ReasonSceneMatches     = "proof.scene_matches"      // the scenes match outside the flagged region
	ReasonSceneDiffers     = "proof.scene_differs"      // the scenes do not match
	ReasonGPSNearSite      = "proof.gps_near_site"      // the proof's GPS is within ProofGPSRadius of the site
	ReasonGPSFarFromSite   = "proof.gps_far_from_site"  // the proof's GPS is farther
	ReasonTakenAfterHazard = "proof.taken_after_hazard" // the proof's EXIF time is after the hazard was recorded
	ReasonTakenBefore      = "proof.taken_before_hazard"
	ReasonCheckFiresAgain  = "proof.check_fires_again" // the same AI check fires in the flagged region
	ReasonCheckSilent      = "proof.check_silent"      // it does not
	ReasonRegionUnchanged  = "proof.region_unchanged"  // the flagged region looks as it did
	ReasonNothingFlagged   = "proof.nothing_flagged"   // the evidence photo has no AI flag: only the place is compared
)

// ProofReasons lists every reason code CompareProof gives, for the web app's
// catalogs and their test.
func ProofReasons() []string {
	return []string{ReasonSceneMatches, ReasonSceneDiffers, ReasonGPSNearSite, ReasonGPSFarFromSite,
		ReasonTakenAfterHazard, ReasonTakenBefore, ReasonCheckFiresAgain, ReasonCheckSilent,
		ReasonRegionUnchanged, ReasonNothingFlagged}
}

// Thresholds of the proof check, measured on the shared photos (models/proofcheck_test.go,
// TestCompareScenesRealPhotos): each of the ten re-shot (shifted, zoomed 8 %, brighter,
// JPEG again) scored 0.79 or more against itself, any two different ones at most 0.35.
const (
	// SamePlaceScore is the scene score from which two photos show the same place.
	SamePlaceScore float32 = 0.6
	// RegionUnchangedScore is the correlation inside the flagged region from which
	// what was flagged looks unchanged, whether or not the detector fires again.
	RegionUnchangedScore float32 = 0.85
	// ProofGPSRadius is how far from the site (metres) a proof's GPS may be: phone
	// GPS indoors is often 50–100 m off.
	ProofGPSRadius = 300.0
	// proofOverlap is how much of a flagged box (mapped onto the proof) a flag of the
	// same check on the proof must cover to count as firing in the flagged region.
	proofOverlap = 0.3
)

// ProofPhoto is one side of a before/after comparison.
type ProofPhoto struct {
	// Image is the photo, upright, at any size (a decode at ≥ 256 px is plenty).
	Image image.Image
	// Width and Height are the full upright size the flags' boxes are in.
	Width, Height int
	// Flags are the AI check flags on the photo: on the evidence photo those that made
	// the hazard, on the proof the same checks run on it.
	Flags []Flag
	EXIF  inspect.EXIF
}

// ProofPlace is what is known of the hazard beyond its photos.
type ProofPlace struct {
	// HasSite says Lat and Lng are the site's position.
	HasSite  bool
	Lat, Lng float64
	// HazardAt is when the hazard was recorded (zero: unknown).
	HazardAt time.Time
}

// ProofCheck is the verdict on one proof photo against one evidence photo.
type ProofCheck struct {
	Verdict string
	// SamePlaceScore is the scene measure (0–1; SamePlaceScore and up is the same place).
	SamePlaceScore float32
	// StillPresentScore is the strongest sign the hazard is still there (0–1): the
	// score of the same check firing in the flagged region, or the flagged region's
	// likeness when it looks unchanged.
	StillPresentScore float32
	// Reasons are message codes, in the order the checks ran.
	Reasons []string
	Scene   SceneMatch
}

// CompareProof compares a proof photo with an evidence photo of the hazard: is it the
// same place (scene measure outside the flagged region, GPS near the site when the
// proof has GPS, EXIF time after the hazard when it has a time), and is the flagged
// condition gone (the same checks no longer fire in the flagged region, and the
// region no longer looks as it did).
func CompareProof(evidence, proof ProofPhoto, place ProofPlace) ProofCheck {
	var regions []Band
	for _, f := range evidence.Flags {
		for _, b := range f.Boxes {
			regions = append(regions, bandOf(b, evidence.Width, evidence.Height))
		}
	}
	m := CompareScenes(evidence.Image, proof.Image, regions)
	c := ProofCheck{SamePlaceScore: m.Score, Scene: m}
	samePlace := m.Score >= SamePlaceScore
	if samePlace {
		c.Reasons = append(c.Reasons, ReasonSceneMatches)
	} else {
		c.Reasons = append(c.Reasons, ReasonSceneDiffers)
	}
	if place.HasSite && proof.EXIF.HasGPS {
		if distanceMetres(place.Lat, place.Lng, proof.EXIF.Lat, proof.EXIF.Lng) <= ProofGPSRadius {
			c.Reasons = append(c.Reasons, ReasonGPSNearSite)
		} else {
			c.Reasons = append(c.Reasons, ReasonGPSFarFromSite)
			samePlace = false
		}
	}
	if !place.HazardAt.IsZero() && !proof.EXIF.TakenAt.IsZero() {
		// A camera clock without its zone is read as UTC: allow a day either way
		// before calling the photo older than the hazard.
		slack := time.Duration(0)
		if !proof.EXIF.TakenAtZoneKnown {
			slack = 14 * time.Hour
		}
		if proof.EXIF.TakenAt.Add(slack).Before(place.HazardAt) {
			c.Reasons = append(c.Reasons, ReasonTakenBefore)
			samePlace = false
		} else {
			c.Reasons = append(c.Reasons, ReasonTakenAfterHazard)
		}
	}

	fires := false
	for _, ef := range evidence.Flags {
		for _, pf := range proof.Flags {
			if pf.Code != ef.Code {
				continue
			}
			for _, eb := range ef.Boxes {
				mapped := m.Align.MapBand(bandOf(eb, evidence.Width, evidence.Height))
				for _, pb := range pf.Boxes {
					if overlapShare(mapped, bandOf(pb, proof.Width, proof.Height)) >= proofOverlap {
						fires = true
						c.StillPresentScore = max(c.StillPresentScore, pf.Score)
					}
				}
			}
		}
	}
	if fires {
		c.Reasons = append(c.Reasons, ReasonCheckFiresAgain)
	} else if len(evidence.Flags) > 0 {
		c.Reasons = append(c.Reasons, ReasonCheckSilent)
	} else {
		c.Reasons = append(c.Reasons, ReasonNothingFlagged)
	}
	unchanged := len(regions) > 0 && m.Region >= RegionUnchangedScore
	if unchanged {
		c.Reasons = append(c.Reasons, ReasonRegionUnchanged)
		c.StillPresentScore = max(c.StillPresentScore, m.Region)
	}
	switch {
	case !samePlace:
		c.Verdict = VerdictDifferentPlace
	case fires || unchanged:
		c.Verdict = VerdictStillPresent
	default:
		c.Verdict = VerdictHazardGone
	}
	return c
}

// bandOf returns box r of a w×h photo as fractions of its size.
func bandOf(r Rect, w, h int) Band {
	fw, fh := float32(max(w, 1)), float32(max(h, 1))
	return Band{X1: r.X1 / fw, Y1: r.Y1 / fh, X2: r.X2 / fw, Y2: r.Y2 / fh}
}

// overlapShare is the area a and b share over the smaller of the two.
func overlapShare(a, b Band) float32 {
	ra, rb := Rect(a), Rect(b)
	small := min(ra.Area(), rb.Area())
	if small <= 0 {
		return 0
	}
	return ra.Intersect(rb).Area() / small
}

// distanceMetres is the great-circle distance between two WGS-84 points.
func distanceMetres(lat1, lng1, lat2, lng2 float64) float64 {
	const earth = 6371000.0
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earth * math.Asin(math.Sqrt(a))
}

// ProofSide is the longer side (pixels) a photo needs for the proof check: the scene
// grids are 96 px wide at most, so a JPEG is decoded at 1/8 for a 12 MP photo.
const ProofSide = 256
