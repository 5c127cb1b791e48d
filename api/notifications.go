package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// In-app notifications: what the scheduler and the workflow tell a user.

// NotificationQuery pages GET /notifications, newest first: limit, and where to
// start, as the cursor the previous page answered as next or (as before cursors)
// before, the id of its last notification.
type NotificationQuery struct {
	Limit  int    `query:"limit" default:"50" json:"-"`
	Before int64  `query:"before" json:"-"`
	Cursor string `query:"cursor" json:"-"`
}

func (h *v1) listNotifications(ctx context.Context, p inspect.Principal, q NotificationQuery) (List[inspect.Notification], error) {
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Cursor != "" {
		var err error
		if q.Before, err = (Page{Cursor: q.Cursor}).after(); err != nil {
			return List[inspect.Notification]{}, err
		}
	}
	list, err := h.cfg.Notifications.Notifications(ctx, p, q.Limit, q.Before)
	return pageOf(list, err, q.Limit, func(n inspect.Notification) int64 { return n.ID })
}

func (h *v1) markNotificationRead(ctx context.Context, p inspect.Principal, in ByID) (NoContent, error) {
	return NoContent{}, h.cfg.Notifications.MarkNotificationRead(ctx, p, in.ID)
}
