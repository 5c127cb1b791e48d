package inspect

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as text a person can edit:
// "8h", "90m", "3d" (days of 24 hours). A bare number is refused, so that nobody
// stores 3 meaning three nanoseconds.
type Duration time.Duration

// String formats d in whole days when it is a multiple of 24 h ("3d"), whole hours
// when a multiple of an hour ("8h"), and as time.Duration otherwise ("90m0s").
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td != 0 && td%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	case td != 0 && td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	}
	return td.String()
}

// ParseDuration parses "3d" (whole days) or anything time.ParseDuration accepts.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 8h, 90m or 3d", s)
	}
	return Duration(d), nil
}

// MarshalJSON writes d as a string such as "3d".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a string such as "8h" or "3d".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"8h\" or \"3d\", not %s", b)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
