-- KPI rollups: the additive counts behind the KPIs (storage/kpi.go, kpiCountsRawSQL)
-- per grid and per day and per month of recording, kept by triggers on hazards in
-- the transaction of every change, so that a district's KPIs over years read tens
-- of thousands of rollup rows instead of millions of hazards, and equal the raw
-- count exactly.
--
-- Days and months are those of China time (inspect.ReportZone, a fixed UTC+8), the
-- days KPI periods are given in: a period from the API is whole days, so it is read
-- from the rollups alone; only a period with a non-midnight edge counts its
-- partial days from hazards (kpiSpans in storage/kpi.go splits a period).

-- Writers of hazards must wait while the rollups are filled, so that no change
-- falls between the backfill and the triggers.
LOCK TABLE hazards IN SHARE ROW EXCLUSIVE MODE;

-- kpi_day_of is the day in China time of an instant (UTC+8, no daylight saving,
-- as inspect.ReportZone).
CREATE FUNCTION kpi_day_of(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ((t AT TIME ZONE 'UTC') + interval '8 hours')::date;

CREATE TABLE kpi_day (
    grid_id            bigint NOT NULL REFERENCES units (id),
    day                date NOT NULL,
    received           bigint NOT NULL,
    closed             bigint NOT NULL,
    closed_on_time     bigint NOT NULL,
    findings           bigint NOT NULL,
    returned           bigint NOT NULL,
    ratings            bigint NOT NULL,
    rating_sum         bigint NOT NULL,
    ratings_at_least_4 bigint NOT NULL,
    PRIMARY KEY (grid_id, day)
);

-- A district's whole days of partial months: the days of every grid in a range,
-- read from the index alone (an index-only scan of a month's days of 1,000 grids
-- took 3 ms where fetching the rows took 40-100 ms on a loaded machine).
CREATE INDEX kpi_day_day_idx ON kpi_day (day) INCLUDE (grid_id, received, closed, closed_on_time, findings,
    returned, ratings, rating_sum, ratings_at_least_4);

-- month is the first day of the month.
CREATE TABLE kpi_month (LIKE kpi_day INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE kpi_month RENAME COLUMN day TO month;
ALTER TABLE kpi_month ADD PRIMARY KEY (grid_id, month), ADD FOREIGN KEY (grid_id) REFERENCES units (id);

-- kpi_delta is one hazard's contribution to the counts, times sign (+1 for its
-- new version, -1 for its old one). This is the one definition the triggers and
-- the backfill share; it must count what kpiCountsRawSQL counts.
CREATE TYPE kpi_delta AS (
    grid_id bigint, day date, received int, closed int, closed_on_time int, findings int,
    returned int, ratings int, rating_sum int, ratings_at_least_4 int);

CREATE FUNCTION kpi_delta_of(grid_id bigint, created_at timestamptz, state text, closed_at timestamptz,
        deadline timestamptz, returns int, rating int, sign int) RETURNS kpi_delta
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(grid_id, kpi_day_of(created_at),
        sign * (state <> 'withdrawn')::int,
        sign * (state IN ('closed_fixed', 'closed_on_spot'))::int,
        sign * COALESCE(state IN ('closed_fixed', 'closed_on_spot') AND closed_at <= deadline, false)::int,
        sign * (state <> 'closed_on_spot')::int,
        sign * (state <> 'closed_on_spot' AND returns > 0)::int,
        sign * (rating > 0)::int,
        sign * CASE WHEN rating > 0 THEN rating ELSE 0 END,
        sign * (rating >= 4)::int)::kpi_delta;

-- kpi_apply adds deltas to both rollups: it sums them per (grid, day) and per
-- (grid, month), leaves out the sums that are nil (an escalation of an open
-- hazard moves its deadline, not its counts) and upserts the rest in key order,
-- days before months, so that concurrent statements take the rollup rows' locks
-- in one order and cannot deadlock on them. (PL/pgSQL, not SQL, so that each
-- session plans its statements once.)
CREATE FUNCTION kpi_apply(deltas kpi_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_day AS r
    SELECT * FROM (
        SELECT grid_id, day, sum(received) AS received, sum(closed) AS closed, sum(closed_on_time) AS closed_on_time,
            sum(findings) AS findings, sum(returned) AS returned, sum(ratings) AS ratings, sum(rating_sum) AS rating_sum,
            sum(ratings_at_least_4) AS ratings_at_least_4
        FROM unnest(deltas) GROUP BY grid_id, day) g
    WHERE (received, closed, closed_on_time, findings, returned, ratings, rating_sum, ratings_at_least_4) <> (0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY grid_id, day
    ON CONFLICT (grid_id, day) DO UPDATE SET
        received = r.received + EXCLUDED.received, closed = r.closed + EXCLUDED.closed,
        closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, findings = r.findings + EXCLUDED.findings,
        returned = r.returned + EXCLUDED.returned, ratings = r.ratings + EXCLUDED.ratings,
        rating_sum = r.rating_sum + EXCLUDED.rating_sum, ratings_at_least_4 = r.ratings_at_least_4 + EXCLUDED.ratings_at_least_4;
    INSERT INTO kpi_month AS r
    SELECT * FROM (
        SELECT grid_id, date_trunc('month', day)::date AS month, sum(received) AS received, sum(closed) AS closed,
            sum(closed_on_time) AS closed_on_time, sum(findings) AS findings, sum(returned) AS returned,
            sum(ratings) AS ratings, sum(rating_sum) AS rating_sum, sum(ratings_at_least_4) AS ratings_at_least_4
        FROM unnest(deltas) GROUP BY 1, 2) g
    WHERE (received, closed, closed_on_time, findings, returned, ratings, rating_sum, ratings_at_least_4) <> (0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY grid_id, month
    ON CONFLICT (grid_id, month) DO UPDATE SET
        received = r.received + EXCLUDED.received, closed = r.closed + EXCLUDED.closed,
        closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time, findings = r.findings + EXCLUDED.findings,
        returned = r.returned + EXCLUDED.returned, ratings = r.ratings + EXCLUDED.ratings,
        rating_sum = r.rating_sum + EXCLUDED.rating_sum, ratings_at_least_4 = r.ratings_at_least_4 + EXCLUDED.ratings_at_least_4;
END $$;

-- kpi_hazards_changed adds a statement's change of hazards to the rollups: the
-- new rows' contributions minus the old rows'. It runs as one statement-level
-- trigger per event (a trigger with transition tables has one event; each
-- branch reads only the tables its event has). A statement holds its deltas in
-- memory, about 100 bytes a row: load millions of hazards in statements of at
-- most a million rows, or with the trigger disabled and kpi_rebuild() after.
CREATE FUNCTION kpi_hazards_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    deltas kpi_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, 1)) INTO deltas
        FROM kpi_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, -1)) INTO deltas
        FROM kpi_old;
    ELSE
        -- The cheap path: most updates (the event chain's head, a note, a
        -- reassignment) leave every counted column as it was.
        IF NOT EXISTS (
            SELECT grid_id, created_at, state, closed_at, deadline, returns, rating FROM kpi_new
            EXCEPT ALL
            SELECT grid_id, created_at, state, closed_at, deadline, returns, rating FROM kpi_old) THEN
            RETURN NULL;
        END IF;
        SELECT array_agg(d) INTO deltas FROM (
            SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, 1) FROM kpi_new
            UNION ALL
            SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, -1) FROM kpi_old) AS c(d);
    END IF;
    PERFORM kpi_apply(deltas);
    RETURN NULL;
