-- Hazard lists page by id. Filtered by state (an officer's escalated or overdue
-- hazards, an inspector's re-inspections due) they read that state's hazards in
-- id order, and an inspector's list (their grid) reads the grid's hazards in id
-- order, instead of walking every hazard by id until a page of them turns up, or
-- sorting all of a grid's hazards for every page.
CREATE INDEX hazards_state_id_idx ON hazards (state, id);
CREATE INDEX hazards_grid_id_idx ON hazards (grid_id, id);
