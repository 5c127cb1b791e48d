-- Shadow mode: a candidate model runs beside the active one on new photos. What it
-- saw and the flags it would have raised are kept here, apart from photo_analyses and
-- ai_flags, so that they never enter the review queue nor make a hazard; the shadow
-- report compares them with the active model's flags and the office's decisions.
CREATE TABLE shadow_analyses (
    photo_id     uuid NOT NULL REFERENCES photos (id),
    model_name   text NOT NULL,
    model_sha256 text NOT NULL,
    detections   jsonb NOT NULL,
    analysed_at  timestamptz NOT NULL,
    PRIMARY KEY (photo_id, model_sha256)
);
CREATE INDEX shadow_analyses_model_idx ON shadow_analyses (model_sha256);

CREATE TABLE shadow_flags (
    photo_id     uuid NOT NULL,
    model_sha256 text NOT NULL,
    code         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('flag', 'needs_review')),
    score        real NOT NULL,
    boxes        jsonb NOT NULL,
    reason       text NOT NULL,
    PRIMARY KEY (photo_id, model_sha256, code),
    FOREIGN KEY (photo_id, model_sha256) REFERENCES shadow_analyses (photo_id, model_sha256)
);

-- An admin's promotion of a candidate to the active model: who and when, the model
-- it replaced, and who undid it and when. The newest promotion not reverted names
-- the active model; with none, the configured SAFEGRID_MODEL is.
CREATE TABLE model_promotions (
    id              bigserial PRIMARY KEY,
    model_name      text NOT NULL,
    model_sha256    text NOT NULL,
    previous_name   text NOT NULL,
    previous_sha256 text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    promoted_by     bigint NOT NULL REFERENCES users (id),
    promoted_at     timestamptz NOT NULL,
    reverted_by     bigint REFERENCES users (id),
    reverted_at     timestamptz
);
