package inspect_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// buildChain returns a four-event chain for hazard 42.
func buildChain(t *testing.T) []inspect.Event {
	t.Helper()
	steps := []struct {
		actor   int64
		kind    string
		payload any
	}{
		{10, inspect.EventCreated, map[string]any{"rule_code": "EBIKE-INDOOR", "severity": "general"}},
		{20, string(inspect.ActionNotify), inspect.TransitionPayload{From: inspect.StateOpen, To: inspect.StateNotified}},
		{0, string(inspect.ActionDeadlinePassed), nil},
		{40, string(inspect.ActionSubmitProof), json.RawMessage(`{"photo_ids": ["b7e3"], "note": "moved the bike out"}`)},
	}
	var chain []inspect.Event
	for i, s := range steps {
		var prev *inspect.Event
		if i > 0 {
			prev = &chain[i-1]
		}
		// nanoseconds on purpose: NewEvent truncates to what Postgres keeps
		e, err := inspect.NewEvent(prev, 42, s.actor, t0.Add(time.Duration(i)*time.Hour+1234567*time.Nanosecond), s.kind, s.payload)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, e)
	}
	return chain
}

func TestNewEvent(t *testing.T) {
	chain := buildChain(t)
	for i, e := range chain {
		if e.Seq != int64(i+1) || e.HazardID != 42 || len(e.Hash) != 64 {
			t.Errorf("event %d: %+v", i, e)
		}
		if e.At.Location() != time.UTC || e.At.Nanosecond()%1000 != 0 {
			t.Errorf("event %d: At = %s, want UTC in whole microseconds", i, e.At)
		}
		if i > 0 && e.PrevHash != chain[i-1].Hash {
			t.Errorf("event %d not chained", i)
		}
	}
	if chain[0].PrevHash != "" {
		t.Error("first event has a previous hash")
	}
	if string(chain[2].Payload) != "{}" {
		t.Errorf("nil payload stored as %s", chain[2].Payload)
	}
	if string(chain[3].Payload) != `{"note":"moved the bike out","photo_ids":["b7e3"]}` {
		t.Errorf("payload not stored canonically: %s", chain[3].Payload)
	}
	other := chain[0]
	other.HazardID = 43
	if _, err := inspect.NewEvent(&other, 42, 1, t0, "x", nil); err == nil {
		t.Error("chaining onto another hazard's event must fail")
	}
	if _, err := inspect.NewEvent(nil, 42, 1, t0, "x", json.RawMessage(`{"a":`)); err == nil {
		t.Error("a payload that is not JSON must be refused")
	}
	if _, err := inspect.NewEvent(nil, 42, 1, t0, "x", json.RawMessage(`{"a":"nul\u0000"}`)); err == nil {
		t.Error("a payload jsonb cannot store must be refused")
	}
}

