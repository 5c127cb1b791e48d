package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// WebhookService keeps the outbound webhooks (storage.WebhookService).
type WebhookService interface {
	CreateWebhook(ctx context.Context, p inspect.Principal, name, url, secret string) (inspect.Webhook, error)
	Webhooks(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.Webhook, error)
	RevokeWebhook(ctx context.Context, p inspect.Principal, id int64) (inspect.Webhook, error)
}

// WebhookInput is the body of POST /integrations/webhooks; without a secret the
// server makes one.
type WebhookInput struct {
	Name   string `json:"name" required:"true"`
	URL    string `json:"url" required:"true"`
	Secret string `json:"secret"`
}

func (h *v1) createWebhook(ctx context.Context, p inspect.Principal, in WebhookInput) (inspect.Webhook, error) {
	if in.Secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return inspect.Webhook{}, err
		}
		in.Secret = base64.RawURLEncoding.EncodeToString(b)
	}
	return h.webhooks().CreateWebhook(ctx, p, strings.TrimSpace(in.Name), strings.TrimSpace(in.URL), in.Secret)
}

func (h *v1) listWebhooks(ctx context.Context, p inspect.Principal, q Page) (List[inspect.Webhook], error) {
	return listPage(q, q.size(50, maxIntegrationPage), func(after int64, limit int) ([]inspect.Webhook, error) {
		return h.webhooks().Webhooks(ctx, p, after, limit)
	}, func(w inspect.Webhook) int64 { return w.ID })
}

func (h *v1) revokeWebhook(ctx context.Context, p inspect.Principal, in ByID) (inspect.Webhook, error) {
	return h.webhooks().RevokeWebhook(ctx, p, in.ID)
}

func (h *v1) webhooks() WebhookService {
	if h.cfg.Webhooks == nil {
		return noWebhooks{}
	}
	return h.cfg.Webhooks
}

var errNoWebhooks = inspect.Errorf(inspect.EUNAVAILABLE, "webhooks are not available on this server")

type noWebhooks struct{}

func (noWebhooks) CreateWebhook(context.Context, inspect.Principal, string, string, string) (inspect.Webhook, error) {
	return inspect.Webhook{}, errNoWebhooks
}
func (noWebhooks) Webhooks(context.Context, inspect.Principal, int64, int) ([]inspect.Webhook, error) {
	return nil, errNoWebhooks
}
func (noWebhooks) RevokeWebhook(context.Context, inspect.Principal, int64) (inspect.Webhook, error) {
	return inspect.Webhook{}, errNoWebhooks
}
