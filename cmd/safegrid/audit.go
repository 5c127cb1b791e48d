package main

import (
	"context"
	"fmt"
)

// runAuditVerify recomputes every hazard's event chain and reports the first broken
// link of each hazard whose chain does not verify; it exits 1 when any does.
func runAuditVerify(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("audit verify", env.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	_, db, err := openConfiguredDB(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.VerifyHazardChains(ctx)
	if err != nil {
		return fmt.Errorf("verify hazard event chains: %w", err)
	}
	if len(rep.Broken) == 0 {
		fmt.Fprintf(env.stdout, "ok: %d hazards, %d events; every chain verifies\n", rep.Hazards, rep.Events)
		return nil
	}
	for _, b := range rep.Broken {
		fmt.Fprintf(env.stdout, "BROKEN: %s\n", b)
	}
	fmt.Fprintf(env.stdout, "%d of %d hazards have a broken event chain (%d events checked)\n", len(rep.Broken), rep.Hazards, rep.Events)
	return &exitError{code: 1}
}
