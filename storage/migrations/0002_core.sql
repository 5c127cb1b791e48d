-- The core workflow: org units, users and sessions, sites, inspections with their
-- checklist items, hazards with their hash-chained event log, and photo evidence.

-- Org units form a four-level tree: district → subdistrict → community → grid.
CREATE TABLE units (
    id         bigserial PRIMARY KEY,
    parent_id  bigint REFERENCES units (id),
    level      text NOT NULL CHECK (level IN ('district', 'subdistrict', 'community', 'grid')),
    name       text NOT NULL,
    code       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'district') = (parent_id IS NULL))
);
CREATE INDEX units_parent_idx ON units (parent_id);

-- Users log in with their username or phone. password_hash is a PHC string
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash) that carries its own parameters.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    phone         text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('inspector', 'safety_officer', 'merchant', 'admin')),
    unit_id       bigint REFERENCES units (id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The grids an inspector works in.
CREATE TABLE user_grids (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grid_id bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (user_id, grid_id)
);
CREATE INDEX user_grids_grid_idx ON user_grids (grid_id);

-- Sessions are opaque random tokens; only their SHA-256 is stored.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE sites (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    type       text NOT NULL,
    address    text NOT NULL,
    lat        double precision NOT NULL,
    lng        double precision NOT NULL,
    grid_id    bigint NOT NULL REFERENCES units (id),
    profile    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_grid_idx ON sites (grid_id);

-- The merchants (or landlords) linked to a site.
CREATE TABLE site_merchants (
    site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (site_id, user_id)
);
CREATE INDEX site_merchants_user_idx ON site_merchants (user_id);

CREATE TABLE inspections (
    id            bigserial PRIMARY KEY,
    site_id       bigint NOT NULL REFERENCES sites (id),
    inspector_id  bigint NOT NULL REFERENCES users (id),
    assigned_by   bigint NOT NULL REFERENCES users (id),
    due           timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('assigned', 'in_progress', 'submitted', 'returned')),
    -- Set when the inspection starts: the checklist as generated then, so a later
    -- rule change does not rewrite what was inspected.
    rule_version  text NOT NULL DEFAULT '',
    checklist     jsonb,
    return_reason text NOT NULL DEFAULT '',
    returns       integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    submitted_at  timestamptz
);
CREATE INDEX inspections_site_idx ON inspections (site_id);
CREATE INDEX inspections_inspector_idx ON inspections (inspector_id, status);

-- One row per checklist item of a started inspection, with what the rule says
-- (copied from the stored checklist) and the inspector's answer.
CREATE TABLE inspection_items (
    inspection_id  bigint NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
    code           text NOT NULL,
    position       integer NOT NULL,
    needs_photo    boolean NOT NULL,
    location       text NOT NULL DEFAULT '',
    ai_checks      text[] NOT NULL DEFAULT '{}',
    rule_severity  text NOT NULL DEFAULT 'general',
    rectify_days   integer NOT NULL DEFAULT 0,
    -- The checklist item as JSON (title, explanation, citations, evidence, ...),
    -- copied onto a hazard that comes out of it.
    rule           jsonb NOT NULL,
    answer         text NOT NULL DEFAULT 'unanswered' CHECK (answer IN ('unanswered', 'pass', 'fail', 'na')),
    note           text NOT NULL DEFAULT '',
    outcome        text NOT NULL DEFAULT '' CHECK (outcome IN ('', 'fixed_on_spot', 'hazard')),
    severity       text NOT NULL DEFAULT '',
    deadline       timestamptz,
    hazard_id      bigint,
    answered_at    timestamptz,
    PRIMARY KEY (inspection_id, code)
);

CREATE TABLE hazards (
    id            bigserial PRIMARY KEY,
    site_id       bigint NOT NULL REFERENCES sites (id),
    grid_id       bigint NOT NULL REFERENCES units (id),
    rule_code     text NOT NULL,
    rule_version  text NOT NULL DEFAULT '',
    -- The checklist item the hazard was found under: title, plain-words
    -- explanation, citations, evidence, location.
    rule          jsonb NOT NULL DEFAULT '{}',
    inspection_id bigint REFERENCES inspections (id),
    state         text NOT NULL,
    severity      text NOT NULL,
    level         text NOT NULL,
    unit_id       bigint NOT NULL REFERENCES units (id),
    inspector_id  bigint NOT NULL DEFAULT 0,
    note          text NOT NULL DEFAULT '',
    observations  integer NOT NULL DEFAULT 1,
    escalations   integer NOT NULL DEFAULT 0,
    returns       integer NOT NULL DEFAULT 0,
    deadline      timestamptz NOT NULL,
    rating        integer NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    -- The head of the event chain: the newest event's seq and hash. Events are
    -- appended under SELECT ... FOR UPDATE of this row.
    head_seq      bigint NOT NULL DEFAULT 0,
    head_hash     text NOT NULL DEFAULT ''
);
-- At most one open hazard per site and rule; a second report joins it.
CREATE UNIQUE INDEX hazards_one_open_idx ON hazards (site_id, rule_code)
    WHERE state NOT IN ('closed_fixed', 'closed_on_spot', 'withdrawn');
CREATE INDEX hazards_unit_idx ON hazards (unit_id, state);
CREATE INDEX hazards_grid_idx ON hazards (grid_id, state);
CREATE INDEX hazards_deadline_idx ON hazards (deadline)
    WHERE state NOT IN ('closed_fixed', 'closed_on_spot', 'withdrawn');

ALTER TABLE inspection_items
    ADD CONSTRAINT inspection_items_hazard_fk FOREIGN KEY (hazard_id) REFERENCES hazards (id);

-- The append-only, hash-chained event log of each hazard (一事一档).
CREATE TABLE hazard_events (
    hazard_id bigint NOT NULL REFERENCES hazards (id),
    seq       bigint NOT NULL,
    actor     bigint NOT NULL,
    at        timestamptz NOT NULL,
    kind      text NOT NULL,
    payload   jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL,
    PRIMARY KEY (hazard_id, seq)
);

-- Photos: evidence for a checklist item or proof for a hazard. The original is
-- stored in the object store at photos/<sha256> and a thumbnail at
-- thumbs/<sha256>.jpg; the row is committed only after both exist. site_id,
-- item_code, location and ai_checks are what the photo analysis needs.
CREATE TABLE photos (
    id            uuid PRIMARY KEY,
    sha256        text NOT NULL,
    type          text NOT NULL,
    size          bigint NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    exif          jsonb NOT NULL DEFAULT '{}',
    site_id       bigint NOT NULL REFERENCES sites (id),
    inspection_id bigint REFERENCES inspections (id),
    item_code     text,
    hazard_id     bigint REFERENCES hazards (id),
    location      text NOT NULL DEFAULT '',
    ai_checks     text[] NOT NULL DEFAULT '{}',
    uploaded_by   bigint NOT NULL REFERENCES users (id),
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((inspection_id IS NOT NULL AND item_code IS NOT NULL) OR hazard_id IS NOT NULL),
    FOREIGN KEY (inspection_id, item_code) REFERENCES inspection_items (inspection_id, code)
);
CREATE INDEX photos_sha256_idx ON photos (sha256);
CREATE INDEX photos_item_idx ON photos (inspection_id, item_code);
CREATE INDEX photos_hazard_idx ON photos (hazard_id);
