package storagetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// WebhookSignatureValid checks a webhook's X-SafeGrid-Signature header as a
// receiver would, written here independently of storage.SignWebhook: "t=<unix>,
// v1=<hex HMAC-SHA256 of "<unix>.<body>">" with secret.
func WebhookSignatureValid(secret, header string, body []byte) bool {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return ts != "" && hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(v1))
}
