-- Time limits that bite (issue 14): who must sign for (签收) a hazard and by when,
-- when the inspector must have re-inspected it, when it was last handed over
-- (policy limits run from then) and whether its deadline is the policy's (so that
-- an admin applying a changed policy moves it). Jobs watch sign_by and
-- reinspect_by; a change of either makes the old job stale.
ALTER TABLE hazards
    ADD COLUMN handed_at          timestamptz,
    ADD COLUMN sign_party         text CHECK (sign_party IN ('merchant', 'unit')),
    ADD COLUMN sign_by            timestamptz,
    ADD COLUMN reinspect_by       timestamptz,
    ADD COLUMN deadline_by_policy boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT hazards_sign_party_by CHECK ((sign_party IS NULL) = (sign_by IS NULL));
