package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// TestWorkflowEndToEnd drives the main loop over HTTP against real Postgres and
// MinIO: assignment → inspector starts and answers every item with photos → a
// failed item becomes a hazard with a deadline → the merchant sees it with its
// citation and uploads proof → the officer sees it as rectification_submitted.
func TestWorkflowEndToEnd(t *testing.T) {
	t.Parallel()
	w := setup(t)
	own := w.own
	officer, inspector, merchant := w.login(own.officer), w.login(own.inspector), w.login(own.merchant)

	// The officer assigns the site to the inspector.
	var insp inspect.Inspection
	due := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	if st := w.call(officer, "POST", "/api/v1/inspections", api.AssignmentInput{SiteID: own.site.ID, InspectorID: own.inspector.ID, Due: due}, &insp); st != 201 {
		t.Fatalf("assign: status %d", st)
	}

	// The inspector sees it in their list and starts it: the checklist is generated
	// from the current rules and stored with the inspection.
	var mine api.List[inspect.Inspection]
	w.call(inspector, "GET", "/api/v1/inspections?status=assigned", nil, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != insp.ID {
		t.Fatalf("inspector's assigned inspections = %+v, want only %d", mine.Items, insp.ID)
	}
	var started inspect.InspectionDetail
	if st := w.call(inspector, "POST", fmt.Sprintf("/api/v1/inspections/%d/start", insp.ID), nil, &started); st != 200 {
		t.Fatalf("start: status %d", st)
	}
	rules := w.rules
	if started.Status != inspect.InspectionInProgress || started.RuleVersion != rules.Version || len(started.Items) < 10 || len(started.Checklist) == 0 {
		t.Fatalf("started inspection: status %s, rule version %q (want %q), %d items", started.Status, started.RuleVersion, rules.Version, len(started.Items))
	}
	if st := w.call(inspector, "POST", fmt.Sprintf("/api/v1/inspections/%d/start", insp.ID), nil, nil); st != 409 {
		t.Errorf("starting twice: status %d, want 409", st)
	}

	// Answer every item: the first item that needs a photo fails and becomes a
	// hazard; the rest pass. Photos are not uploaded yet.
	var failed inspect.ItemDetail
	var photoItems []string
	for _, it := range started.Items {
		ans := api.AnswerInput{Answer: inspect.AnswerPass}
		if it.NeedsPhoto {
			photoItems = append(photoItems, it.Code)
			if failed.Code == "" {
				ans = api.AnswerInput{Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "gas cylinder stored in the kitchen"}
			}
		}
		var got inspect.ItemDetail
		if st := w.call(inspector, "PUT", fmt.Sprintf("/api/v1/inspections/%d/items/%s", insp.ID, url.PathEscape(it.Code)), ans, &got); st != 200 {
			t.Fatalf("answer %s: status %d", it.Code, st)
		}
		if ans.Answer == inspect.AnswerFail {
			failed = got
		}
	}
	if len(photoItems) == 0 {
		t.Fatal("the checklist has no item that needs a photo; the test needs one")
	}
	if failed.HazardID == 0 || failed.Deadline.IsZero() || failed.Severity == "" {
		t.Fatalf("failed item = %+v, want a hazard with a severity and a deadline", failed)
	}
	wantDeadline := inspect.HazardDeadline(inspect.DefaultPolicy(), inspect.LevelGrid, failed.Severity, failed.RectifyDays, time.Now())
	if d := failed.Deadline.Sub(wantDeadline); d < -time.Minute || d > time.Minute {
		t.Errorf("hazard deadline %s, want about %s (rule %d days / policy)", failed.Deadline, wantDeadline, failed.RectifyDays)
	}

	// Submitting now names every item still missing its photo.
	r := w.do(inspector, "POST", fmt.Sprintf("/api/v1/inspections/%d/submit", insp.ID), nil)
	if e := r.ErrorBody(t); r.Status != 400 || e.Field != "items" || !strings.Contains(e.Message, photoItems[0]) || !strings.Contains(e.Message, photoItems[len(photoItems)-1]) {
		t.Fatalf("early submit: %d %+v, want 400 naming %v", r.Status, e, photoItems)
	}

	// Upload the photos, then submit.
	for _, code := range photoItems {
		path := fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", uuid.New(), insp.ID, url.QueryEscape(code))
		if st := w.call(inspector, "PUT", path, jpegPhoto(t), nil); st != 201 {
			t.Fatalf("photo for %s: status %d", code, st)
		}
	}
	var submitted inspect.Inspection
	if st := w.call(inspector, "POST", fmt.Sprintf("/api/v1/inspections/%d/submit", insp.ID), nil, &submitted); st != 200 || submitted.Status != inspect.InspectionSubmitted {
		t.Fatalf("submit: status %d, inspection %s", st, submitted.Status)
	}

	// The merchant logs in and sees the hazard with its legal basis and deadline.
	var list api.List[api.MerchantHazard]
	if st := w.call(merchant, "GET", "/api/v1/merchant/hazards", nil, &list); st != 200 {
		t.Fatalf("merchant hazards: status %d", st)
	}
	if len(list.Items) != 1 || list.Items[0].ID != failed.HazardID {
		t.Fatalf("merchant sees %+v, want hazard %d only", list.Items, failed.HazardID)
	}
	mh := list.Items[0]
	var rule struct {
		Citations []struct{ Source, Clause string }
	}
	if err := jsonUnmarshal(failed.Rule, &rule); err != nil || len(rule.Citations) == 0 {
		t.Fatalf("item rule %s has no citations (%v)", failed.Rule, err)
	}
	if len(mh.LegalBasis) == 0 || !strings.Contains(mh.LegalBasis[0], rule.Citations[0].Source) || !strings.Contains(mh.LegalBasis[0], rule.Citations[0].Clause) {
		t.Errorf("legal basis %q does not cite %+v", mh.LegalBasis, rule.Citations[0])
	}
	if mh.Title == "" || mh.Explanation == "" || mh.ProofNeeded == "" || !mh.Deadline.Equal(failed.Deadline) || mh.SecondsLeft <= 0 {
		t.Errorf("merchant view %+v lacks title, explanation, proof needed or the deadline %s", mh, failed.Deadline)
	}
	if mh.CanSubmitProof {
		t.Errorf("proof offered while the hazard is %s (the office has not notified yet)", mh.State)
	}

	// The office reviews and notifies; the merchant uploads proof.
	hazardPath := fmt.Sprintf("/api/v1/hazards/%d", failed.HazardID)
	if st := w.call(officer, "POST", hazardPath+"/actions/notify", inspect.HazardActionInput{Note: "please fix within the deadline"}, nil); st != 200 {
		t.Fatalf("notify: status %d", st)
	}
	proofID := uuid.New().String()
	if st := w.call(merchant, "PUT", fmt.Sprintf("/api/v1/photos/%s?hazard_id=%d", proofID, failed.HazardID), jpegPhoto(t), nil); st != 201 {
		t.Fatalf("proof photo: status %d", st)
	}
	var after inspect.HazardDetail
	if st := w.call(merchant, "POST", fmt.Sprintf("/api/v1/merchant/hazards/%d/proof", failed.HazardID), inspect.HazardActionInput{Note: "cylinder moved outside", PhotoIDs: []string{proofID}}, &after); st != 200 {
		t.Fatalf("proof: status %d", st)
	}

	// The officer sees it as rectification_submitted, with the event chain intact.
	var office api.List[inspect.HazardDetail]
	w.call(officer, "GET", "/api/v1/hazards?state=rectification_submitted", nil, &office)
	if len(office.Items) != 1 || office.Items[0].ID != failed.HazardID || office.Items[0].State != inspect.StateRectificationSubmitted {
		t.Fatalf("officer's rectification_submitted list = %+v, want hazard %d", office.Items, failed.HazardID)
	}
	var detail inspect.HazardDetail
	w.call(officer, "GET", hazardPath, nil, &detail)
	var kinds []string
	for _, e := range detail.Events {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "created,notify,submit_proof" {
		t.Errorf("event kinds %v, want created, notify, submit_proof", kinds)
	}
	if err := inspect.VerifyChain(detail.Events); err != nil {
		t.Errorf("event chain: %v", err)
	}
	if len(detail.PhotoIDs) != 2 {
		t.Errorf("hazard photos %v, want the evidence photo and the proof", detail.PhotoIDs)
	}
	rep, err := w.db.VerifyHazardChains(w.ctx)
	if err != nil || len(rep.Broken) != 0 || rep.Hazards != 1 {
		t.Errorf("audit: %+v, %v", rep, err)
	}
	w.checkPhotoConsistency(t)
}
