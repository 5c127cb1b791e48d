package inspect_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// TestHazardForMerchant: a merchant reads what happened to their hazard, not the
// office's work on it: a returned finding, a reassignment, a comment are left
// out, and the note opening a determination is dropped from its event.
func TestHazardForMerchant(t *testing.T) {
	ev := func(seq int64, kind, note string) inspect.Event {
		b, _ := json.Marshal(map[string]any{"from": "open", "to": "open", "note": note})
		return inspect.Event{Seq: seq, Kind: kind, Payload: b}
	}
	d := inspect.HazardDetail{Events: []inspect.Event{
		ev(1, inspect.EventCreated, "门口停放电动车"),
		ev(2, "return_for_correction", "内部：证据不足"),
		ev(3, "resubmit", "内部：已补拍"),
		ev(4, inspect.EventReassigned, "内部：换人"),
		ev(5, "open_determination", "内部：请参加判定"),
		ev(6, "notify", "请三日内整改"),
		ev(7, inspect.EventComment, "内部：评论"),
	}}
	got := d.ForMerchant()
	var kinds []string
	for _, e := range got.Events {
		kinds = append(kinds, e.Kind)
		if strings.Contains(string(e.Payload), "内部") {
			t.Errorf("event %d (%s) keeps the office's note for the merchant: %s", e.Seq, e.Kind, e.Payload)
		}
	}
	if want := "created open_determination notify"; strings.Join(kinds, " ") != want {
		t.Errorf("the merchant reads events %v, want %s in their order", kinds, want)
	}
	if len(d.Events) != 7 {
		t.Errorf("ForMerchant changed the detail it was given: %d events left", len(d.Events))
	}
}
