package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage/config"
)

// runDetect runs the detector on photos and prints detections and hazard flags per photo.
func runDetect(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("detect", env.stderr)
	modelDir := fs.String("model", "", "model folder (manifest + .onnx file); default: install SAFEGRID_MODEL from SAFEGRID_MODEL_SOURCE into the cache")
	location := fs.String("location", "", "where the photos were taken, one of "+strings.Join(models.Locations(), ", ")+"; hazard flags need it")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	annotateDir := fs.String("annotate", "", "write a copy of each photo with boxes and labels drawn into this folder")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("no photos given")
	}
	// Skip what is plainly not a photo (a README in a globbed folder); a file named like a
	// photo that does not decode is still an error.
	var photos []string
	for _, p := range fs.Args() {
		if models.IsPhotoName(p) {
			photos = append(photos, p)
		} else {
			fmt.Fprintf(env.stderr, "safegrid detect: skipping %s: not a photo (want %s)\n", p, models.PhotoExtensionList())
		}
	}
	if len(photos) == 0 {
		return usagef("none of the arguments is a photo (want %s)", models.PhotoExtensionList())
	}
	loc := ""
	if *location != "" {
		var ok bool
		if loc, ok = models.NormalizeLocation(*location); !ok {
			return usagef("--location %q is not a known place; use one of %s", *location, strings.Join(models.Locations(), ", "))
		}
	}
	cfg, err := config.Load(env.getenv)
	if err != nil {
		return err
	}
	sessions := max(1, min(cfg.AISessions, len(photos)))
	det, err := openConfiguredModel(ctx, cfg, "--model", *modelDir, models.Options{Sessions: sessions})
	if err != nil {
		return err
	}
	defer det.Close()
	if *annotateDir != "" {
		if err := os.MkdirAll(*annotateDir, 0o755); err != nil {
			return fmt.Errorf("--annotate: %w", err)
		}
	}

	rep := models.DetectPhotos(ctx, det, photos, loc, *annotateDir, sessions)
	if *asJSON {
		if err := rep.WriteJSON(env.stdout); err != nil {
			return err
		}
	} else {
		rep.WriteText(env.stdout, env.stderr, "safegrid detect")
	}
	if failed := rep.Failed(); failed > 0 {
		if !*asJSON {
			fmt.Fprintf(env.stderr, "safegrid detect: %d of %d photos could not be analysed\n", failed, len(photos))
		}
		return &exitError{code: 1}
	}
	return nil
}

// openConfiguredModel loads the ONNX Runtime and opens the model in dir (given with
// the command's flag dirFlag), or, when dir is empty, installs SAFEGRID_MODEL from
// SAFEGRID_MODEL_SOURCE into the cache and opens that.
func openConfiguredModel(ctx context.Context, cfg config.Config, dirFlag, dir string, opts models.Options) (*models.Detector, error) {
	if err := models.InitRuntime(cfg.ORTLib); err != nil {
		return nil, fmt.Errorf("%w (set SAFEGRID_ORT_LIB, or SAFEGRID_CACHE_DIR where onnxruntime-1.24.1/libonnxruntime.so.1 is cached)", err)
	}
	if dir == "" {
		if cfg.ModelSource == "" {
			return nil, fmt.Errorf("no model: pass %s DIR (a folder with a model manifest and its .onnx file) or set SAFEGRID_MODEL_SOURCE to a folder or URL holding %s.onnx", dirFlag, cfg.ModelName)
		}
		var err error
		if dir, err = models.Install(ctx, cfg.ModelSource, cfg.ModelName, cfg.CacheDir); err != nil {
			return nil, err
		}
	}
	return models.Open(dir, opts)
}
