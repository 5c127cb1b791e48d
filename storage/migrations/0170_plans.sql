-- Inspection plans (a unit's sites, by type, on a cadence, or a double-random draw
-- of them), the draws with their seed and inputs (so anyone can run a draw again),
-- and the inspections each plan made per period: unique per plan, period and site,
-- so a plan run twice for a period makes each inspection once.
CREATE TABLE plans (
    id         bigserial PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id),
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('cadence', 'double_random')),
    site_types text[] NOT NULL DEFAULT '{}',
    months     integer NOT NULL CHECK (months IN (1, 3, 6, 12)),
    draw_count integer NOT NULL DEFAULT 0,
    created_by bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plan_draws (
    plan_id       bigint NOT NULL REFERENCES plans (id),
    period        text NOT NULL,
    -- The uint64 seed, stored as the bigint with the same bits.
    seed          bigint NOT NULL,
    -- The candidates: each site with its grid's inspectors.
    candidates    jsonb NOT NULL,
    inspector_ids bigint[] NOT NULL,
    count         integer NOT NULL,
    drawn_sites   bigint[] NOT NULL,
    -- The pairs, flattened: drawn_pairs[2i+1], drawn_pairs[2i+2] inspect drawn_sites[i+1].
    drawn_pairs   bigint[] NOT NULL,
    drawn_at      timestamptz NOT NULL,
    PRIMARY KEY (plan_id, period)
);
CREATE INDEX plan_draws_drawn_idx ON plan_draws (drawn_at DESC);

CREATE TABLE plan_inspections (
    plan_id       bigint NOT NULL REFERENCES plans (id),
    period        text NOT NULL,
    site_id       bigint NOT NULL REFERENCES sites (id),
    inspection_id bigint NOT NULL UNIQUE REFERENCES inspections (id),
    partner_id    bigint REFERENCES users (id), -- the second inspector of a drawn pair
    PRIMARY KEY (plan_id, period, site_id)
);
