package storage

import (
	"context"
	"encoding/json"
	"fmt"
)

// PutSetting stores value (marshalled to JSON) under key, replacing what was there.
func (db *DB) PutSetting(ctx context.Context, key string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("encode setting %s: %w", key, err)
	}
	_, err = db.Pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, key, b)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}

// Setting reads the value stored under key into dst. A missing key is not_found.
func (db *DB) Setting(ctx context.Context, key string, dst any) error {
	var b []byte
	if err := db.Pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&b); err != nil {
		return mapPgError(err, "setting "+key)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("decode setting %s: %w", key, err)
	}
	return nil
}
