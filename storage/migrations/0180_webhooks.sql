-- Outbound webhooks: systems that want a push for every change of a hazard. A
-- trigger puts one delivery per live webhook beside every hazard event, in the
-- transaction that appends the event, whichever code path (or COPY) appends it;
-- the delivery job claims deliveries with SKIP LOCKED, posts them signed and
-- records the outcome.
CREATE TABLE webhooks (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    url        text NOT NULL,
    -- The HMAC-SHA256 key the bodies are signed with; the receiver holds it too.
    secret     text NOT NULL,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id),
    hazard_id       bigint NOT NULL,
    seq             bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    failed_at       timestamptz,
    UNIQUE (webhook_id, hazard_id, seq),
    FOREIGN KEY (hazard_id, seq) REFERENCES hazard_events (hazard_id, seq)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE FUNCTION webhook_deliveries_for_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (webhook_id, hazard_id, seq)
    SELECT w.id, e.hazard_id, e.seq FROM new_events e CROSS JOIN webhooks w WHERE w.revoked_at IS NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER hazard_events_webhooks AFTER INSERT ON hazard_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_for_event();
