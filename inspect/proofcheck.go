package inspect

import (
	"time"

	"github.com/google/uuid"
)

// Verdicts of a before/after proof check: the AI's suggestion on a proof photo
// against one evidence photo of the hazard. The office decides; a verdict never
// moves a hazard.
const (
	// ProofHazardGone: the same place, and the flagged condition is no longer seen.
	ProofHazardGone = "hazard_gone"
	// ProofDifferentPlace: the proof does not look like (or was not taken at, or
	// after) the place of the evidence photo.
	ProofDifferentPlace = "different_place"
	// ProofStillPresent: the same place, and the flagged condition is still seen.
	ProofStillPresent = "still_present"
)

// ProofVerdicts lists the verdicts.
func ProofVerdicts() []string {
	return []string{ProofHazardGone, ProofDifferentPlace, ProofStillPresent}
}

// ProofCheck is the analysis job's comparison of one proof photo of a hazard with
// one of its evidence photos.
type ProofCheck struct {
	ProofPhotoID    uuid.UUID `json:"proof_photo_id"`
	EvidencePhotoID uuid.UUID `json:"evidence_photo_id"`
	Verdict         string    `json:"verdict"`
	// SamePlaceScore (0–1) measures how alike the two scenes are outside the
	// flagged region; StillPresentScore (0–1) the strongest sign the flagged
	// condition is still there.
	SamePlaceScore    float32 `json:"same_place_score"`
	StillPresentScore float32 `json:"still_present_score"`
	// Reasons are message codes (proof.scene_matches, proof.gps_far_from_site, …).
	Reasons   []string  `json:"reasons"`
	ModelName string    `json:"model_name"`
	CheckedAt time.Time `json:"checked_at"`
}
