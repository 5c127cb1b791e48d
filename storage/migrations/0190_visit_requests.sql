-- Merchants ask for a visit (预约呼叫): advice, or an early re-inspection after
-- fixing. Each request is an inspection on the grid inspector's list, made in the
-- same transaction, with the merchant's note.
CREATE TABLE visit_requests (
    id            bigserial PRIMARY KEY,
    site_id       bigint NOT NULL REFERENCES sites (id),
    merchant_id   bigint NOT NULL REFERENCES users (id),
    kind          text NOT NULL CHECK (kind IN ('advice', 'early_reinspection')),
    note          text NOT NULL,
    inspection_id bigint NOT NULL UNIQUE REFERENCES inspections (id),
    requested_at  timestamptz NOT NULL
);
CREATE INDEX visit_requests_merchant_idx ON visit_requests (merchant_id, id);
