-- The review queue at a million pending flags: "oldest first in my area" as index
-- scans, never a sort of every pending flag (storage/review.go, Flags).
--
-- A reviewer's area is a set of grids (their unit's subtree); a flag's grid is its
-- site's. The flag keeps a copy of it, so that the pending flags of one grid are
-- one range of ai_flags_pending_grid_idx in id order (oldest first): a small area
-- reads at most one page of ids from each of its grids and merges them. A large
-- area (and an admin's queue) reads ai_flags_pending_id_idx in id order, keeping
-- the ids of its grids. Both indexes carry the grid and the check code, so the
-- page's ids are found from the index alone; only the page's rows are read.
--
-- The copy follows the site: filled from the site when a flag is inserted (by
-- any writer, COPY included) and moved with it when a site moves to another grid.
ALTER TABLE ai_flags ADD COLUMN grid_id bigint REFERENCES units (id);
UPDATE ai_flags f SET grid_id = s.grid_id FROM sites s WHERE s.id = f.site_id;
ALTER TABLE ai_flags ALTER COLUMN grid_id SET NOT NULL;

CREATE FUNCTION ai_flags_grid_of_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT grid_id INTO NEW.grid_id FROM sites WHERE id = NEW.site_id;
    RETURN NEW;
END $$;
CREATE TRIGGER ai_flags_grid_of_site BEFORE INSERT OR UPDATE OF site_id ON ai_flags
    FOR EACH ROW EXECUTE FUNCTION ai_flags_grid_of_site();

CREATE FUNCTION ai_flags_follow_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ai_flags SET grid_id = NEW.grid_id WHERE site_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER ai_flags_follow_site AFTER UPDATE OF grid_id ON sites
    FOR EACH ROW WHEN (OLD.grid_id IS DISTINCT FROM NEW.grid_id)
    EXECUTE FUNCTION ai_flags_follow_site();

CREATE INDEX ai_flags_pending_grid_idx ON ai_flags (grid_id, id) INCLUDE (code) WHERE review = 'pending';
CREATE INDEX ai_flags_pending_id_idx ON ai_flags (id) INCLUDE (grid_id, code) WHERE review = 'pending';
-- Replaced by the two above: the queue is ordered by id.
DROP INDEX ai_flags_pending_idx;
