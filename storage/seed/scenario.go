package seed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"time"

	"github.com/disintegration/imaging"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

func (s *demoSeeder) photo(ctx context.Context, p inspect.Principal, target inspect.PhotoTarget) (string, error) {
	k := s.nPhotos % len(s.photos)
	s.nPhotos++
	orig := s.photos[k]
	sum := sha256.Sum256(orig)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(orig))
	if err != nil {
		return "", err
	}
	ph := inspect.Photo{ID: uuid.New(), InspectionID: target.InspectionID, ItemCode: target.ItemCode, HazardID: target.HazardID,
		SHA256: hex.EncodeToString(sum[:]), Type: inspect.PhotoJPEG, Size: int64(len(orig)), Width: cfg.Width, Height: cfg.Height}
	saved, _, err := s.svc.Photos.SavePhoto(ctx, p, ph, bytes.NewReader(orig), s.thumbs[k])
	if err != nil {
		return "", err
	}
	return saved.ID.String(), nil
}

// Scenario names the point of the workflow a scenario takes a site to: an
// inspection status ("assigned", "in_progress", "submitted_only",
// "returned_inspection") or a hazard state ("open", "notified", "escalated",
// "major", "closed_fixed_rated"...).
type Scenario string

// Scenarios is the demo's table: the scenario each of the first sites is taken
// through, so that every inspection status and hazard state is in the demo.
var Scenarios = []Scenario{
	"open", "notified", "rectification_submitted", "closed_fixed", "closed_fixed_rated", "escalated",
	"reinspection_due", "returned", "withdrawn", "under_determination", "major", "closed_on_spot",
	"open", "notified", "submitted_only", "returned_inspection", "in_progress", "assigned",
	"notified", "rectification_submitted", "closed_fixed_rated", "open", "assigned", "in_progress",
}

// Cast is who takes part in a scenario at one site: the responsible safety
// officer, the grid's inspector, the site's merchant, and the determination panel
// (three distinct reviewers who all see the site's hazards).
type Cast struct {
	Officer, Inspector, Merchant inspect.Principal
	Panel                        []inspect.Principal
}

// Run takes site through the workflow to scenario's point, calling svc as the
// cast would; tests use it to put a site in a given state.
func Run(ctx context.Context, svc *storage.Services, scenario Scenario, site inspect.Site, cast Cast) error {
	return newSeeder(svc).runScenario(ctx, scenario, site, cast)
}

func newSeeder(svc *storage.Services) *demoSeeder {
	s := &demoSeeder{svc: svc, rng: rand.New(rand.NewPCG(2024, 510107))}
	for i := range 6 {
		orig, thumb := Photo(i)
		s.photos, s.thumbs = append(s.photos, orig), append(s.thumbs, thumb)
	}
	return s
}

