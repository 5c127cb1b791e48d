-- The notification outbox. A notification is stored in the same transaction as the
-- change it is about, together with the River job that delivers it; the job claims
-- the row (SELECT ... FOR UPDATE SKIP LOCKED), sends it and marks it sent in one
-- transaction, so that it is sent once however many replicas run jobs. In-app
-- notifications are delivered by being stored: the row is what the user's list shows.
CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key yet: this migration was written beside the one that creates
    -- users. A later migration adds REFERENCES users (id).
    user_id    bigint NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('in_app', 'sms', 'log')),
    kind       text NOT NULL,
    text_zh    text NOT NULL,
    text_en    text NOT NULL,
    -- The number an SMS went to, as it was when the notification was enqueued.
    phone      text NOT NULL DEFAULT '',
    -- Names the event (e.g. one reminder of one deadline of one hazard), so that the
    -- same event enqueued twice for a user and channel is stored, and sent, once.
    dedup_key  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    failed_at  timestamptz, -- delivery given up: refused for good, or out of attempts
    read_at    timestamptz,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    CONSTRAINT notifications_dedup UNIQUE (user_id, channel, dedup_key)
);

-- A user's in-app list, newest first, paged by id.
CREATE INDEX notifications_in_app_idx ON notifications (user_id, id DESC) WHERE channel = 'in_app';
