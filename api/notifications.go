package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// In-app notifications: what the scheduler and the workflow tell a user.

// NotificationQuery pages GET /notifications, newest first.
type NotificationQuery struct {
	Limit  int   `query:"limit" default:"50" json:"-"`
	Before int64 `query:"before" json:"-"`
}

func (h *v1) listNotifications(ctx context.Context, p inspect.Principal, q NotificationQuery) (List[inspect.Notification], error) {
	if q.Limit == 0 {
		q.Limit = 50
	}
	return listOf(h.cfg.Notifications.Notifications(ctx, p, q.Limit, q.Before))
}

func (h *v1) markNotificationRead(ctx context.Context, p inspect.Principal, in ByID) (NoContent, error) {
	return NoContent{}, h.cfg.Notifications.MarkNotificationRead(ctx, p, in.ID)
}
