package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// The effects of changes, as inspect decided them, carried out in the
// transaction of the changes. One change (an action) and many (a batch of
// deadline jobs) take the same path, with a fixed number of statements however
// many notices there are: audiences are resolved with one query per kind, phones
// with one, the outbox rows are inserted with one statement and their delivery
// jobs and the deadlines' jobs with one insert each.

// bulkQueue is a Queue that inserts many jobs with one statement (jobs.Scheduler
// is one); with any other Queue they are inserted one at a time.
type bulkQueue interface {
	ScheduleDeadlines(ctx context.Context, tx pgx.Tx, plans []inspect.DeadlineSchedule) error
	DeliverNotifications(ctx context.Context, tx pgx.Tx, ids []int64) error
}

// execute carries out the effects of one change in tx (executeAll) and returns
// how many users were notified.
func (s *base) execute(ctx context.Context, tx pgx.Tx, e inspect.Effects) (notified int, err error) {
	n, err := s.executeAll(ctx, tx, []inspect.Effects{e})
	if err != nil {
		return 0, err
	}
	return n[0], nil
}

// executeAll carries out effects in tx, as the domain decided them: it lists
// hazards for supervision, resolves each notice's audience to users and enqueues
// the notice for each (in-app always, by SMS to the user's phone when SMS is on),
// and has the queue schedule the deadlines' jobs. It returns how many users each
// entry of effects notified.
func (s *base) executeAll(ctx context.Context, tx pgx.Tx, effects []inspect.Effects) ([]int, error) {
	notified := make([]int, len(effects))
	var sites, units []int64
	var plans []inspect.DeadlineSchedule
	for _, e := range effects {
		if e.Supervise != nil {
			if err := supervise(ctx, tx, *e.Supervise, s.now()); err != nil {
				return nil, err
			}
		}
		for _, n := range e.Notices {
			switch n.To {
			case inspect.ToSiteMerchants:
				sites = append(sites, n.SiteID)
			case inspect.ToUnitOfficers:
				units = append(units, n.UnitID)
			case inspect.ToUsers:
			default:
				return nil, fmt.Errorf("notice %q: unknown audience %q", n.DedupKey, n.To)
			}
		}
		if e.Schedule != nil {
			plans = append(plans, *e.Schedule)
		}
	}
	merchants, err := merchantsOfSites(ctx, tx, sites)
	if err != nil {
		return nil, err
	}
	officers, err := officersOfUnits(ctx, tx, units)
	if err != nil {
		return nil, err
	}
	var out []inspect.Notification
	for i, e := range effects {
		for _, n := range e.Notices {
			users := n.UserIDs
			switch n.To {
			case inspect.ToSiteMerchants:
				users = merchants[n.SiteID]
			case inspect.ToUnitOfficers:
				users = officers[n.UnitID]
			}
			for _, u := range users {
				out = append(out, inspect.Notification{UserID: u, Channel: inspect.ChannelInApp, Kind: n.Message.Kind,
					TextZH: n.Message.TextZH, TextEN: n.Message.TextEN, DedupKey: n.DedupKey})
				notified[i]++
			}
		}
	}
	if out, err = s.withSMS(ctx, tx, out); err != nil {
		return nil, err
	}
	if err := s.enqueueAll(ctx, tx, out); err != nil {
		return nil, err
	}
	if len(plans) > 0 && s.queue != nil {
		if err := s.schedule(ctx, tx, plans); err != nil {
			return nil, err
		}
	}
	return notified, nil
}

