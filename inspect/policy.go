package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// TimeLimitPolicy is the time-limit policy as data: how long each level has to get
// a hazard of each severity rectified, how soon a unit must sign for (签收) a
// hazard handed to it, and when reminders go out before a deadline. The default
// applies everywhere; a district may override parts of it (PolicyOverride).
type TimeLimitPolicy struct {
	// SignWithin is how long the party a hazard is handed to (the merchant at the
	// notice, a unit at an escalation) has to sign for it (SignFor).
	SignWithin Duration `json:"sign_within"`
	// SignGrace says what a missed signature does: zero escalates the hazard one
	// level at once; a positive grace reminds the party first and escalates only
	// when the grace has run out unsigned too.
	SignGrace Duration `json:"sign_grace"`
	// ReinspectWithin is how long the inspector has to re-inspect a hazard whose
	// deadline passed (reinspection_due); an overdue re-inspection escalates.
	ReinspectWithin Duration `json:"reinspect_within"`
	// RemindBefore are the offsets before a deadline at which reminders go out,
	// longest first.
	RemindBefore []Duration `json:"remind_before"`
	// Rectify is the rectification time limit per level and severity.
	Rectify map[Level]map[Severity]Duration `json:"rectify"`
}

// maxLimit bounds every duration in a policy: a year is already generous.
const maxLimit = 366 * 24 * time.Hour

// DefaultPolicy returns the built-in policy: sign within 8 h, escalating at once when
// nobody signed; re-inspect within 1 day of a passed deadline; rectify within 1 day
// at the grid, 3 days at the community and 7 days at the subdistrict and the
// district, for every severity; reminders 24 h and 2 h before each deadline.
func DefaultPolicy() TimeLimitPolicy {
	day := 24 * time.Hour
	per := func(d time.Duration) map[Severity]Duration {
		m := map[Severity]Duration{}
		for _, s := range severities {
			m[s] = Duration(d)
		}
		return m
	}
	return TimeLimitPolicy{
		SignWithin:      Duration(8 * time.Hour),
		ReinspectWithin: Duration(day),
		RemindBefore:    []Duration{Duration(24 * time.Hour), Duration(2 * time.Hour)},
		Rectify: map[Level]map[Severity]Duration{
			LevelGrid:        per(day),
			LevelCommunity:   per(3 * day),
			LevelSubdistrict: per(7 * day),
			LevelDistrict:    per(7 * day),
		},
	}
}

