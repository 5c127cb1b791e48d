package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
)

// modelEval is what `safegrid model eval` reports: both models scored per AI check on
// the same reviewed photos.
type modelEval struct {
	Photos    int              `json:"photos"`
	Failed    int              `json:"failed"`
	Active    inspect.ModelRef `json:"active"`
	Candidate inspect.ModelRef `json:"candidate"`
	Checks    []evalCheck      `json:"checks"`
}

// evalCheck is one AI check's figures for both models.
type evalCheck struct {
	Code      string             `json:"code"`
	Active    inspect.CheckScore `json:"active"`
	Candidate inspect.CheckScore `json:"candidate"`
}

// runModelEval runs a candidate model and the active one over every photo the office
// has decided on and prints, per AI check, both models' precision and recall against
// those decisions.
func runModelEval(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("model eval", env.stderr)
	manifest := fs.String("manifest", "", "the candidate's manifest (YAML); its model file is beside it")
	activeDir := fs.String("active", "", "the active model's folder (manifest + .onnx file); default: install SAFEGRID_MODEL from SAFEGRID_MODEL_SOURCE into the cache")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseArgs(fs, args, 0, "no arguments besides the flags"); err != nil {
		return err
	}
	if *manifest == "" {
		return usagef("--manifest is required: the candidate model's manifest")
	}
	return withDB(ctx, env, func(cfg config.Config, db *storage.DB) error {
		active, err := openConfiguredModel(ctx, cfg, "--active", *activeDir, models.Options{Sessions: 1})
		if err != nil {
			return err
		}
		defer active.Close()
		candidate, err := models.Open(filepath.Dir(*manifest), models.Options{Sessions: 1, Manifest: *manifest})
		if err != nil {
			return err
		}
		defer candidate.Close()
		objects, err := storage.NewObjectStore(cfg.ObjectStore())
		if err != nil {
			return err
		}
		svc := storage.New(storage.Deps{DB: db, Objects: objects})
		rep, err := evaluateModels(ctx, svc, active, candidate, env.stderr)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(env.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		rep.writeText(env.stdout)
		return nil
	})
}

// evaluateModels runs both models on every reviewed photo and scores them. A photo
// that cannot be read or analysed is reported on log and left out for both.
func evaluateModels(ctx context.Context, svc *storage.Services, active, candidate *models.Detector, log io.Writer) (modelEval, error) {
	rep := modelEval{
		Active:    inspect.ModelRef{Name: active.Name(), SHA256: active.SHA256()},
		Candidate: inspect.ModelRef{Name: candidate.Name(), SHA256: candidate.SHA256()},
		Checks:    []evalCheck{},
	}
	photos, err := svc.Flags.ReviewedPhotos(ctx)
	if err != nil {
		return rep, err
	}
	var decisions []inspect.Decision
	flagged := map[*models.Detector]map[inspect.FlagKey]bool{active: {}, candidate: {}}
	for _, p := range photos {
		data, err := readOriginal(ctx, svc.Photos, p.Photo)
		if err == nil {
			for _, d := range []*models.Detector{active, candidate} {
				if err = flagPhoto(ctx, d, data, p.Photo, flagged[d]); err != nil {
					break
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.Failed++
			fmt.Fprintf(log, "safegrid model eval: photo %s left out: %v\n", p.Photo.ID, err)
			continue
		}
		rep.Photos++
		decisions = append(decisions, p.Decisions...)
	}
	in := func(set map[inspect.FlagKey]bool) func(uuid.UUID, string) bool {
		return func(photo uuid.UUID, code string) bool { return set[inspect.FlagKey{PhotoID: photo, Code: code}] }
	}
	// Both score lists hold the decided checks in code order.
	a, c := inspect.ScoreChecks(decisions, in(flagged[active])), inspect.ScoreChecks(decisions, in(flagged[candidate]))
	for i := range a {
		rep.Checks = append(rep.Checks, evalCheck{Code: a[i].Code, Active: a[i], Candidate: c[i]})
	}
	return rep, nil
}

func readOriginal(ctx context.Context, photos *storage.PhotoService, p storage.PhotoRecord) ([]byte, error) {
	rc, err := photos.OpenOriginal(ctx, p.SHA256)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(p.Size) + bytes.MinRead)
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("read photo %s: %w", p.ID, err)
	}
	return buf.Bytes(), nil
}

// flagPhoto runs d on a photo and records the checks it flags, the way the analysis
// job maps them (the item's AI checks, else the location's).
func flagPhoto(ctx context.Context, d *models.Detector, data []byte, p storage.PhotoRecord, into map[inspect.FlagKey]bool) error {
	dets, bounds, err := d.DetectBytes(ctx, data)
	if err != nil {
		return fmt.Errorf("model %s: %w", d.Name(), err)
	}
	var checks []string
	if len(p.AIChecks) > 0 {
		checks = p.AIChecks
	}
	for _, f := range d.MapFlags(dets, bounds.Dx(), bounds.Dy(), p.Location, checks) {
		into[inspect.FlagKey{PhotoID: p.ID, Code: f.Code}] = true
	}
	return nil
}

func (r modelEval) writeText(w io.Writer) {
	short := func(m inspect.ModelRef) string { return fmt.Sprintf("%s (%.12s)", m.Name, m.SHA256) }
	fmt.Fprintf(w, "%d reviewed photos (%d left out); active %s, candidate %s\n\n", r.Photos, r.Failed, short(r.Active), short(r.Candidate))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tDECIDED\tHAZARDS\tACTIVE PRECISION\tACTIVE RECALL\tCANDIDATE PRECISION\tCANDIDATE RECALL")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", c.Code, c.Active.Decided, c.Active.Hazards,
			rateText(c.Active.Precision), rateText(c.Active.Recall), rateText(c.Candidate.Precision), rateText(c.Candidate.Recall))
	}
	tw.Flush()
}

// rateText writes a rate as "2/3 0.67", or "0/0 –" when it has no denominator.
func rateText(r inspect.Rate) string {
	if !r.Defined() {
		return fmt.Sprintf("%d/%d –", r.Num, r.Den)
	}
	return fmt.Sprintf("%d/%d %.2f", r.Num, r.Den, r.Value())
}
