package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// AgencyService is the agencies at the table (多方协作): the gas company, the power
// company, the police station. Which hazards an agency's staff see is decided by
// their principal (inspect.NewAgencyPrincipal: the grids of the agency's area and
// the rules of its field in checklists/rules/fields.yaml), worked out at each
// login and request, so a hazard recorded before the agency existed is shared
// too; the hazard list filters by both (hazards_rule_id_idx, hazards_grid_id_idx).
type AgencyService struct{ *base }

const agencyColumns = `a.id, a.name, a.field, a.unit_id`

// field returns the field called name, from the loaded rules.
func (s *base) field(name string) (checklists.Field, bool) {
	if s.rules == nil {
		return checklists.Field{}, false
	}
	return s.rules.Field(name)
}

// Field returns the field called name of the services' rules (fields.yaml).
func (s *AgencyService) Field(name string) (checklists.Field, bool) { return s.field(name) }

// CreateAgency adds an agency (admins): a name, a field of fields.yaml and the
// org unit whose area it serves.
func (s *AgencyService) CreateAgency(ctx context.Context, p inspect.Principal, a inspect.Agency) (inspect.Agency, error) {
	if !inspect.CanCreateAgency(p) {
		return inspect.Agency{}, forbidden("only an admin adds agencies")
	}
	a.Name = strings.TrimSpace(a.Name)
	if err := a.Validate(); err != nil {
		return inspect.Agency{}, err
	}
	if _, ok := s.field(a.Field); !ok {
		var names []string
		if s.rules != nil {
			for _, f := range s.rules.Fields() {
				names = append(names, f.Name)
			}
		}
		return inspect.Agency{}, inspect.FieldErrorf("field", "must be one of %s (got %q)", strings.Join(names, ", "), a.Field)
	}
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := unitByID(ctx, tx, a.UnitID); err != nil {
			return inspect.FieldErrorf("unit_id", "unit %d does not exist", a.UnitID)
		}
		return tx.QueryRow(ctx, `INSERT INTO agencies (name, field, unit_id) VALUES ($1, $2, $3) RETURNING id`,
			a.Name, a.Field, a.UnitID).Scan(&a.ID)
	})
	if err != nil {
		return inspect.Agency{}, mapPgError(err, "an agency of this name in this unit")
	}
	return a, nil
}

