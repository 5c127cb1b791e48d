-- Hazard lists filtered by state (an officer's escalated or overdue hazards, an
-- inspector's re-inspections due) read that state's hazards in id order, instead
-- of walking every hazard by id until a page of them turns up.
CREATE INDEX hazards_state_id_idx ON hazards (state, id);
