-- Photo uploads in flight. A row is committed before the upload writes its objects
-- and deleted in the transaction that commits the photo row, so what a crash between
-- the two leaves behind is listed here, and the sweeper reads this table instead of
-- listing the whole bucket.
CREATE TABLE photo_uploads (
    photo_id   uuid NOT NULL,
    sha256     text NOT NULL,
    started_at timestamptz NOT NULL,
    PRIMARY KEY (photo_id, sha256)
);
CREATE INDEX photo_uploads_started_idx ON photo_uploads (started_at);
