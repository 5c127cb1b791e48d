package inspect

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status in a single table.
const (
	EINVALID      = "invalid"      // bad input; the message names the field
	EUNAUTHORIZED = "unauthorized" // not logged in, or a bad or expired session
	EFORBIDDEN    = "forbidden"    // logged in, but outside the caller's role or scope
	ENOTFOUND     = "not_found"    // no such thing (or not visible to the caller)
	ECONFLICT     = "conflict"     // clashes with the current state
	ETOOLARGE     = "too_large"    // over a size limit
	EUNSUPPORTED  = "unsupported"  // a media type or format we do not accept
	ETOOMANY      = "too_many"     // rate limited
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details only in the log
)

// Error is the application error: a code from the list above and a message that is
// safe to show to a user. Field, when set, names the input field that was wrong.
// Err, when set, is the underlying cause kept for the log; it is never shown to a
// user and never part of Error().
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

// Error returns the user-safe message, prefixed by the field when one is set.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Unwrap returns the underlying cause, so errors.Is and errors.As see through an
// *Error to, say, io.ErrUnexpectedEOF.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an invalid-input *Error naming the field that was wrong.
func FieldErrorf(field string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the *Error's message, or a
// generic text for internal errors so that no detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
