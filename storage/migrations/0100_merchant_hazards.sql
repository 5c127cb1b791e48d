-- A merchant's hazards, newest first by site: the merchant list (open first,
-- then closed, each newest first) reads the merchant's sites through this index
-- instead of walking the whole table by id. The open ones are also reached by
-- hazards_one_open_idx.
CREATE INDEX hazards_site_idx ON hazards (site_id, id);