END $$;

CREATE TRIGGER kpi_hazards_inserted AFTER INSERT ON hazards
    REFERENCING NEW TABLE AS kpi_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_hazards_changed();
CREATE TRIGGER kpi_hazards_updated AFTER UPDATE ON hazards
    REFERENCING OLD TABLE AS kpi_old NEW TABLE AS kpi_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_hazards_changed();
CREATE TRIGGER kpi_hazards_deleted AFTER DELETE ON hazards
    REFERENCING OLD TABLE AS kpi_old FOR EACH STATEMENT EXECUTE FUNCTION kpi_hazards_changed();

-- kpi_rebuild recounts both rollups from hazards: the backfill below, and a
-- repair should `safegrid audit verify` ever find them apart from the raw count.
-- It locks hazards against writers while it runs.
CREATE FUNCTION kpi_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE hazards IN SHARE ROW EXCLUSIVE MODE;
    -- A million (grid, day) groups fit in memory instead of spilling to disk.
    PERFORM set_config('work_mem', '256MB', true);
    TRUNCATE kpi_day, kpi_month;
    INSERT INTO kpi_day
    SELECT (d).grid_id, (d).day, sum((d).received), sum((d).closed), sum((d).closed_on_time), sum((d).findings),
        sum((d).returned), sum((d).ratings), sum((d).rating_sum), sum((d).ratings_at_least_4)
    FROM (SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, 1) AS d FROM hazards) h
    GROUP BY 1, 2;
    INSERT INTO kpi_month
    SELECT grid_id, date_trunc('month', day)::date, sum(received), sum(closed), sum(closed_on_time), sum(findings),
        sum(returned), sum(ratings), sum(rating_sum), sum(ratings_at_least_4)
    FROM kpi_day GROUP BY 1, 2;
END $$;

SELECT kpi_rebuild();
