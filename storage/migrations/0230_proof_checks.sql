-- The analysis job's before/after check of a proof photo against each evidence photo
-- of its hazard (issue 15): a suggestion for the office, which decides. Written with
-- the proof photo's analysis, in its transaction.
CREATE TABLE proof_checks (
    proof_photo_id      uuid NOT NULL REFERENCES photos (id),
    evidence_photo_id   uuid NOT NULL REFERENCES photos (id),
    hazard_id           bigint NOT NULL REFERENCES hazards (id),
    verdict             text NOT NULL CHECK (verdict IN ('hazard_gone', 'different_place', 'still_present')),
    same_place_score    real NOT NULL,
    still_present_score real NOT NULL,
    reasons             text[] NOT NULL,
    model_name          text NOT NULL,
    checked_at          timestamptz NOT NULL,
    PRIMARY KEY (proof_photo_id, evidence_photo_id)
);
CREATE INDEX proof_checks_hazard_idx ON proof_checks (hazard_id);
