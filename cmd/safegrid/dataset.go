package main

import (
	"context"
	"fmt"

	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/jobs"
)

// runDatasetExport writes the reviewed photos as a YOLO-format data set: images/,
// labels/ (one line per box a reviewer confirmed; boxes of rejected flags are left
// out, so those photos teach the model what is not a hazard), classes.txt, and
// decisions.jsonl with every review decision and its reason.
func runDatasetExport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("dataset export", env.stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected one folder to write the data set into")
	}
	dir := fs.Arg(0)
	cfg, db, err := openConfiguredDB(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	manifest, err := models.EmbeddedManifest(cfg.ModelName)
	if err != nil {
		return fmt.Errorf("class list for SAFEGRID_MODEL=%s: %w", cfg.ModelName, err)
	}
	objects, err := storage.NewObjectStore(cfg.ObjectStore())
	if err != nil {
		return err
	}
	svc := storage.New(storage.Deps{DB: db, Objects: objects})
	n, boxes, err := jobs.ExportDataset(ctx, svc, manifest.Classes, dir, env.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "exported %d reviewed photos with %d confirmed boxes to %s (classes of %s)\n", n, boxes, dir, manifest.Name)
	return nil
}
