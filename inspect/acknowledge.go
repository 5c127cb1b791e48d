package inspect

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// EventAcknowledged is the event of a merchant's signed acknowledgement.
const EventAcknowledged = "acknowledged"

// Acknowledgement is a merchant's signature under a hazard's paperwork: which
// document, the name they signed with, and the signature drawn on the phone as a
// PNG data URL.
type Acknowledgement struct {
	// Document is "record" (the inspection record, 检查记录) or "notice" (the
	// rectification notice, 整改通知书).
	Document  string `json:"document" required:"true"`
	Name      string `json:"name" required:"true"`
	Signature string `json:"signature" required:"true"`
}

// maxSignatureBytes bounds the drawn signature (a small PNG).
const maxSignatureBytes = 96 << 10

const pngDataURL = "data:image/png;base64,"

// Validate checks the acknowledgement; the error names the field.
func (a Acknowledgement) Validate() error {
	if a.Document != "record" && a.Document != "notice" {
		return FieldErrorf("document", "must be record or notice")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(a.Name)); n == 0 || n > 60 {
		return FieldErrorf("name", "must be 1 to 60 characters")
	}
	if !strings.HasPrefix(a.Signature, pngDataURL) {
		return FieldErrorf("signature", "must be a PNG data URL")
	}
	if len(a.Signature) > maxSignatureBytes {
		return FieldErrorf("signature", "is larger than %d bytes", maxSignatureBytes)
	}
	raw, err := base64.StdEncoding.DecodeString(a.Signature[len(pngDataURL):])
	if err != nil || len(raw) < 8 || string(raw[:8]) != "\x89PNG\r\n\x1a\n" {
		return FieldErrorf("signature", "is not a PNG image")
	}
	return nil
}
