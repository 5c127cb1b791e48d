package inspect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// assertField fails unless err is nil (wantField "") or an EINVALID *inspect.Error
// naming wantField.
func assertField(t *testing.T, err error, wantField string) {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *inspect.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *inspect.Error on field %q", err, wantField)
	}
	if e.Code != inspect.EINVALID || e.Field != wantField {
		t.Fatalf("error = %s/%q (%v), want invalid on field %q", e.Code, e.Field, err, wantField)
	}
}

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

// districtTree is district 1 with subdistrict 2 (community 3, grids 4 and 5) and
// subdistrict 6 (community 7), then more.
func districtTree(more ...inspect.Unit) []inspect.Unit {
	return append([]inspect.Unit{
		{ID: 1, Level: inspect.LevelDistrict},
		{ID: 2, ParentID: 1, Level: inspect.LevelSubdistrict},
		{ID: 3, ParentID: 2, Level: inspect.LevelCommunity},
		{ID: 4, ParentID: 3, Level: inspect.LevelGrid},
		{ID: 5, ParentID: 3, Level: inspect.LevelGrid},
		{ID: 6, ParentID: 1, Level: inspect.LevelSubdistrict},
		{ID: 7, ParentID: 6, Level: inspect.LevelCommunity},
	}, more...)
}
