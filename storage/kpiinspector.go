package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// kpiByInspectorSQL counts the KPI figures (kpiRawColumns) of the hazards of
// unit $1's subtree recorded in [$2, $3) per responsible inspector, with the
// inspector's name, most hazards first. It reads the period's hazards
// (hazards_grid_created_idx), not the rollups, which are per grid.
const kpiByInspectorSQL = kpiSubtreeSQL + `, c AS (
		SELECT inspector_id, ` + kpiRawColumns + `
		FROM hazards WHERE grid_id IN (SELECT id FROM down) AND created_at >= $2 AND created_at < $3
		GROUP BY inspector_id)
	SELECT c.*, COALESCE(NULLIF(u.display_name, ''), u.username, '') AS name
	FROM c LEFT JOIN users u ON u.id = c.inspector_id ORDER BY c.received DESC, c.inspector_id`

// InspectorKPIs is the KPIs of unit unitID's subtree over period per responsible
// inspector, with the same rules as KPIReport (safety officers for units in their
// subtree, admins for any).
func (s *PolicyService) InspectorKPIs(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) ([]inspect.InspectorKPI, error) {
	if !inspect.CanReadKPIs(p) {
		return nil, forbidden("KPIs are for the safety office")
	}
	if !p.InScope(unitID) {
		return nil, notVisible("unit", unitID)
	}
	if _, err := unitByID(ctx, s.db.Pool, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, kpiByInspectorSQL, pgx.QueryExecModeExec, unitID, period.From, period.To)
	type row struct {
		InspectorID int64
		Name        string
		inspect.KPICounts
	}
	list, err := collectAll[row](rows, err)
	if err != nil {
		return nil, fmt.Errorf("count kpis of unit %d by inspector: %w", unitID, err)
	}
	out := make([]inspect.InspectorKPI, 0, len(list))
	for _, r := range list {
		k, err := inspect.ComputeKPI(r.KPICounts)
		if err != nil {
			return nil, err
		}
		out = append(out, inspect.InspectorKPI{InspectorID: r.InspectorID, Name: r.Name, Counts: r.KPICounts, KPI: k})
	}
	return out, nil
}
