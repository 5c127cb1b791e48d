-- Every list pages by key: the published draws get an id to page by.
ALTER TABLE plan_draws ADD COLUMN id bigserial;
CREATE UNIQUE INDEX plan_draws_id_idx ON plan_draws (id);