func TestComputeHashEncoding(t *testing.T) {
	// The canonical encoding is a contract with every stored chain: pin it.
	e := inspect.Event{
		HazardID: 7, Seq: 2, Actor: 0, At: time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.FixedZone("CST", 8*3600)),
		Kind: "notify", Payload: json.RawMessage(`{ "b": 1.50, "a": "x" }`), PrevHash: "ab",
	}
	canonical := "safegrid/hazard-event/v1\n" +
		"hazard_id:7\n" +
		"seq:2\n" +
		"actor:0\n" +
		"at:2026-01-01T19:04:05.600000Z\n" +
		"kind:6:notify\n" +
		"payload:17:{\"a\":\"x\",\"b\":1.5}\n" +
		"prev_hash:ab\n"
	sum := sha256.Sum256([]byte(canonical))
	if got, want := e.ComputeHash(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ComputeHash = %s, want %s", got, want)
	}
}

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(c []inspect.Event) []inspect.Event
		wantSeq    int64 // 0 = the chain verifies
		wantReason string
	}{
		{"intact", func(c []inspect.Event) []inspect.Event { return c }, 0, ""},
		{"empty", func(c []inspect.Event) []inspect.Event { return nil }, 0, ""},
		{"postgres jsonb rewrote the payload", func(c []inspect.Event) []inspect.Event {
			c[3].Payload = json.RawMessage(`{"note": "moved the bike out", "photo_ids": ["b7e3"]}`)
			c[0].Payload = json.RawMessage(`{"severity": "general", "rule_code": "EBIKE-INDOOR"}`)
			return c
		}, 0, ""},
		{"timestamptz read back in another zone", func(c []inspect.Event) []inspect.Event {
			c[1].At = c[1].At.In(time.FixedZone("CST", 8*3600))
			return c
		}, 0, ""},
		{"payload altered", func(c []inspect.Event) []inspect.Event {
			c[1].Payload = json.RawMessage(`{"from":"open","to":"closed_fixed"}`)
			return c
		}, 2, "hash mismatch"},
		{"number in payload altered", func(c []inspect.Event) []inspect.Event {
			c[0].Payload = json.RawMessage(`{"rule_code":"EBIKE-INDOOR","severity":"general","x":1}`)
			return c
		}, 1, "hash mismatch"},
		{"actor altered", func(c []inspect.Event) []inspect.Event { c[2].Actor = 20; return c }, 3, "hash mismatch"},
		{"time altered by a microsecond", func(c []inspect.Event) []inspect.Event {
			c[3].At = c[3].At.Add(time.Microsecond)
			return c
		}, 4, "hash mismatch"},
		{"kind altered", func(c []inspect.Event) []inspect.Event { c[1].Kind = "withdraw"; return c }, 2, "hash mismatch"},
		{"altered and rehashed", func(c []inspect.Event) []inspect.Event {
			c[1].Actor = 1
			c[1].Hash = c[1].ComputeHash()
			return c
		}, 3, "previous hash does not match event 2"},
		{"middle event removed", func(c []inspect.Event) []inspect.Event { return append(c[:1], c[2:]...) }, 3, "expected seq 2"},
		{"first event removed", func(c []inspect.Event) []inspect.Event { return c[1:] }, 2, "starts at seq 2"},
		{"reordered", func(c []inspect.Event) []inspect.Event { c[1], c[2] = c[2], c[1]; return c }, 3, "expected seq 2"},
		{"event of another hazard", func(c []inspect.Event) []inspect.Event { c[2].HazardID = 43; return c }, 3, "belongs to hazard 43"},
		{"payload not JSON", func(c []inspect.Event) []inspect.Event { c[0].Payload = json.RawMessage(`{`); return c }, 1, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inspect.VerifyChain(tt.tamper(buildChain(t)))
			if tt.wantSeq == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *inspect.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *ChainError", err)
			}
			if ce.Seq != tt.wantSeq || !strings.Contains(ce.Reason, tt.wantReason) {
				t.Errorf("broken at %d (%s), want %d (%s)", ce.Seq, ce.Reason, tt.wantSeq, tt.wantReason)
			}
		})
	}
}

func TestVerifyHead(t *testing.T) {
	c := buildChain(t)
	if err := inspect.VerifyHead(c, 42, 4, c[3].Hash); err != nil {
		t.Fatal(err)
	}
	err := inspect.VerifyHead(c[:3], 42, 4, c[3].Hash)
	var ce *inspect.ChainError
	if !errors.As(err, &ce) || ce.Seq != 4 {
		t.Fatalf("truncated chain: %v", err)
	}
	if err := inspect.VerifyHead(nil, 42, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := inspect.VerifyHead(nil, 42, 2, "x"); err == nil {
		t.Fatal("all events removed must be reported")
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{``, `{}`, false},
		{` null `, `null`, false},
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`, false},
		{`{"a":1,"a":2}`, `{"a":2}`, false}, // jsonb keeps the last duplicate too
		{`{"z":{"y":[3,{"b":true,"a":null}]}}`, `{"z":{"y":[3,{"a":null,"b":true}]}}`, false},
		{`[1e2, 100, 100.0, 1.00E+2]`, `[100,100,100,100]`, false},
		{`[0.5, 5e-1, 50E-2, -0, -0.0, 0e10]`, `[0.5,0.5,0.5,0,0,0]`, false},
		{`[-1.250, 12345678901234567890123, 1e-3]`, `[-1.25,12345678901234567890123,0.001]`, false},
		{`{"html":"<a&b>","cn":"电动车","esc":"\u00e9\n"}`, `{"cn":"电动车","esc":"é\n","html":"<a&b>"}`, false},
		{`[1e999999]`, ``, true},
		{`{"a":1} x`, ``, true},
		{`{"a":`, ``, true},
		{`{"a\u0000":1}`, ``, true},
	}
	for _, tt := range tests {
		got, err := inspect.CanonicalJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr || string(got) != tt.want {
			t.Errorf("CanonicalJSON(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.0,2e3,"x"]}`, `[-0.0]`, `"\u00e9"`, `{"a":{"a":{}}}`, `1e-5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := inspect.CanonicalJSON(b)
		if err != nil {
			return
		}
		// Canonical form is a fixed point: hashing it again gives the same bytes.
		again, err := inspect.CanonicalJSON(c)
		if err != nil || string(again) != string(c) {
			t.Fatalf("not idempotent: %s -> %s -> %s (%v)", b, c, again, err)
		}
	})
}
