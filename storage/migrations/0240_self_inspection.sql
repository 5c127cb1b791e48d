-- Merchant self-inspection (自查自纠): a merchant runs their own site's checklist;
-- the failed items become hazards marked self-reported, with the normal deadline,
-- seen by the grid's inspector and counted apart in the KPIs.

ALTER TABLE inspections ADD COLUMN self_check boolean NOT NULL DEFAULT false;
ALTER TABLE hazards ADD COLUMN self_reported boolean NOT NULL DEFAULT false;

-- The rollups count the self-reported hazards of each grid and day apart as
-- well: self_received and self_closed are parts of received and closed. No
-- hazard is self-reported before this migration, so the new columns start at 0
-- and need no backfill.
LOCK TABLE hazards IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE kpi_day ADD COLUMN self_received bigint NOT NULL DEFAULT 0, ADD COLUMN self_closed bigint NOT NULL DEFAULT 0;
ALTER TABLE kpi_month ADD COLUMN self_received bigint NOT NULL DEFAULT 0, ADD COLUMN self_closed bigint NOT NULL DEFAULT 0;
DROP INDEX kpi_day_day_idx;
CREATE INDEX kpi_day_day_idx ON kpi_day (day) INCLUDE (grid_id, received, closed, closed_on_time, findings,
    returned, ratings, rating_sum, ratings_at_least_4, self_received, self_closed);

ALTER TYPE kpi_delta ADD ATTRIBUTE self_received int, ADD ATTRIBUTE self_closed int;

-- kpi_delta_of gains the hazard's self_reported; the old signature goes, so that
-- nothing can count without it.
DROP FUNCTION kpi_delta_of(bigint, timestamptz, text, timestamptz, timestamptz, int, int, int);
CREATE FUNCTION kpi_delta_of(grid_id bigint, created_at timestamptz, state text, closed_at timestamptz,
        deadline timestamptz, returns int, rating int, self_reported boolean, sign int) RETURNS kpi_delta
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(grid_id, kpi_day_of(created_at),
        sign * (state <> 'withdrawn')::int,
        sign * (state IN ('closed_fixed', 'closed_on_spot'))::int,
        sign * COALESCE(state IN ('closed_fixed', 'closed_on_spot') AND closed_at <= deadline, false)::int,
        sign * (state <> 'closed_on_spot')::int,
        sign * (state <> 'closed_on_spot' AND returns > 0)::int,
        sign * (rating > 0)::int,
        sign * CASE WHEN rating > 0 THEN rating ELSE 0 END,
        sign * (rating >= 4)::int,
        sign * (self_reported AND state <> 'withdrawn')::int,
        sign * (self_reported AND state IN ('closed_fixed', 'closed_on_spot'))::int)::kpi_delta;

CREATE OR REPLACE FUNCTION kpi_apply(deltas kpi_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_day AS r
    SELECT * FROM (
        SELECT grid_id, day, sum(received) AS received, sum(closed) AS closed, sum(closed_on_time) AS closed_on_time,
            sum(findings) AS findings, sum(returned) AS returned, sum(ratings) AS ratings, sum(rating_sum) AS rating_sum,
            sum(ratings_at_least_4) AS ratings_at_least_4, sum(self_received) AS self_received, sum(self_closed) AS self_closed
        FROM unnest(deltas) GROUP BY grid_id, day) g
    WHERE (received, closed, closed_on_time, findings, returned, ratings, rating_sum, ratings_at_least_4, self_received, self_closed)
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY grid_id, day
    ON CONFLICT (grid_id, day) DO UPDATE SET
        received = r.received + EXCLUDED.received, closed = r.closed + EXCLUDED.closed,
        closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, findings = r.findings + EXCLUDED.findings,
        returned = r.returned + EXCLUDED.returned, ratings = r.ratings + EXCLUDED.ratings,
        rating_sum = r.rating_sum + EXCLUDED.rating_sum, ratings_at_least_4 = r.ratings_at_least_4 + EXCLUDED.ratings_at_least_4,
        self_received = r.self_received + EXCLUDED.self_received, self_closed = r.self_closed + EXCLUDED.self_closed;
    INSERT INTO kpi_month AS r
    SELECT * FROM (
        SELECT grid_id, date_trunc('month', day)::date AS month, sum(received) AS received, sum(closed) AS closed,
            sum(closed_on_time) AS closed_on_time, sum(findings) AS findings, sum(returned) AS returned,
            sum(ratings) AS ratings, sum(rating_sum) AS rating_sum, sum(ratings_at_least_4) AS ratings_at_least_4,
            sum(self_received) AS self_received, sum(self_closed) AS self_closed
        FROM unnest(deltas) GROUP BY 1, 2) g
    WHERE (received, closed, closed_on_time, findings, returned, ratings, rating_sum, ratings_at_least_4, self_received, self_closed)
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY grid_id, month
    ON CONFLICT (grid_id, month) DO UPDATE SET
        received = r.received + EXCLUDED.received, closed = r.closed + EXCLUDED.closed,
        closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, findings = r.findings + EXCLUDED.findings,
        returned = r.returned + EXCLUDED.returned, ratings = r.ratings + EXCLUDED.ratings,
        rating_sum = r.rating_sum + EXCLUDED.rating_sum, ratings_at_least_4 = r.ratings_at_least_4 + EXCLUDED.ratings_at_least_4,
        self_received = r.self_received + EXCLUDED.self_received, self_closed = r.self_closed + EXCLUDED.self_closed;
END $$;

CREATE OR REPLACE FUNCTION kpi_hazards_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    deltas kpi_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, 1)) INTO deltas
        FROM kpi_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, -1)) INTO deltas
        FROM kpi_old;
    ELSE
        IF NOT EXISTS (
            SELECT grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported FROM kpi_new
            EXCEPT ALL
            SELECT grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported FROM kpi_old) THEN
            RETURN NULL;
        END IF;
        SELECT array_agg(d) INTO deltas FROM (
            SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, 1) FROM kpi_new
            UNION ALL
            SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, -1) FROM kpi_old) AS c(d);
    END IF;
    PERFORM kpi_apply(deltas);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION kpi_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE hazards IN SHARE ROW EXCLUSIVE MODE;
    PERFORM set_config('work_mem', '256MB', true);
    TRUNCATE kpi_day, kpi_month;
    INSERT INTO kpi_day
    SELECT (d).grid_id, (d).day, sum((d).received), sum((d).closed), sum((d).closed_on_time), sum((d).findings),
        sum((d).returned), sum((d).ratings), sum((d).rating_sum), sum((d).ratings_at_least_4),
        sum((d).self_received), sum((d).self_closed)
    FROM (SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, 1) AS d FROM hazards) h
    GROUP BY 1, 2;
    INSERT INTO kpi_month
    SELECT grid_id, date_trunc('month', day)::date, sum(received), sum(closed), sum(closed_on_time), sum(findings),
        sum(returned), sum(ratings), sum(rating_sum), sum(ratings_at_least_4), sum(self_received), sum(self_closed)
    FROM kpi_day GROUP BY 1, 2;
END $$;