// runScenario takes one site through the workflow to the named point.
func (s *demoSeeder) runScenario(ctx context.Context, scenario Scenario, site inspect.Site, cast Cast) error {
	officer, inspector, merchant, panel := cast.Officer, cast.Inspector, cast.Merchant, cast.Panel
	svc := s.svc
	insp, err := svc.Inspections.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(time.Duration(3+s.rng.IntN(10))*24*time.Hour))
	if err != nil {
		return err
	}
	s.sum.Inspections++
	if scenario == "assigned" {
		return nil
	}
	d, err := svc.Inspections.StartInspection(ctx, inspector, insp.ID)
	if err != nil {
		return err
	}
	// Fail the first item whose rule wants a photo; pass or skip the rest.
	failed := ""
	for _, it := range d.Items {
		if it.NeedsPhoto && failed == "" {
			failed = it.Code
		}
	}
	outcome := inspect.OutcomeHazard
	if scenario == "closed_on_spot" {
		outcome = inspect.OutcomeFixedOnSpot
	}
	for n, it := range d.Items {
		if scenario == "in_progress" && n >= len(d.Items)/2 {
			break
		}
		ans := inspect.Item{Code: it.Code, Answer: inspect.AnswerPass}
		switch {
		case it.Code == failed && scenario != "submitted_only" && scenario != "returned_inspection":
			ans = inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: outcome, Note: "现场发现问题，已拍照取证"}
			if scenario == "under_determination" || scenario == "major" {
				ans.Severity = inspect.SeverityPossiblyMajor
			}
		case !it.NeedsPhoto && n%5 == 4:
			ans.Answer = inspect.AnswerNA
		}
		if it.NeedsPhoto || ans.Outcome == inspect.OutcomeFixedOnSpot {
			if _, err := s.photo(ctx, inspector, inspect.PhotoTarget{InspectionID: insp.ID, ItemCode: it.Code}); err != nil {
				return err
			}
		}
		answered, err := svc.Inspections.AnswerItem(ctx, inspector, insp.ID, ans)
		if err != nil {
			return fmt.Errorf("answer %s: %w", it.Code, err)
		}
		if answered.HazardID != 0 {
			s.sum.Hazards++
		}
	}
	if scenario == "in_progress" {
		return nil
	}
	if _, err := svc.Inspections.SubmitInspection(ctx, inspector, insp.ID); err != nil {
		return err
	}
	if scenario == "returned_inspection" {
		_, err := svc.Inspections.ReturnInspection(ctx, officer, insp.ID, "请补充消防器材压力表的近景照片")
		return err
	}
	if scenario == "submitted_only" {
		return nil
	}
	d, err = svc.Inspections.Inspection(ctx, inspector, insp.ID)
	if err != nil {
		return err
	}
	var hazardID int64
	for _, it := range d.Items {
		if it.HazardID != 0 {
			hazardID = it.HazardID
		}
	}
	if hazardID == 0 {
		return fmt.Errorf("no hazard came out of inspection %d", insp.ID)
	}
	act := func(p inspect.Principal, a inspect.Action, in inspect.HazardActionInput) error {
		_, err := svc.Hazards.HazardAction(ctx, p, hazardID, a, in)
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		return nil
	}
	proof := func() error {
		id, err := s.photo(ctx, merchant, inspect.PhotoTarget{HazardID: hazardID})
		if err != nil {
			return err
		}
		return act(merchant, inspect.ActionSubmitProof, inspect.HazardActionInput{Note: "已按要求整改，请复查", PhotoIDs: []string{id}})
	}
	switch scenario {
	case "open", "closed_on_spot":
		return nil
	case "returned":
		return act(officer, inspect.ActionReturnForCorrection, inspect.HazardActionInput{Note: "照片看不清，请补拍"})
	case "withdrawn":
		return act(officer, inspect.ActionWithdraw, inspect.HazardActionInput{Note: "经核实不构成隐患"})
	case "under_determination", "major":
		ids := make([]int64, len(panel))
		for i, p := range panel {
			ids[i] = p.User.ID
		}
		if _, err := svc.Determinations.OpenDetermination(ctx, officer, hazardID, ids, "提请集体判定"); err != nil {
			return fmt.Errorf("open determination: %w", err)
		}
		if scenario == "under_determination" {
			return nil
		}
		ballots := []struct {
			vote   inspect.Vote
			reason string
		}{
			{inspect.VoteMajor, "安全出口被堵且人员密集，一旦起火无法疏散"},
			{inspect.VoteMajor, "符合重大火灾隐患直接判定要素"},
			{inspect.VoteGeneral, "可当场清理，整改难度不大"},
		}
		for i, b := range ballots {
			if _, err := svc.Determinations.CastVote(ctx, panel[i%len(panel)], hazardID, b.vote, b.reason); err != nil {
				return fmt.Errorf("vote of %s: %w", panel[i%len(panel)].User.Username, err)
			}
		}
		_, err := svc.Determinations.ConcludeDetermination(ctx, officer, hazardID, "三人集体判定为重大火灾隐患，挂牌督办：立即清理疏散通道，停用违规设施，整改完成前限制营业",
			time.Now().Add(15*24*time.Hour))
		if err != nil {
			return fmt.Errorf("conclude determination: %w", err)
		}
		return nil
	}
	if err := act(officer, inspect.ActionNotify, inspect.HazardActionInput{Note: "已告知商户整改期限"}); err != nil {
		return err
	}
	switch scenario {
	case "notified":
		return nil
	case "reinspection_due":
		_, err := svc.Hazards.SystemHazardAction(ctx, hazardID, inspect.ActionDeadlinePassed, "")
		return err
	}
	if err := proof(); err != nil {
		return err
	}
	switch scenario {
	case "rectification_submitted":
		return nil
	case "escalated":
		return act(inspector, inspect.ActionReinspectPresent, inspect.HazardActionInput{Note: "复查仍未整改"})
	}
	if err := act(inspector, inspect.ActionReinspectFixed, inspect.HazardActionInput{Note: "复查已整改"}); err != nil {
		return err
	}
	if scenario == "closed_fixed_rated" {
		_, err := svc.Hazards.RateHazard(ctx, merchant, hazardID, 4+s.rng.IntN(2))
		return err
	}
	return nil
}

// Photo draws a small JPEG picture (a different tint per n) and its thumbnail.
func Photo(n int) (orig, thumb []byte) {
	m := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			m.Set(x, y, color.RGBA{uint8(x/3 + n*40), uint8(y/2 + n*20), uint8((x ^ y) + n*60), 255})
		}
	}
	var b, t bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	if err := jpeg.Encode(&t, imaging.Fit(m, 320, 320, imaging.Linear), &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes(), t.Bytes()
}