// withSMS returns the in-app notifications ns, each followed by its SMS copy to
// the user's phone when SMS is on and the user has a phone.
func (s *base) withSMS(ctx context.Context, tx pgx.Tx, ns []inspect.Notification) ([]inspect.Notification, error) {
	if !s.sms || len(ns) == 0 {
		return ns, nil
	}
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.UserID
	}
	rows, err := tx.Query(ctx, `SELECT id, phone FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("phones of %d users: %w", len(ids), err)
	}
	phones := map[int64]string{}
	var id int64
	var phone string
	if _, err := pgx.ForEachRow(rows, []any{&id, &phone}, func() error { phones[id] = phone; return nil }); err != nil {
		return nil, fmt.Errorf("phones of %d users: %w", len(ids), err)
	}
	out := make([]inspect.Notification, 0, 2*len(ns))
	for _, n := range ns {
		phone, ok := phones[n.UserID]
		if !ok {
			return nil, fmt.Errorf("phone of user %d: %w", n.UserID, inspect.Errorf(inspect.ENOTFOUND, "user not found"))
		}
		out = append(out, n)
		if phone != "" {
			n.Channel, n.Phone = inspect.ChannelSMS, phone
			out = append(out, n)
		}
	}
	return out, nil
}

// enqueueAll stores ns in the outbox with one statement and inserts the delivery
// jobs of those that need one, in tx. A notification with the same user, channel
// and dedup key as a stored one (or an earlier one of ns) is not stored again
// and gets no second job, as in enqueueNotification.
func (s *base) enqueueAll(ctx context.Context, tx pgx.Tx, ns []inspect.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	var (
		users                                 = make([]int64, len(ns))
		channels, kinds, zh, en, phones, keys = make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns)),
			make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns))
	)
	for i, n := range ns {
		if err := n.Validate(); err != nil {
			return err
		}
		users[i], channels[i], kinds[i], zh[i], en[i] = n.UserID, string(n.Channel), string(n.Kind), n.TextZH, n.TextEN
		phones[i], keys[i] = inspect.NormalizePhone(n.Phone), n.DedupKey
	}
	rows, err := tx.Query(ctx, `INSERT INTO notifications (user_id, channel, kind, text_zh, text_en, phone, dedup_key, sent_at)
		SELECT u, c, k, zh, en, p, d, CASE WHEN c = 'in_app' THEN now() END
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS n(u, c, k, zh, en, p, d, i)
		ORDER BY i
		ON CONFLICT (user_id, channel, dedup_key) DO NOTHING
		RETURNING id, channel`, users, channels, kinds, zh, en, phones, keys)
	if err != nil {
		return fmt.Errorf("store %d notifications: %w", len(ns), err)
	}
	var deliver []int64
	var id int64
	var channel string
	_, err = pgx.ForEachRow(rows, []any{&id, &channel}, func() error {
		if channel != string(inspect.ChannelInApp) {
			deliver = append(deliver, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d notifications: %w", len(ns), err)
	}
	if len(deliver) == 0 {
		return nil
	}
	if s.queue == nil {
		return fmt.Errorf("notification %d needs delivery: no job queue to deliver it", deliver[0])
	}
	if q, ok := s.queue.(bulkQueue); ok {
		if err := q.DeliverNotifications(ctx, tx, deliver); err != nil {
			return fmt.Errorf("schedule delivery of %d notifications: %w", len(deliver), err)
		}
		return nil
	}
	for _, id := range deliver {
		if err := s.queue.DeliverNotification(ctx, tx, id); err != nil {
			return fmt.Errorf("schedule delivery of notification %d: %w", id, err)
		}
	}
	return nil
}

// schedule has the queue insert the jobs of plans in tx.
func (s *base) schedule(ctx context.Context, tx pgx.Tx, plans []inspect.DeadlineSchedule) error {
	if q, ok := s.queue.(bulkQueue); ok {
		if err := q.ScheduleDeadlines(ctx, tx, plans); err != nil {
			return fmt.Errorf("schedule the deadlines of %d hazards: %w", len(plans), err)
		}
		return nil
	}
	for _, p := range plans {
		if err := s.queue.ScheduleDeadline(ctx, tx, p); err != nil {
			return fmt.Errorf("schedule deadline of hazard %d: %w", p.HazardID, err)
		}
	}
	return nil
}

// merchantsOfSites returns the merchants linked to each of sites, by id.
func merchantsOfSites(ctx context.Context, q querier, sites []int64) (map[int64][]int64, error) {
	return groupedIDs(ctx, q, "merchants of sites",
		`SELECT site_id, user_id FROM site_merchants WHERE site_id = ANY($1) ORDER BY site_id, user_id`, sites)
}

// officersOfUnits returns the safety officers whose home unit is each of units,
// by id. A unit without safety officers of its own (a community whose officer left)
// hands the notice up to the nearest unit above it that has some: a hazard
// escalated there is never told to no one.
func officersOfUnits(ctx context.Context, q querier, units []int64) (map[int64][]int64, error) {
	return groupedIDs(ctx, q, "safety officers of units", `WITH RECURSIVE up AS (
			SELECT u.id AS start, u.id, u.parent_id, 0 AS depth FROM units u WHERE u.id = ANY($1)
			UNION ALL
			SELECT up.start, p.id, p.parent_id, up.depth + 1 FROM up JOIN units p ON p.id = up.parent_id),
		officers AS (
			SELECT up.start, up.depth, o.id FROM up JOIN users o ON o.unit_id = up.id AND o.role = 'safety_officer'),
		nearest AS (SELECT start, min(depth) AS depth FROM officers GROUP BY start)
		SELECT o.start, o.id FROM officers o JOIN nearest n ON n.start = o.start AND n.depth = o.depth ORDER BY o.start, o.id`, units)
}

// groupedIDs runs sql, which selects (key, id) pairs for the keys $1, and groups
// the ids by key; no keys read nothing.
func groupedIDs(ctx context.Context, q querier, what, sql string, keys []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, sql, keys)
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", what, keys[0], err)
	}
	var key, id int64
	if _, err := pgx.ForEachRow(rows, []any{&key, &id}, func() error { out[key] = append(out[key], id); return nil }); err != nil {
		return nil, fmt.Errorf("%s %v: %w", what, keys[0], err)
	}
	return out, nil
}

// siteMerchants returns the merchants linked to the site, by id.
func siteMerchants(ctx context.Context, q querier, siteID int64) ([]int64, error) {
	m, err := merchantsOfSites(ctx, q, []int64{siteID})
	return m[siteID], err
}
