package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/photo"
)

// detectResult is what `safegrid detect` reports for one photo.
type detectResult struct {
	Photo      string             `json:"photo"`
	Width      int                `json:"width,omitempty"`
	Height     int                `json:"height,omitempty"`
	Millis     int64              `json:"ms"`
	Detections []models.Detection `json:"detections"`
	Flags      []models.Flag      `json:"flags"`
	Annotated  string             `json:"annotated,omitempty"`
	Error      string             `json:"error,omitempty"`
}

// detectReport is the --json output of `safegrid detect`.
type detectReport struct {
	Model    string         `json:"model"`
	SHA256   string         `json:"sha256"`
	Location string         `json:"location,omitempty"`
	Photos   []detectResult `json:"photos"`
}

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
		if photoExtensions[strings.ToLower(filepath.Ext(p))] {
			photos = append(photos, p)
		} else {
			fmt.Fprintf(env.stderr, "safegrid detect: skipping %s: not a photo (want %s)\n", p, photoExtensionList())
		}
	}
	if len(photos) == 0 {
		return usagef("none of the arguments is a photo (want %s)", photoExtensionList())
	}
	loc := ""
	if *location != "" {
		var ok bool
		if loc, ok = models.NormalizeLocation(*location); !ok {
			return usagef("--location %q is not a known place; use one of %s", *location, strings.Join(models.Locations(), ", "))
		}
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	if err := models.InitRuntime(cfg.ORTLib); err != nil {
		return fmt.Errorf("%w (set SAFEGRID_ORT_LIB, or SAFEGRID_CACHE_DIR where onnxruntime-1.24.1/libonnxruntime.so.1 is cached)", err)
	}
	dir := *modelDir
	if dir == "" {
		if cfg.ModelSource == "" {
			return fmt.Errorf("no model: pass --model DIR (a folder with a model manifest and its .onnx file) or set SAFEGRID_MODEL_SOURCE to a folder or URL holding %s.onnx", cfg.ModelName)
		}
		if dir, err = models.Install(ctx, cfg.ModelSource, cfg.ModelName, cfg.CacheDir); err != nil {
			return err
		}
	}
	sessions := max(1, min(cfg.AISessions, len(photos)))
	det, err := models.Open(dir, models.Options{Sessions: sessions})
	if err != nil {
		return err
	}
	defer det.Close()
	if *annotateDir != "" {
		if err := os.MkdirAll(*annotateDir, 0o755); err != nil {
			return fmt.Errorf("--annotate: %w", err)
		}
	}

	results := make([]detectResult, len(photos))
	var wg sync.WaitGroup
	next := make(chan int)
	for range sessions {
		wg.Go(func() {
			for i := range next {
				results[i] = detectPhoto(ctx, det, photos[i], loc, *annotateDir)
			}
		})
	}
	for i := range photos {
		next <- i
	}
	close(next)
	wg.Wait()

	failed := 0
	for _, r := range results {
		if r.Error != "" {
			failed++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(detectReport{Model: det.Name(), SHA256: det.SHA256(), Location: loc, Photos: results}); err != nil {
			return err
		}
	} else {
		printDetections(env.stdout, env.stderr, det, loc, results)
	}
	if failed > 0 {
		if !*asJSON {
			fmt.Fprintf(env.stderr, "safegrid detect: %d of %d photos could not be analysed\n", failed, len(photos))
		}
		return &exitError{code: 1}
	}
	return nil
}

// photoExtensions are the file name extensions of the formats the photo package
// reads: the formats an upload accepts.
var photoExtensions = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".webp": true}

func photoExtensionList() string {
	return ".jpg, .jpeg, .png or .webp"
}

// detectPhoto analyses one photo; a failure is recorded in the result, not returned, so
// the other photos are still reported.
func detectPhoto(ctx context.Context, det *models.Detector, path, loc, annotateDir string) detectResult {
	r := detectResult{Photo: path, Detections: []models.Detection{}, Flags: []models.Flag{}}
	start := time.Now()
	data, err := os.ReadFile(path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	dets, b, err := det.DetectBytes(ctx, data)
	r.Millis = time.Since(start).Milliseconds()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Width, r.Height = b.Dx(), b.Dy()
	r.Detections = append(r.Detections, dets...)
	if loc != "" {
		r.Flags = append(r.Flags, models.MapFlags(dets, r.Width, r.Height, loc, nil)...)
	}
	if annotateDir != "" {
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		out := filepath.Join(annotateDir, base+".annotated.jpg")
		annotated, err := photo.AnnotatedJPEG(data, models.Annotation(dets, r.Flags))
		if err == nil {
			err = os.WriteFile(out, annotated, 0o644)
		}
		if err != nil {
			r.Error = fmt.Sprintf("write annotated copy: %s", err)
			return r
		}
		r.Annotated = out
	}
	return r
}

func printDetections(stdout, stderr io.Writer, det *models.Detector, loc string, results []detectResult) {
	where := loc
	if where == "" {
		where = "not given (no hazard flags; pass --location)"
	}
	fmt.Fprintf(stdout, "model %s (sha256 %s…), location %s\n", det.Name(), det.SHA256()[:12], where)
	for _, r := range results {
		fmt.Fprintln(stdout)
		if r.Error != "" {
			fmt.Fprintf(stdout, "%s\n  error: %s\n", r.Photo, r.Error)
			fmt.Fprintf(stderr, "safegrid detect: %s: %s\n", r.Photo, r.Error)
			continue
		}
		fmt.Fprintf(stdout, "%s  %d×%d  %d ms\n", r.Photo, r.Width, r.Height, r.Millis)
		if len(r.Detections) == 0 {
			fmt.Fprintln(stdout, "  no detections")
		}
		for _, d := range r.Detections {
			fmt.Fprintf(stdout, "  %-14s %.2f  %s\n", d.Class, d.Score, d.Box)
		}
		for _, f := range r.Flags {
			fmt.Fprintf(stdout, "  %-12s %s %.2f: %s\n", strings.ToUpper(strings.ReplaceAll(f.Status, "_", " ")), f.Code, f.Score, f.Reason)
		}
		if loc != "" && len(r.Flags) == 0 {
			fmt.Fprintln(stdout, "  no flags")
		}
		if r.Annotated != "" {
			fmt.Fprintf(stdout, "  annotated: %s\n", r.Annotated)
		}
	}
}
