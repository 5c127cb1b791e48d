-- Agencies at the table (多方协作): the gas company, the power company, the police
-- station, the market regulation office. An agency works in one field of
-- checklists/rules/fields.yaml over the area of one org unit; the hazards of its
-- field's rules at sites of that area are shared with it. Sharing is worked out
-- when its staff ask (grid in the area, rule in the field), not stored per hazard,
-- so hazards recorded before the agency existed are shared too.
CREATE TABLE agencies (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    field      text NOT NULL,
    unit_id    bigint NOT NULL REFERENCES units (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, name)
);

-- An agency's staff log in like everyone else, with role agency and their agency.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('inspector', 'safety_officer', 'merchant', 'admin', 'agency'));
ALTER TABLE users ADD COLUMN agency_id bigint REFERENCES agencies (id);
ALTER TABLE users ADD CONSTRAINT users_agency_check CHECK ((role = 'agency') = (agency_id IS NOT NULL));
CREATE INDEX users_agency_idx ON users (agency_id) WHERE agency_id IS NOT NULL;

-- An agency's list: the hazards of a few rules (its field) in many grids (its
-- area), by id.
CREATE INDEX hazards_rule_id_idx ON hazards (rule_code, id);
-- An agency's KPIs: which hazards it acted on.
CREATE INDEX hazard_events_agency_idx ON hazard_events ((payload->>'agency'), hazard_id)
    WHERE kind = 'agency_action';
