// Package sms sends text messages through an SMS provider over HTTP: one POST per
// message, its body rendered from an operator's template. It is the SMS channel of
// the notification outbox (an inspect.Sender); the delivery job in package jobs
// drives it.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// DefaultTemplate is the POST body unless the operator says otherwise.
const DefaultTemplate = `{"phone":{{json .Phone}},"text":{{json .Text}},"id":{{.ID}}}`

// Message is what the body template is executed over.
type Message struct {
	// ID is the notification id: the same for every attempt at one message, so a
	// provider that de-duplicates can use it.
	ID    int64
	Phone string
	Text  string
}

// ParseTemplate parses and tries out a body template, so that a template naming a
// field that does not exist fails at start-up, not at the first text. name names
// the setting in errors.
func ParseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("not a valid template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if err := t.Execute(io.Discard, Message{ID: 1, Phone: "13800138000", Text: "测试"}); err != nil {
		return nil, fmt.Errorf("the template fails on a sample message: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

// Timeout bounds one request to the provider; the outbox row stays locked while
// it runs.
const Timeout = 20 * time.Second

// Sender posts each SMS to the configured provider.
type Sender struct {
	url         string
	body        *template.Template
	contentType string
	client      *http.Client
}

// NewSender returns a sender posting to providerURL, the body rendered from body
// (see ParseTemplate) with the given Content-Type.
func NewSender(providerURL string, body *template.Template, contentType string) *Sender {
	return &Sender{url: providerURL, body: body, contentType: contentType, client: &http.Client{Timeout: Timeout}}
}

// Off is the sender when no provider is configured: every SMS is undeliverable at
// once, so its job gives up instead of retrying.
var Off inspect.Sender = inspect.SenderFunc(func(context.Context, inspect.Notification) error {
	return inspect.Undeliverable(errors.New("SMS is off (SAFEGRID_SMS_URL is empty)"))
})

// Send posts n's Chinese text to the provider. 2xx is sent; 408, 425, 429 and 5xx
// or no answer are worth retrying; any other answer means the provider refused the
// message, which a retry will not change.
func (s *Sender) Send(ctx context.Context, n inspect.Notification) error {
	var body bytes.Buffer
	if err := s.body.Execute(&body, Message{ID: n.ID, Phone: n.Phone, Text: n.TextZH}); err != nil {
		return inspect.Undeliverable(fmt.Errorf("render SMS body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, &body)
	if err != nil {
		return inspect.Undeliverable(fmt.Errorf("build SMS request: %w", err))
	}
	req.Header.Set("Content-Type", s.contentType)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("safegrid-notification-%d", n.ID))
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry the provider's token: keep it out of the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("reach SMS provider: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		return fmt.Errorf("SMS provider answered %s: %s", resp.Status, bytes.TrimSpace(answer))
	default:
		return inspect.Undeliverable(fmt.Errorf("SMS provider refused the message with %s: %s", resp.Status, bytes.TrimSpace(answer)))
	}
}
