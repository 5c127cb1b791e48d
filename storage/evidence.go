package storage

import (
	"context"
	"fmt"

	"github.com/safegrid/safegrid/inspect"
)

// InspectionPhotos lists the photos of an inspection the principal may read, by
// item and in upload order, so that a checklist reloaded on another device shows
// the pictures already on the server.
func (s *InspectionService) InspectionPhotos(ctx context.Context, p inspect.Principal, id int64) ([]inspect.ItemPhoto, error) {
	if _, _, err := visibleInspection(ctx, s.db.Pool, p, id, false); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id::text, item_code FROM photos
		WHERE inspection_id = $1 AND item_code IS NOT NULL ORDER BY uploaded_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("photos of inspection %d: %w", id, err)
	}
	defer rows.Close()
	out := []inspect.ItemPhoto{}
	for rows.Next() {
		var ph inspect.ItemPhoto
		if err := rows.Scan(&ph.ID, &ph.ItemCode); err != nil {
			return nil, err
		}
		out = append(out, ph)
	}
	return out, rows.Err()
}