// Agencies lists the agencies p may see (inspect.Principal.CanSeeAgency), by id:
// admins all, safety officers those serving a unit of their area, an agency's
// staff their own. A district has a handful of agencies: the list is not paged.
func (s *AgencyService) Agencies(ctx context.Context, p inspect.Principal) ([]inspect.Agency, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+agencyColumns+` FROM agencies a ORDER BY a.id`)
	all, err := collectAll[inspect.Agency](rows, err)
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", err)
	}
	out := []inspect.Agency{}
	for _, a := range all {
		if p.CanSeeAgency(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func agencyByID(ctx context.Context, q querier, id int64) (inspect.Agency, error) {
	rows, err := q.Query(ctx, `SELECT `+agencyColumns+` FROM agencies a WHERE a.id = $1`, id)
	return collectOne[inspect.Agency](rows, err, fmt.Sprintf("agency %d", id))
}

// visibleAgency reads agency id; not_found unless p may see it.
func visibleAgency(ctx context.Context, q querier, p inspect.Principal, id int64) (inspect.Agency, error) {
	a, err := agencyByID(ctx, q, id)
	if err == nil && !p.CanSeeAgency(a) {
		err = notVisible("agency", id)
	}
	return a, err
}

// gridsUnder returns the grids at or below unit id.
func gridsUnder(ctx context.Context, q querier, id int64) ([]int64, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE down AS (
			SELECT id, level FROM units WHERE id = $1
			UNION ALL
			SELECT u.id, u.level FROM units u JOIN down ON u.parent_id = down.id)
		SELECT id FROM down WHERE level = 'grid' ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// agencyPrincipal is the principal of u, an agency's staff member: their
// agency, the grids of its area and the rules of its field.
func (s *base) agencyPrincipal(ctx context.Context, q querier, u inspect.User) (inspect.Principal, error) {
	a, err := agencyByID(ctx, q, u.AgencyID)
	if err != nil {
		return inspect.Principal{}, fmt.Errorf("resolve agency of user %d: %w", u.ID, err)
	}
	grids, err := gridsUnder(ctx, q, a.UnitID)
	if err != nil {
		return inspect.Principal{}, fmt.Errorf("resolve area of agency %d: %w", a.ID, err)
	}
	f, _ := s.field(a.Field) // a field dropped from fields.yaml shares nothing
	return inspect.NewAgencyPrincipal(u, a, grids, f.Rules), nil
}

// AgencyAction records what p's agency did about hazard id (an agency_action
// event in its chain): only an agency the hazard is shared with, only an action
// of its field.
func (s *AgencyService) AgencyAction(ctx context.Context, p inspect.Principal, id int64, action, note string) (inspect.HazardDetail, error) {
	hz := &HazardService{s.base}
	why := fmt.Sprintf("only an agency hazard %d is shared with records agency actions on it", id)
	return hz.changeHazard(ctx, p, id, p.CanActForAgency, why, func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		var allowed []string
		if a, ok := p.Agency(); ok {
			f, _ := s.field(a.Field)
			for _, fa := range f.Actions {
				allowed = append(allowed, fa.Name)
			}
		}
		payload, err := inspect.NewAgencyAction(p, h.Hazard, action, note, allowed)
		if err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventAgencyAction, payload)
		return err
	})
}

// CommentHazard adds p's comment to hazard id (a comment event in its chain): the
// staff who see the hazard and the agencies it is shared with.
func (s *HazardService) CommentHazard(ctx context.Context, p inspect.Principal, id int64, note string) (inspect.HazardDetail, error) {
	why := fmt.Sprintf("you may not comment on hazard %d", id)
	return s.changeHazard(ctx, p, id, p.CanComment, why, func(tx pgx.Tx, h *hazardRow, now time.Time) error {
		payload, err := inspect.NewComment(p, h.Hazard, note)
		if err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventComment, payload)
		return err
	})
}

// AgencyKPI counts, for agency id and the hazards recorded in period, those
// shared with it, those it recorded an action on and those of them closed
// (fixed, or fixed on the spot). Admins, the safety office of its area and its
// own staff read it; anyone else gets not_found.
func (s *AgencyService) AgencyKPI(ctx context.Context, p inspect.Principal, id int64, period inspect.Period) (inspect.AgencyKPI, error) {
	a, err := visibleAgency(ctx, s.db.Pool, p, id)
	if err != nil {
		return inspect.AgencyKPI{}, err
	}
	out := inspect.AgencyKPI{Agency: a, Period: period}
	grids, err := gridsUnder(ctx, s.db.Pool, a.UnitID)
	if err != nil {
		return out, fmt.Errorf("area of agency %d: %w", id, err)
	}
	f, _ := s.field(a.Field)
	if len(grids) == 0 || len(f.Rules) == 0 {
		return out, nil
	}
	closed := []string{string(inspect.StateClosedFixed), string(inspect.StateClosedOnSpot)}
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM hazard_events e
				WHERE e.kind = 'agency_action' AND e.payload->>'agency' = $5 AND e.hazard_id = h.id)),
			count(*) FILTER (WHERE h.state = ANY($6))
		FROM hazards h
		WHERE h.grid_id = ANY($1) AND h.rule_code = ANY($2) AND h.created_at >= $3 AND h.created_at < $4`,
		grids, f.Rules, period.From, period.To, strconv.FormatInt(a.ID, 10), closed).Scan(&out.Shared, &out.ActedOn, &out.Closed)
	if err != nil {
		return out, fmt.Errorf("kpi of agency %d: %w", id, err)
	}
	return out, nil
}
