package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event kinds that are not hazard actions. An event that records a transition has
// the action as its kind (notify, submit_proof, ...).
const (
	EventCreated     = "created"           // the hazard was recorded
	EventObservation = "observation_added" // another report joined the open hazard
	EventReassigned  = "reassigned"        // another inspector took the hazard over
	EventRated       = "rated"             // the merchant rated the handling
)

// TransitionPayload is the usual payload of a transition event: the states before
// and after, the actor's note and the evidence (photo UUIDs).
type TransitionPayload struct {
	From     HazardState `json:"from"`
	To       HazardState `json:"to"`
	Note     string      `json:"note,omitempty"`
	PhotoIDs []string    `json:"photo_ids,omitempty"`
	// PassedDeadline is the deadline that passed, on a deadline_passed event: with it
	// the log shows that each deadline passed once, even when a hazard has several.
	PassedDeadline *time.Time `json:"passed_deadline,omitempty"`
}

// Event is one entry of a hazard's append-only event log (一事一档). Events of one
// hazard form a hash chain: each event's Hash covers its content and the previous
// event's Hash, so that changing, removing or reordering any event breaks the chain
// from that point on (VerifyChain).
type Event struct {
	HazardID int64 `json:"hazard_id"`
	// Seq numbers the hazard's events 1, 2, 3, ... without gaps.
	Seq int64 `json:"seq"`
	// Actor is the user who acted; 0 is the system (the scheduler).
	Actor int64 `json:"actor"`
	// At is in UTC, truncated to microseconds, so that it survives a round trip
	// through a Postgres timestamptz unchanged.
	At      time.Time       `json:"at"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
	// PrevHash is the previous event's Hash, "" for the first event.
	PrevHash string `json:"prev_hash"`
	// Hash is the lowercase hex SHA-256 of the canonical encoding (ComputeHash).
	Hash string `json:"hash"`
}

// eventHashVersion opens the canonical encoding; a new encoding gets a new version.
const eventHashVersion = "safegrid/hazard-event/v1"

// eventTimeLayout formats Event.At in the canonical encoding: UTC, always six
// fractional digits.
const eventTimeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash of e: the lowercase hex SHA-256 of this canonical
// encoding of every field except Hash, each line ending in "\n":
//
//	safegrid/hazard-event/v1
//	hazard_id:<HazardID in decimal>
//	seq:<Seq in decimal>
//	actor:<Actor in decimal>
//	at:<At in UTC as 2006-01-02T15:04:05.000000Z>
//	kind:<length of Kind in bytes>:<Kind>
//	payload:<length in bytes>:<CanonicalJSON(Payload)>
//	prev_hash:<PrevHash>
//
// Lengths make the encoding unambiguous whatever the strings contain.
//
// The payload is hashed in canonical form, not as stored, because storage keeps it
// in a jsonb column and jsonb does not keep the text: it reorders object keys,
// drops whitespace and duplicate keys, and rewrites numbers (1e2 comes back as
// 100). CanonicalJSON maps every such rewrite of a document to the same bytes, so
// the hash survives jsonb. A payload that is not valid JSON is hashed as its raw
// bytes (and VerifyChain reports it).
func (e Event) ComputeHash() string {
	payload, err := CanonicalJSON(e.Payload)
	if err != nil {
		payload = e.Payload
	}
	return e.hashWith(payload)
}

// hashWith returns the hash of e with payload, already in canonical form, in
// place of e.Payload.
func (e Event) hashWith(payload []byte) string {
	b := make([]byte, 0, 256+len(payload)+len(e.Kind))
	b = append(b, eventHashVersion+"\nhazard_id:"...)
	b = strconv.AppendInt(b, e.HazardID, 10)
	b = append(b, "\nseq:"...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, "\nactor:"...)
	b = strconv.AppendInt(b, e.Actor, 10)
	b = append(b, "\nat:"...)
	b = e.At.UTC().AppendFormat(b, eventTimeLayout)
	b = append(b, "\nkind:"...)
	b = strconv.AppendInt(b, int64(len(e.Kind)), 10)
	b = append(b, ':')
	b = append(b, e.Kind...)
	b = append(b, "\npayload:"...)
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ':')
	b = append(b, payload...)
	b = append(b, "\nprev_hash:"...)
	b = append(b, e.PrevHash...)
	b = append(b, '\n')
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// NewEvent returns the next event of hazard hazardID after prev (nil for the first
// event), with its hash. payload is JSON bytes (json.RawMessage or []byte) or any
// value json.Marshal accepts; nil means {}. The payload is stored in canonical form.
func NewEvent(prev *Event, hazardID, actor int64, at time.Time, kind string, payload any) (Event, error) {
	if hazardID <= 0 {
		return Event{}, Errorf(EINTERNAL, "new event: hazard id %d", hazardID)
	}
	if kind == "" || len(kind) > 64 {
		return Event{}, Errorf(EINTERNAL, "new event for hazard %d: kind %q", hazardID, kind)
	}
	var raw []byte
	switch p := payload.(type) {
	case nil:
		raw = []byte("{}")
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return Event{}, fmt.Errorf("new event for hazard %d: marshal payload: %w", hazardID, err)
		}
		raw = b
	}
	canon, err := CanonicalJSON(raw)
	if err != nil {
		return Event{}, fmt.Errorf("new event for hazard %d: %w", hazardID, err)
	}
	e := Event{
		HazardID: hazardID,
		Seq:      1,
		Actor:    actor,
		At:       at.UTC().Truncate(time.Microsecond),
		Kind:     kind,
		Payload:  canon,
	}
	if prev != nil {
		if prev.HazardID != hazardID {
			return Event{}, Errorf(EINTERNAL, "new event for hazard %d chained to an event of hazard %d", hazardID, prev.HazardID)
		}
		e.Seq = prev.Seq + 1
		e.PrevHash = prev.Hash
	}
	e.Hash = e.hashWith(canon) // e.Payload is canon: no need to canonicalise it again
	return e, nil
}

// ChainError reports the first broken link of a hazard's event chain.
type ChainError struct {
	HazardID int64
	Seq      int64 // the seq of the first event that does not verify
	Reason   string
}

// Error returns "hazard <id>, event <seq>: <reason>".
func (e *ChainError) Error() string {
	return fmt.Sprintf("hazard %d, event %d: %s", e.HazardID, e.Seq, e.Reason)
}

// VerifyChain checks the events of one hazard, given in the order they were
// written (storage: ORDER BY seq), and returns a *ChainError for the first broken
// link: a hash that does not match the event's content (the event was altered), a
// PrevHash that does not match the previous event's Hash (an event was removed,
// inserted or replaced), a gap or repeat in Seq, or an event of another hazard.
//
// A chain can only vouch for what it contains: removing the newest events leaves
// a valid shorter chain. VerifyHead catches that when the hazard row keeps the
// hash of its newest event.
func VerifyChain(events []Event) error {
	for i, e := range events {
		fail := func(format string, args ...any) error {
			return &ChainError{HazardID: e.HazardID, Seq: e.Seq, Reason: fmt.Sprintf(format, args...)}
		}
		if i == 0 {
			if e.Seq != 1 {
				return fail("the chain starts at seq %d, not 1 (earlier events are missing)", e.Seq)
			}
			if e.PrevHash != "" {
				return fail("the first event has a previous hash")
			}
		} else {
			prev := events[i-1]
			if e.HazardID != prev.HazardID {
				return fail("belongs to hazard %d, not %d", e.HazardID, prev.HazardID)
			}
			if e.Seq != prev.Seq+1 {
				return fail("expected seq %d after %d (an event is missing or repeated)", prev.Seq+1, prev.Seq)
			}
			if e.PrevHash != prev.Hash {
				return fail("previous hash does not match event %d (an event was removed, inserted or replaced)", prev.Seq)
			}
		}
		if _, err := CanonicalJSON(e.Payload); err != nil {
			return fail("payload is not valid JSON")
		}
		if got := e.ComputeHash(); got != e.Hash {
			return fail("hash mismatch: the event was altered (stored %s, computed %s)", short(e.Hash), short(got))
		}
	}
	return nil
}

// VerifyHead checks that the chain ends where the hazard row says it does: at seq
// headSeq with hash headHash. It catches the removal of the newest events, which
// VerifyChain alone cannot. Call it after VerifyChain.
func VerifyHead(events []Event, hazardID, headSeq int64, headHash string) error {
	if len(events) == 0 {
		if headSeq == 0 {
			return nil
		}
		return &ChainError{HazardID: hazardID, Seq: 1, Reason: fmt.Sprintf("no events, but the hazard records %d", headSeq)}
	}
	last := events[len(events)-1]
	if last.Seq != headSeq || last.Hash != headHash {
		return &ChainError{HazardID: hazardID, Seq: last.Seq + 1, Reason: fmt.Sprintf("the chain ends at event %d but the hazard records event %d as its newest (events were removed)", last.Seq, headSeq)}
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// maxCanonicalExponent bounds the decimal exponent of a JSON number that
// CanonicalJSON writes out in full; larger numbers are refused (Postgres numeric
// refuses them too), so that "1e999999999" cannot make us write a billion zeros.
const maxCanonicalExponent = 1000

// CanonicalJSON returns the canonical form of the JSON document b: no insignificant
// whitespace, object keys sorted by their UTF-8 bytes, the last of duplicate keys,
// strings re-escaped the way encoding/json writes them (without HTML escaping),
// and numbers written as exact plain decimals (100 for 1e2 and 100.0, 0.5 for 5e-1,
// 0 for -0) so that any rewrite by Postgres jsonb maps to the same bytes. Empty
// input is {}. Invalid JSON, trailing data, a NUL character (which jsonb cannot
// store) or a number beyond 1e±1000 is an error.
func CanonicalJSON(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("payload has data after the JSON value")
	}
	v, err := canonicalValue(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode canonical payload: %w", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// canonicalValue rewrites numbers to their canonical form and rejects NULs; maps
// are sorted by encoding/json when encoded.
func canonicalValue(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.ContainsRune(k, 0) {
				return nil, errors.New("payload contains a NUL character")
			}
			c, err := canonicalValue(val)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case []any:
		for i, val := range x {
			c, err := canonicalValue(val)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	case string:
		if strings.ContainsRune(x, 0) {
			return nil, errors.New("payload contains a NUL character")
		}
		return x, nil
	case json.Number:
		s, err := canonicalNumber(string(x))
		if err != nil {
			return nil, err
		}
		return json.Number(s), nil
	}
	return v, nil // bool, nil
}

// canonicalNumber writes the JSON number s as an exact plain decimal with no
// exponent, no leading or trailing zeros and no negative zero.
func canonicalNumber(s string) (string, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expPart, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		n, err := strconv.Atoi(strings.TrimPrefix(expPart, "+"))
		if err != nil || n > 10*maxCanonicalExponent || n < -10*maxCanonicalExponent {
			return "", fmt.Errorf("number %q is out of range", s)
		}
		exp = n
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	exp -= len(frac)
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", nil
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	digits = trimmed
	if exp > maxCanonicalExponent || -exp > maxCanonicalExponent+len(digits) {
		return "", fmt.Errorf("number %q is out of range", s)
	}
	var out string
	switch point := len(digits) + exp; {
	case exp >= 0:
		out = digits + strings.Repeat("0", exp)
	case point > 0:
		out = digits[:point] + "." + digits[point:]
	default:
		out = "0." + strings.Repeat("0", -point) + digits
	}
	if neg {
		out = "-" + out
	}
	return out, nil
}
