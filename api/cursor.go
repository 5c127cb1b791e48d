package api

import (
	"encoding/base64"
	"encoding/json"

	"github.com/safegrid/safegrid/inspect"
)

// A cursor is the key of the last item of a page, opaque to clients: base64url of
// its JSON. A list answers it as next when there may be more, and takes it back as
// ?cursor=. Lists page by key, never by offset, so the next page starts right
// after the last item read, whatever was inserted or closed in between.

// encodeCursor returns the cursor of key.
func encodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic("cursor key does not marshal: " + err.Error()) // keys are structs of ints and bools
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads cursor into key; an EINVALID error names the cursor field
// when it is not one this list gave out.
func decodeCursor(cursor string, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || json.Unmarshal(b, key) != nil {
		return inspect.FieldErrorf("cursor", "is not a cursor of this list; pass back the next value of the previous page")
	}
	return nil
}

// nextCursor is the cursor after the last of items when the page is full (there
// may be more), "" when the list ended.
func nextCursor[T, K any](items []T, limit int, key func(T) K) string {
	if len(items) == 0 || len(items) < limit {
		return ""
	}
	return encodeCursor(key(items[len(items)-1]))
}