// Validate checks that p is complete and sane: a positive limit for every level and
// severity, a positive sign-within, positive distinct reminders. The error is an
// EINVALID *Error naming the field by its JSON path (rectify.grid.general).
func (p TimeLimitPolicy) Validate() error {
	if err := checkLimit("sign_within", p.SignWithin); err != nil {
		return err
	}
	if err := checkGrace(p.SignGrace); err != nil {
		return err
	}
	if err := checkLimit("reinspect_within", p.ReinspectWithin); err != nil {
		return err
	}
	if err := checkReminders(p.RemindBefore); err != nil {
		return err
	}
	if err := checkRectifyKeys(p.Rectify); err != nil {
		return err
	}
	for _, l := range levels {
		for _, s := range severities {
			d, ok := p.Rectify[l][s]
			if !ok {
				return FieldErrorf(fmt.Sprintf("rectify.%s.%s", l, s), "is missing")
			}
			if err := checkLimit(fmt.Sprintf("rectify.%s.%s", l, s), d); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkLimit(field string, d Duration) error {
	if d <= 0 {
		return FieldErrorf(field, "must be a positive duration")
	}
	if time.Duration(d) > maxLimit {
		return FieldErrorf(field, "must be at most 366d")
	}
	return nil
}

// checkGrace checks a sign grace: zero (escalate at once) or a limit.
func checkGrace(d Duration) error {
	if d == 0 {
		return nil
	}
	return checkLimit("sign_grace", d)
}

func checkReminders(rs []Duration) error {
	if len(rs) > 10 {
		return FieldErrorf("remind_before", "at most 10 reminders")
	}
	for i, r := range rs {
		if err := checkLimit(fmt.Sprintf("remind_before[%d]", i), r); err != nil {
			return err
		}
		if slices.Contains(rs[:i], r) {
			return FieldErrorf(fmt.Sprintf("remind_before[%d]", i), "%s is listed twice", r)
		}
	}
	return nil
}

func checkRectifyKeys(m map[Level]map[Severity]Duration) error {
	for l, byS := range m {
		if !l.Valid() {
			return FieldErrorf("rectify."+string(l), "is not a level (district, subdistrict, community, grid)")
		}
		for s := range byS {
			if !s.Valid() {
				return FieldErrorf(fmt.Sprintf("rectify.%s.%s", l, s), "is not a severity (general, possibly_major, major)")
			}
		}
	}
	return nil
}

// Limit returns the rectification time limit for level and severity. A policy that
// lacks the entry (it did not pass Validate) falls back to the default's, so that a
// deadline is never "now".
func (p TimeLimitPolicy) Limit(level Level, sev Severity) time.Duration {
	if d, ok := p.Rectify[level][sev]; ok && d > 0 {
		return time.Duration(d)
	}
	if d, ok := DefaultPolicy().Rectify[level][sev]; ok {
		return time.Duration(d)
	}
	return 24 * time.Hour
}

// Deadline returns the rectification deadline for a hazard of severity sev that a
// unit of the given level becomes responsible for at from.
func (p TimeLimitPolicy) Deadline(level Level, sev Severity, from time.Time) time.Time {
	return from.Add(p.Limit(level, sev))
}

// SignDeadline returns when a unit that was handed a hazard at from must have signed
// for it.
func (p TimeLimitPolicy) SignDeadline(from time.Time) time.Time {
	return from.Add(time.Duration(p.SignWithin))
}

// ReinspectDeadline returns when the inspector must have re-inspected a hazard
// whose deadline passed at passed.
func (p TimeLimitPolicy) ReinspectDeadline(passed time.Time) time.Time {
	return passed.Add(time.Duration(p.ReinspectWithin))
}

// Reminders returns the times reminders go out before deadline, earliest first. The
// scheduler skips those already past when it plans them.
func (p TimeLimitPolicy) Reminders(deadline time.Time) []time.Time {
	out := make([]time.Time, 0, len(p.RemindBefore))
	for _, r := range p.RemindBefore {
		out = append(out, deadline.Add(-time.Duration(r)))
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, time.Time.Equal)
}

// PolicyOverride is a district's change to the default policy. Every field is
// optional: a nil SignWithin or RemindBefore keeps the default, RemindBefore when
// set replaces the whole list, and Rectify replaces only the entries it names.
type PolicyOverride struct {
	SignWithin      *Duration                       `json:"sign_within,omitempty"`
	SignGrace       *Duration                       `json:"sign_grace,omitempty"`
	ReinspectWithin *Duration                       `json:"reinspect_within,omitempty"`
	RemindBefore    []Duration                      `json:"remind_before,omitempty"`
	Rectify         map[Level]map[Severity]Duration `json:"rectify,omitempty"`
}

// ParsePolicyOverride reads a district's override from JSON. Unknown keys, unknown
// levels or severities and bad durations are EINVALID errors naming the field by
// its JSON path, so that a typo is refused instead of silently ignored.
func ParsePolicyOverride(data []byte) (PolicyOverride, error) {
	var raw policyText
	if err := decodeStrict(data, &raw); err != nil {
		return PolicyOverride{}, err
	}
	var o PolicyOverride
	var err error
	if o.SignWithin, err = parseOptional("sign_within", raw.SignWithin); err != nil {
		return PolicyOverride{}, err
	}
	if o.SignGrace, err = parseOptional("sign_grace", raw.SignGrace); err != nil {
		return PolicyOverride{}, err
	}
	if o.ReinspectWithin, err = parseOptional("reinspect_within", raw.ReinspectWithin); err != nil {
		return PolicyOverride{}, err
	}
	if o.RemindBefore, err = parseReminders(raw.RemindBefore); err != nil {
		return PolicyOverride{}, err
	}
	if o.Rectify, err = parseRectify(raw.Rectify); err != nil {
		return PolicyOverride{}, err
	}
	if err := o.Validate(); err != nil {
		return PolicyOverride{}, err
	}
	return o, nil
}

// policyText is the JSON shape of a policy or an override with durations still as
// text, so that a bad duration can be reported with its field.
type policyText struct {
	SignWithin      *string                      `json:"sign_within"`
	SignGrace       *string                      `json:"sign_grace"`
	ReinspectWithin *string                      `json:"reinspect_within"`
	RemindBefore    []string                     `json:"remind_before"`
	Rectify         map[string]map[string]string `json:"rectify"`
}

func parseField(field, s string) (Duration, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return 0, FieldErrorf(field, "%s", err.Error())
	}
	return d, nil
}

// parseOptional parses an optional duration field; nil stays nil.
func parseOptional(field string, s *string) (*Duration, error) {
	if s == nil {
		return nil, nil
	}
	d, err := parseField(field, *s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func parseReminders(rs []string) ([]Duration, error) {
	if rs == nil {
		return nil, nil
	}
	out := make([]Duration, len(rs))
	for i, r := range rs {
		d, err := parseField(fmt.Sprintf("remind_before[%d]", i), r)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func parseRectify(m map[string]map[string]string) (map[Level]map[Severity]Duration, error) {
	if m == nil {
		return nil, nil
	}
	out := map[Level]map[Severity]Duration{}
	for l, byS := range m {
		out[Level(l)] = map[Severity]Duration{}
		for s, v := range byS {
			d, err := parseField(fmt.Sprintf("rectify.%s.%s", l, s), v)
			if err != nil {
				return nil, err
			}
			out[Level(l)][Severity(s)] = d
		}
	}
	return out, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// trailing data, with user-safe EINVALID errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return policyJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(EINVALID, "policy: unexpected data after the JSON object")
	}
	return nil
}

// Validate checks the override's keys and durations.
func (o PolicyOverride) Validate() error {
	if o.SignWithin != nil {
		if err := checkLimit("sign_within", *o.SignWithin); err != nil {
			return err
		}
	}
	if o.SignGrace != nil {
		if err := checkGrace(*o.SignGrace); err != nil {
			return err
		}
	}
	if o.ReinspectWithin != nil {
		if err := checkLimit("reinspect_within", *o.ReinspectWithin); err != nil {
			return err
		}
	}
	if err := checkReminders(o.RemindBefore); err != nil {
		return err
	}
	if err := checkRectifyKeys(o.Rectify); err != nil {
		return err
	}
	for l, byS := range o.Rectify {
		for s, d := range byS {
			if err := checkLimit(fmt.Sprintf("rectify.%s.%s", l, s), d); err != nil {
				return err
			}
		}
	}
	return nil
}

// WithOverride returns p with o applied, after validating both. p is not modified.
func (p TimeLimitPolicy) WithOverride(o PolicyOverride) (TimeLimitPolicy, error) {
	if err := o.Validate(); err != nil {
		return TimeLimitPolicy{}, err
	}
	out := TimeLimitPolicy{
		SignWithin:      p.SignWithin,
		SignGrace:       p.SignGrace,
		ReinspectWithin: p.ReinspectWithin,
		RemindBefore:    slices.Clone(p.RemindBefore),
		Rectify:         map[Level]map[Severity]Duration{},
	}
	for l, byS := range p.Rectify {
		out.Rectify[l] = map[Severity]Duration{}
		for s, d := range byS {
			out.Rectify[l][s] = d
		}
	}
	if o.SignWithin != nil {
		out.SignWithin = *o.SignWithin
	}
	if o.SignGrace != nil {
		out.SignGrace = *o.SignGrace
	}
	if o.ReinspectWithin != nil {
		out.ReinspectWithin = *o.ReinspectWithin
	}
	if o.RemindBefore != nil {
		out.RemindBefore = slices.Clone(o.RemindBefore)
	}
	for l, byS := range o.Rectify {
		if out.Rectify[l] == nil {
			out.Rectify[l] = map[Severity]Duration{}
		}
		for s, d := range byS {
			out.Rectify[l][s] = d
		}
	}
	if err := out.Validate(); err != nil {
		return TimeLimitPolicy{}, err
	}
	return out, nil
}

// ParsePolicy reads a whole policy from JSON (as written by json.Marshal of a
// TimeLimitPolicy) and validates it. sign_grace and reinspect_within, which older
// policies lack, default to the default policy's.
func ParsePolicy(data []byte) (TimeLimitPolicy, error) {
	var raw policyText
	if err := decodeStrict(data, &raw); err != nil {
		return TimeLimitPolicy{}, err
	}
	var p TimeLimitPolicy
	if raw.SignWithin == nil {
		return TimeLimitPolicy{}, FieldErrorf("sign_within", "is missing")
	}
	var err error
	if p.SignWithin, err = parseField("sign_within", *raw.SignWithin); err != nil {
		return TimeLimitPolicy{}, err
	}
	def := DefaultPolicy()
	p.SignGrace, p.ReinspectWithin = def.SignGrace, def.ReinspectWithin
	if raw.SignGrace != nil {
		if p.SignGrace, err = parseField("sign_grace", *raw.SignGrace); err != nil {
			return TimeLimitPolicy{}, err
		}
	}
	if raw.ReinspectWithin != nil {
		if p.ReinspectWithin, err = parseField("reinspect_within", *raw.ReinspectWithin); err != nil {
			return TimeLimitPolicy{}, err
		}
	}
	if p.RemindBefore, err = parseReminders(raw.RemindBefore); err != nil {
		return TimeLimitPolicy{}, err
	}
	if p.Rectify, err = parseRectify(raw.Rectify); err != nil {
		return TimeLimitPolicy{}, err
	}
	if err := p.Validate(); err != nil {
		return TimeLimitPolicy{}, err
	}
	return p, nil
}

// policyJSONError turns a decoding error into a user-safe EINVALID error.
func policyJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return Errorf(EINVALID, "policy is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		return FieldErrorf(typ.Field, "must be a %s", typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(EINVALID, "policy is empty or cut short")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return FieldErrorf(strings.Trim(f, `"`), "unknown field")
	}
	return Errorf(EINVALID, "policy is not valid JSON")
}
