package storage

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// ReviewedPhoto is a photo the office has decided on, with its decisions, for judging
// a model on them (safegrid model eval).
type ReviewedPhoto struct {
	Photo     PhotoRecord
	Decisions []inspect.Decision
}

// ReviewedPhotos returns, oldest first, every photo with a decision on an AI check:
// a decided flag (confirmed: a hazard; rejected: none), or — for a photo of an
// inspection item whose rule names exactly one AI check — a hazard the inspector
// recorded on the item, which counts as that check's hazard unless a flag decision
// on the photo already says otherwise. A hazard on an item with several AI checks
// does not say which one it is and is left out.
func (s *FlagService) ReviewedPhotos(ctx context.Context) ([]ReviewedPhoto, error) {
	decisions, err := flagDecisions(ctx, s.db.Pool, "")
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT p.id, p.ai_checks[1] FROM photos p
		JOIN inspection_items i ON i.inspection_id = p.inspection_id AND i.code = p.item_code
		WHERE i.hazard_id IS NOT NULL AND cardinality(p.ai_checks) = 1
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("read item hazards: %w", err)
	}
	recorded, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (inspect.Decision, error) {
		d := inspect.Decision{Hazard: true}
		err := r.Scan(&d.PhotoID, &d.Code)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("read item hazards: %w", err)
	}
	byPhoto := map[uuid.UUID][]inspect.Decision{}
	decided := map[inspect.FlagKey]bool{}
	for _, d := range decisions {
		byPhoto[d.PhotoID] = append(byPhoto[d.PhotoID], d)
		decided[inspect.FlagKey{PhotoID: d.PhotoID, Code: d.Code}] = true
	}
	for _, d := range recorded {
		if !decided[inspect.FlagKey{PhotoID: d.PhotoID, Code: d.Code}] {
			byPhoto[d.PhotoID] = append(byPhoto[d.PhotoID], d)
		}
	}
	ids := make([]uuid.UUID, 0, len(byPhoto))
	for id := range byPhoto {
		ids = append(ids, id)
	}
	rows, err = s.db.Pool.Query(ctx, `SELECT `+photoColumns+` FROM photos p WHERE p.id = ANY($1) ORDER BY p.uploaded_at, p.id`, ids)
	photos, err := collectAll[PhotoRecord](rows, err)
	if err != nil {
		return nil, fmt.Errorf("read reviewed photos: %w", err)
	}
	out := make([]ReviewedPhoto, len(photos))
	for i, p := range photos {
		out[i] = ReviewedPhoto{Photo: p, Decisions: byPhoto[p.ID]}
	}
	return out, nil
}
