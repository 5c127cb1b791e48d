package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/safegrid/safegrid/inspect"
)

// AuditReport is the outcome of VerifyHazardChains.
type AuditReport struct {
	Hazards int // hazards checked
	Events  int // events checked
	// Broken lists the first broken link of each hazard whose chain does not
	// verify, by hazard id.
	Broken []*inspect.ChainError
}

// auditBatch is how many hazards VerifyHazardChains reads at once.
const auditBatch = 500

// VerifyHazardChains recomputes the event chain of every hazard (inspect.VerifyChain)
// and checks that it ends at the head recorded on the hazard row
// (inspect.VerifyHead), reading hazards in batches by id.
func (db *DB) VerifyHazardChains(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	type head struct {
		ID       int64
		HeadSeq  int64
		HeadHash string
	}
	after := int64(0)
	for {
		rows, err := db.Pool.Query(ctx, `SELECT id, head_seq, head_hash FROM hazards WHERE id > $1 ORDER BY id LIMIT $2`, after, auditBatch)
		heads, err := collectAll[head](rows, err)
		if err != nil {
			return rep, fmt.Errorf("read hazards: %w", err)
		}
		if len(heads) == 0 {
			return rep, nil
		}
		ids := make([]int64, len(heads))
		for i, h := range heads {
			ids[i] = h.ID
		}
		rows, err = db.Pool.Query(ctx, `SELECT hazard_id, seq, actor, at, kind, payload, prev_hash, hash FROM hazard_events
			WHERE hazard_id = ANY($1) ORDER BY hazard_id, seq`, ids)
		events, err := collectAll[inspect.Event](rows, err)
		if err != nil {
			return rep, fmt.Errorf("read hazard events: %w", err)
		}
		byHazard := map[int64][]inspect.Event{}
		for _, e := range events {
			byHazard[e.HazardID] = append(byHazard[e.HazardID], e)
		}
		for _, h := range heads {
			chain := byHazard[h.ID]
			rep.Hazards++
			rep.Events += len(chain)
			err := inspect.VerifyChain(chain)
			if err == nil {
				err = inspect.VerifyHead(chain, h.ID, h.HeadSeq, h.HeadHash)
			}
			var ce *inspect.ChainError
			switch {
			case err == nil:
			case errors.As(err, &ce):
				rep.Broken = append(rep.Broken, ce)
			default:
				return rep, err
			}
		}
		after = heads[len(heads)-1].ID
	}
}
