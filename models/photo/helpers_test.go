package photo_test

import (
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// assertCode fails unless err has the code and its user message contains every
// string in contains.
func assertCode(t *testing.T, err error, code string, contains ...string) {
	t.Helper()
	if got := inspect.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	msg := inspect.ErrorMessage(err)
	for _, c := range contains {
		if !strings.Contains(msg, c) {
			t.Errorf("message %q does not mention %q", msg, c)
		}
	}
}
