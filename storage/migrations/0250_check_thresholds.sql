-- Score levels learned from review: an admin's acceptance of the levels proposed for
-- one AI check at one place (inspect.ProposeLevels), with who and when, the levels
-- before and after, and the evidence: the reviewed flags counted and, at each level,
-- those at or above it and how many were confirmed. The newest row of a check and
-- place is in force: new photo analyses there use its levels; with none, the
-- detector's defaults. Rows are never changed: this is the history.
CREATE TABLE check_thresholds (
    id                    bigserial PRIMARY KEY,
    code                  text NOT NULL,
    location              text NOT NULL,
    flag_score            real NOT NULL,
    review_score          real NOT NULL,
    previous_flag_score   real NOT NULL,
    previous_review_score real NOT NULL,
    target_precision      double precision NOT NULL CHECK (target_precision > 0 AND target_precision <= 1),
    decisions             integer NOT NULL,
    flag_decisions        integer NOT NULL,
    flag_confirmed        integer NOT NULL,
    review_decisions      integer NOT NULL,
    review_confirmed      integer NOT NULL,
    accepted_by           bigint NOT NULL REFERENCES users (id),
    accepted_at           timestamptz NOT NULL,
    CHECK (review_score <= flag_score)
);
-- The levels in force at a place, per check (the analysis job reads them per photo).
CREATE INDEX check_thresholds_in_force_idx ON check_thresholds (location, code, id DESC);
