-- What the detector saw on each photo, and the flags it raised for review.
CREATE TABLE photo_analyses (
    photo_id      uuid PRIMARY KEY REFERENCES photos (id),
    model_name    text NOT NULL,
    model_sha256  text NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    detections    jsonb NOT NULL,
    annotated_key text NOT NULL,
    analysed_at   timestamptz NOT NULL
);

-- A flag is one possible hazard on one photo: raised by the model or added by hand,
-- then confirmed (it became or joined a hazard) or rejected with a reason. Decided
-- flags are the labelled examples exported for retraining.
CREATE TABLE ai_flags (
    id            bigserial PRIMARY KEY,
    photo_id      uuid NOT NULL REFERENCES photos (id),
    site_id       bigint NOT NULL REFERENCES sites (id),
    rule_code     text NOT NULL,
    code          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('flag', 'needs_review')),
    score         real NOT NULL,
    boxes         jsonb NOT NULL,
    reason        text NOT NULL,
    manual        boolean NOT NULL DEFAULT false,
    model_name    text NOT NULL,
    model_sha256  text NOT NULL,
    review        text NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'confirmed', 'rejected')),
    reviewed_by   bigint REFERENCES users (id),
    reviewed_at   timestamptz,
    reject_reason text NOT NULL DEFAULT '',
    hazard_id     bigint REFERENCES hazards (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (photo_id, code)
);
CREATE INDEX ai_flags_pending_idx ON ai_flags (created_at) WHERE review = 'pending';
CREATE INDEX ai_flags_site_idx ON ai_flags (site_id);
