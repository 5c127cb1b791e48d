package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// table is the rows of one table waiting to be copied, with their columns.
type table struct {
	name    string
	columns []string
	rows    [][]any
}

func (t *table) add(values ...any) { t.rows = append(t.rows, values) }

// batch is a set of tables filled together and copied together, in order, so
// that every foreign key points at a row copied before it.
type batch struct {
	tables []*table
	open   int // hazards still open at Now
	// schedules are the deadline jobs of the hazards still open.
	schedules []inspect.DeadlineSchedule
}

func newBatch() *batch {
	return &batch{tables: []*table{
		{name: "units", columns: []string{"id", "parent_id", "level", "name", "code", "created_at"}},
		{name: "users", columns: []string{"id", "username", "phone", "display_name", "role", "unit_id", "password_hash", "created_at"}},
		{name: "user_grids", columns: []string{"user_id", "grid_id"}},
		{name: "sites", columns: []string{"id", "name", "type", "address", "lat", "lng", "grid_id", "profile", "created_at", "updated_at"}},
		{name: "site_merchants", columns: []string{"site_id", "user_id"}},
		{name: "inspections", columns: []string{"id", "site_id", "inspector_id", "assigned_by", "due", "status", "rule_version", "checklist", "created_at", "started_at", "submitted_at"}},
		{name: "hazards", columns: []string{"id", "site_id", "grid_id", "rule_code", "rule_version", "rule", "inspection_id", "state", "severity", "level",
			"unit_id", "inspector_id", "note", "observations", "escalations", "returns", "deadline", "rating", "created_at", "closed_at", "head_seq", "head_hash"}},
		{name: "inspection_items", columns: []string{"inspection_id", "code", "position", "needs_photo", "location", "ai_checks", "rule_severity", "rectify_days",
			"rule", "answer", "note", "outcome", "severity", "deadline", "hazard_id", "answered_at"}},
		{name: "hazard_events", columns: []string{"hazard_id", "seq", "actor", "at", "kind", "payload", "prev_hash", "hash"}},
		{name: "photos", columns: []string{"id", "sha256", "type", "size", "width", "height", "site_id", "inspection_id", "item_code", "hazard_id",
			"location", "ai_checks", "uploaded_by", "uploaded_at"}},
		{name: "ai_flags", columns: []string{"id", "photo_id", "site_id", "rule_code", "code", "status", "score", "boxes", "reason", "model_name", "model_sha256",
			"review", "reviewed_by", "reviewed_at", "hazard_id", "created_at"}},
		{name: "determinations", columns: []string{"hazard_id", "opened_by", "opened_at", "participants", "conclusion", "measures", "deadline", "concluded_at"}},
		{name: "listed_supervisions", columns: []string{"hazard_id", "supervising_unit_id", "responsible_user_id", "deadline", "created_at", "updated_at"}},
		{name: "notifications", columns: []string{"user_id", "channel", "kind", "text_zh", "text_en", "dedup_key", "created_at", "sent_at", "read_at"}},
	}}
}

// get returns the batch's table named name.
func (b *batch) get(name string) *table {
	for _, t := range b.tables {
		if t.name == name {
			return t
		}
	}
	panic("seed: no table " + name)
}

// rows counts the rows of table name.
func (b *batch) rows(name string) int { return len(b.get(name).rows) }

// copy writes every table of the batch with COPY, in order.
func (b *batch) copy(ctx context.Context, tx pgx.Tx) error {
	for _, t := range b.tables {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %d rows into %s: %w", len(t.rows), t.name, err)
		}
	}
	return nil
}

// deferredDDL is the foreign keys and secondary indexes of the tables a load
// writes, dropped before the COPY and created again after it: building an index
// once over all rows, and checking a foreign key with one join, is many times
// faster than keeping them up row by row. Primary keys and unique constraints
// stay, so a duplicate still fails the load at once.
type deferredDDL struct {
	drop, create []string
}

// deferIndexes drops the foreign keys and the secondary indexes (those that back
// no constraint) of tables in tx and returns the statements that restore them.
func deferIndexes(ctx context.Context, tx pgx.Tx, tables []string) (deferredDDL, error) {
	var d deferredDDL
	rows, err := tx.Query(ctx, `
		SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', c.conrelid::regclass::text, c.conname),
		       format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c
		WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY($1) OR c.confrelid::regclass::text = ANY($1))
		UNION ALL
		SELECT format('DROP INDEX %I', i.indexrelid::regclass::text), pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid::regclass::text = ANY($1) AND NOT i.indisprimary
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, tables)
	if err != nil {
		return d, fmt.Errorf("list indexes and foreign keys: %w", err)
	}
	var drop, create string
	_, err = pgx.ForEachRow(rows, []any{&drop, &create}, func() error {
		d.drop, d.create = append(d.drop, drop), append(d.create, create)
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("list indexes and foreign keys: %w", err)
	}
	// Foreign keys first: a unique index may back one.
	for _, s := range d.drop {
		if _, err := tx.Exec(ctx, s); err != nil {
			return d, fmt.Errorf("%s: %w", s, err)
		}
	}
	return d, nil
}

// restore creates the indexes and foreign keys again: indexes first, since a
// foreign key may need one.
func (d deferredDDL) restore(ctx context.Context, tx pgx.Tx) error {
	var fks []string
	for _, s := range d.create {
		if strings.HasPrefix(s, "ALTER TABLE") {
			fks = append(fks, s)
			continue
		}
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	for _, s := range fks {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// tableNames returns the names of a batch's tables.
func (b *batch) tableNames() []string {
	var out []string
	for _, t := range b.tables {
		out = append(out, t.name)
	}
	return out
}
