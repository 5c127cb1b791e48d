package storage

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// PlanService keeps inspection plans and makes each period's inspections.
type PlanService struct{ *base }

const planColumns = `id, unit_id, name, kind, site_types, months, draw_count, created_by, created_at`

// CreatePlan stores a plan for a unit the principal manages.
func (s *PlanService) CreatePlan(ctx context.Context, p inspect.Principal, pl inspect.Plan) (inspect.Plan, error) {
	if err := pl.Validate(); err != nil {
		return pl, err
	}
	if !p.CanPlan(pl.UnitID) {
		return pl, forbidden("only admins and safety officers over unit %d plan its inspections", pl.UnitID)
	}
	if pl.SiteTypes == nil {
		pl.SiteTypes = []inspect.SiteType{}
	}
	rows, err := s.db.Pool.Query(ctx, `INSERT INTO plans (unit_id, name, kind, site_types, months, draw_count, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+planColumns,
		pl.UnitID, pl.Name, pl.Kind, textSlice(pl.SiteTypes), pl.Months, pl.DrawCount, p.User.ID, s.now())
	return collectOne[inspect.Plan](rows, mapPgError(err, "unit"), "plan")
}

// Plans lists one page of the plans of the units the principal manages, by id.
func (s *PlanService) Plans(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.Plan, error) {
	units, all := p.ScopeUnitIDs()
	if !all && !inspect.CanReadKPIs(p) {
		return []inspect.Plan{}, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+planColumns+` FROM plans WHERE ($1 OR unit_id = ANY($2)) AND id > $3 ORDER BY id LIMIT $4`,
		all, units, afterID, limit)
	return collectAll[inspect.Plan](rows, err)
}

// RunPlan makes the inspections of plan id for the period containing the present,
// as the principal (who must manage the plan's unit).
func (s *PlanService) RunPlan(ctx context.Context, p inspect.Principal, id int64) (inspect.PlanRun, error) {
	pl, err := s.plan(ctx, s.db.Pool, id)
	if err != nil {
		return inspect.PlanRun{}, err
	}
	if !p.CanPlan(pl.UnitID) {
		return inspect.PlanRun{}, notVisible("plan", id)
	}
	return s.runPlan(ctx, id, s.now())
}

// RunDuePlans runs every plan for the period containing now: the periodic job.
// Each run is idempotent, so running it again (or on two replicas) adds nothing.
func (s *PlanService) RunDuePlans(ctx context.Context, now time.Time) ([]inspect.PlanRun, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM plans ORDER BY id`)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	var out []inspect.PlanRun
	for _, id := range ids {
		r, err := s.runPlan(ctx, id, now)
		if err != nil {
			return out, fmt.Errorf("plan %d: %w", id, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *PlanService) plan(ctx context.Context, q querier, id int64) (inspect.Plan, error) {
	rows, err := q.Query(ctx, `SELECT `+planColumns+` FROM plans WHERE id = $1`, id)
	return collectOne[inspect.Plan](rows, err, fmt.Sprintf("plan %d", id))
}

// runPlan makes plan id's inspections for the period containing now, in one
// transaction under the plan's row lock: its sites (or this period's draw, drawn
// now if there is none yet), one inspection each that the period does not
// already have, due at the period's end.
func (s *PlanService) runPlan(ctx context.Context, id int64, now time.Time) (inspect.PlanRun, error) {
	var run inspect.PlanRun
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM plans WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		pl, err := s.plan(ctx, tx, id)
		if err != nil {
			return err
		}
		period := pl.PeriodAt(now)
		run = inspect.PlanRun{PlanID: id, Period: period.Key, Skipped: []int64{}}
		subtree, err := subtreeIDs(ctx, tx, pl.UnitID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+siteColumns+` FROM sites s
			WHERE s.grid_id = ANY($1) AND (cardinality($2::text[]) = 0 OR s.type = ANY($2)) ORDER BY s.id`, subtree, textSlice(pl.SiteTypes))
		sites, err := collectAll[inspect.Site](rows, err)
		if err != nil {
			return err
		}
		type target struct {
			site               inspect.Site
			inspector, partner int64
		}
		var targets []target
		if pl.Kind == inspect.PlanDoubleRandom {
			d, err := s.draw(ctx, tx, pl, period, sites, subtree, now)
			if err != nil {
				return err
			}
			run.Draw = &d
			byID := map[int64]inspect.Site{}
			for _, st := range sites {
				byID[st.ID] = st
			}
			for i, id := range d.Sites {
				targets = append(targets, target{site: byID[id], inspector: d.Pairs[i][0], partner: d.Pairs[i][1]})
			}
		} else {
			inspectorOf := map[int64]int64{} // grid → its inspector, read once per grid
			for _, st := range sites {
				insp, ok := inspectorOf[st.GridID]
				if !ok {
					if insp, err = gridInspector(ctx, tx, st.GridID); err != nil {
						return err
					}
					inspectorOf[st.GridID] = insp
				}
				if insp == 0 {
					run.Skipped = append(run.Skipped, st.ID)
					continue
				}
				targets = append(targets, target{site: st, inspector: insp})
			}
		}
		// The sites the period already has an inspection for, read once.
		rows, err = tx.Query(ctx, `SELECT site_id FROM plan_inspections WHERE plan_id = $1 AND period = $2`, id, period.Key)
		if err != nil {
			return err
		}
		doneIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		done := map[int64]bool{}
		for _, s := range doneIDs {
			done[s] = true
		}
		users := map[int64]inspect.User{}
		for _, t := range targets {
			if done[t.site.ID] {
				run.Already++
				continue
			}
			u, ok := users[t.inspector]
			if !ok {
				if u, err = userByID(ctx, tx, t.inspector); err != nil {
					return err
				}
				users[t.inspector] = u
			}
			insp, err := inspect.NewInspection(t.site, u, pl.CreatedBy, period.End.Add(-time.Second), now)
			if err != nil {
				return fmt.Errorf("site %d: %w", t.site.ID, err)
			}
			if err := insertInspection(ctx, tx, &insp); err != nil {
				return err
			}
			var partner *int64
			if t.partner != 0 {
				partner = &t.partner
			}
			if _, err := tx.Exec(ctx, `INSERT INTO plan_inspections (plan_id, period, site_id, inspection_id, partner_id) VALUES ($1, $2, $3, $4, $5)`,
				id, period.Key, t.site.ID, insp.ID, partner); err != nil {
				return fmt.Errorf("record the plan's inspection of site %d: %w", t.site.ID, err)
			}
			run.Created++
		}
		return nil
	})
	return run, err
}

// draw returns the period's draw of plan pl, drawing it now from a fresh seed
// when there is none yet and recording the seed with the inputs.
func (s *PlanService) draw(ctx context.Context, tx pgx.Tx, pl inspect.Plan, period inspect.PlanPeriod, sites []inspect.Site, subtree []int64, now time.Time) (inspect.Draw, error) {
	d, err := loadDraw(ctx, tx, pl.ID, period.Key)
	if err == nil || inspect.ErrorCode(err) != inspect.ENOTFOUND {
		return d, err
	}
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return d, err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT ug.user_id FROM user_grids ug JOIN users u ON u.id = ug.user_id
		WHERE ug.grid_id = ANY($1) AND u.role = 'inspector' ORDER BY 1`, subtree)
	if err != nil {
		return d, err
	}
	inspectors, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return d, err
	}
	d = inspect.Draw{PlanID: pl.ID, Period: period.Key, Seed: binary.LittleEndian.Uint64(seed[:]), Inspectors: inspectors, Count: pl.DrawCount, DrawnAt: now}
	for _, st := range sites {
		rows, err := tx.Query(ctx, `SELECT ug.user_id FROM user_grids ug JOIN users u ON u.id = ug.user_id
			WHERE ug.grid_id = $1 AND u.role = 'inspector' ORDER BY 1`, st.GridID)
		if err != nil {
			return d, err
		}
		own, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return d, err
		}
		d.Candidates = append(d.Candidates, inspect.DrawCandidate{SiteID: st.ID, Inspectors: nonNilIDs(own)})
	}
	d.Sites, d.Pairs = inspect.RunDraw(d.Seed, d.Candidates, d.Inspectors, d.Count)
	flat := make([]int64, 0, 2*len(d.Pairs))
	for _, p := range d.Pairs {
		flat = append(flat, p[0], p[1])
	}
	cands, err := json.Marshal(nonNilCands(d.Candidates))
	if err != nil {
		return d, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO plan_draws (plan_id, period, seed, candidates, inspector_ids, count, drawn_sites, drawn_pairs, drawn_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, pl.ID, period.Key, int64(d.Seed), cands, nonNilIDs(d.Inspectors), d.Count,
		nonNilIDs(d.Sites), flat, now)
	return d, err
}

func nonNilCands(c []inspect.DrawCandidate) []inspect.DrawCandidate {
	if c == nil {
		return []inspect.DrawCandidate{}
	}
	return c
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// drawRow is a plan_draws row as stored.
type drawRow struct {
	ID           int64
	PlanID       int64
	Period       string
	Seed         int64
	Candidates   []inspect.DrawCandidate
	InspectorIDs []int64
	Count        int
	DrawnSites   []int64
	DrawnPairs   []int64
	DrawnAt      time.Time
}

func (r drawRow) draw() inspect.Draw {
	d := inspect.Draw{ID: r.ID, PlanID: r.PlanID, Period: r.Period, Seed: uint64(r.Seed), Candidates: r.Candidates, Inspectors: r.InspectorIDs,
		Count: r.Count, Sites: r.DrawnSites, DrawnAt: r.DrawnAt}
	for i := 0; i+1 < len(r.DrawnPairs); i += 2 {
		d.Pairs = append(d.Pairs, [2]int64{r.DrawnPairs[i], r.DrawnPairs[i+1]})
	}
	return d
}

const drawColumns = `id, plan_id, period, seed, candidates, inspector_ids, count, drawn_sites, drawn_pairs, drawn_at`

func loadDraw(ctx context.Context, q querier, plan int64, period string) (inspect.Draw, error) {
	rows, err := q.Query(ctx, `SELECT `+drawColumns+` FROM plan_draws WHERE plan_id = $1 AND period = $2`, plan, period)
	r, err := collectOne[drawRow](rows, err, fmt.Sprintf("draw of plan %d for %s", plan, period))
	return r.draw(), err
}

// Draws lists one page of the draws of plan id, by id, for a principal who
// manages it.
func (s *PlanService) Draws(ctx context.Context, p inspect.Principal, id, afterID int64, limit int) ([]inspect.Draw, error) {
	pl, err := s.plan(ctx, s.db.Pool, id)
	if err != nil || !p.CanPlan(pl.UnitID) {
		return nil, notVisible("plan", id)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+drawColumns+` FROM plan_draws WHERE plan_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, afterID, limit)
	return collectAs(rows, err, drawRow.draw)
}

// PublicDraws lists one page of the draws as published (一公开), by id: no login,
// no personal data — the plan, the unit, the period, the seed and the drawn
// premises.
func (s *PlanService) PublicDraws(ctx context.Context, afterID int64, limit int) ([]inspect.PublicDraw, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT d.id, p.name AS plan, u.name AS unit, d.period, d.seed, d.drawn_at,
			ARRAY(SELECT s.name FROM unnest(d.drawn_sites) WITH ORDINALITY AS x(id, n) JOIN sites s ON s.id = x.id ORDER BY x.n) AS sites
		FROM plan_draws d JOIN plans p ON p.id = d.plan_id JOIN units u ON u.id = p.unit_id
		WHERE d.id > $1 ORDER BY d.id LIMIT $2`, afterID, limit)
	type row struct {
		ID                 int64
		Plan, Unit, Period string
		Seed               int64
		DrawnAt            time.Time
		Sites              []string
	}
	return collectAs(rows, err, func(r row) inspect.PublicDraw {
		return inspect.PublicDraw{ID: r.ID, Plan: r.Plan, Unit: r.Unit, Period: r.Period, Seed: uint64(r.Seed), DrawnAt: r.DrawnAt, Sites: r.Sites}
	})
}
