-- The city hotline's door (Open311 GeoReport v2): the API keys of integrating
-- systems, kept as SHA-256 (the key is shown once), and the reports they file,
-- each of which became an inspection of the premises it names.
CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    key_hash   bytea NOT NULL UNIQUE,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE service_requests (
    id            bigserial PRIMARY KEY,
    api_key_id    bigint NOT NULL REFERENCES api_keys (id),
    service_code  text NOT NULL,
    description   text NOT NULL DEFAULT '',
    site_id       bigint NOT NULL REFERENCES sites (id),
    lat           double precision,
    lng           double precision,
    inspection_id bigint NOT NULL UNIQUE REFERENCES inspections (id),
    requested_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_requests_key_idx ON service_requests (api_key_id, id);
