-- Settings are small named JSON values the product keeps in the database: the
-- time-limit policy overrides of a district, the demo-data marker, and so on.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
