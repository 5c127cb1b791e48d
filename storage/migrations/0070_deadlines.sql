-- Deadlines that act: the listed supervision (挂牌督办) of major hazards at the
-- district, and the collective determination of possibly major hazards. The
-- reminder and deadline jobs themselves live in River's tables.

-- One listed-supervision record per hazard: created in the transaction that puts a
-- major hazard at the district, its deadline moved when a later escalation at the
-- district sets a new one.
CREATE TABLE listed_supervisions (
    hazard_id            bigint PRIMARY KEY REFERENCES hazards (id),
    -- The unit that supervises the rectification: the district.
    supervising_unit_id  bigint NOT NULL REFERENCES units (id),
    -- The person responsible for the rectification: the site's merchant (the first
    -- linked one); NULL when the site has none.
    responsible_user_id  bigint REFERENCES users (id),
    deadline             timestamptz NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- The collective determination (重大事故隐患判定) of a possibly major hazard. A
-- hazard may have several over its life; at most one is open at a time.
CREATE TABLE determinations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hazard_id    bigint NOT NULL REFERENCES hazards (id),
    opened_by    bigint NOT NULL REFERENCES users (id),
    opened_at    timestamptz NOT NULL,
    participants bigint[] NOT NULL,
    -- The ballots as inspect.Ballot JSON, in the order they were cast.
    ballots      jsonb NOT NULL DEFAULT '[]',
    conclusion   text NOT NULL DEFAULT '' CHECK (conclusion IN ('', 'major', 'general')),
    measures     text NOT NULL DEFAULT '',
    deadline     timestamptz,
    concluded_at timestamptz
);
CREATE INDEX determinations_hazard_idx ON determinations (hazard_id, id);
CREATE UNIQUE INDEX determinations_one_open_idx ON determinations (hazard_id) WHERE conclusion = '';

-- The safety officers of a unit, who are told when a hazard is escalated to it.
CREATE INDEX users_unit_role_idx ON users (unit_id, role);
-- KPIs count hazards by grid and creation time.
CREATE INDEX hazards_grid_created_idx ON hazards (grid_id, created_at);
