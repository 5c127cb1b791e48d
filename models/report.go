package models

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

	"github.com/safegrid/safegrid/models/photo"
)

// PhotoResult is what a detection report says about one photo.
type PhotoResult struct {
	Photo      string      `json:"photo"`
	Width      int         `json:"width,omitempty"`
	Height     int         `json:"height,omitempty"`
	Millis     int64       `json:"ms"`
	Detections []Detection `json:"detections"`
	Flags      []Flag      `json:"flags"`
	Annotated  string      `json:"annotated,omitempty"`
	Error      string      `json:"error,omitempty"`
}

// DetectionReport is the result of running a detector over a set of photos (the
// --json output of `safegrid detect`).
type DetectionReport struct {
	Model    string        `json:"model"`
	SHA256   string        `json:"sha256"`
	Location string        `json:"location,omitempty"`
	Photos   []PhotoResult `json:"photos"`
}

// photoExtensions are the file name extensions of the formats the photo package
// reads: the formats an upload accepts.
var photoExtensions = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".webp": true}

// IsPhotoName reports whether path is named like a photo the detector reads.
func IsPhotoName(path string) bool {
	return photoExtensions[strings.ToLower(filepath.Ext(path))]
}

// PhotoExtensionList names the photo file name extensions, for messages.
func PhotoExtensionList() string {
	return ".jpg, .jpeg, .png or .webp"
}

// DetectPhotos runs det over the photos at paths with up to sessions photos at a time,
// maps flags for location loc (none when loc is empty) and, when annotateDir is set,
// writes an annotated copy of each photo there. A photo that fails is recorded in
// its result, not returned, so the other photos are still reported.
func DetectPhotos(ctx context.Context, det *Detector, paths []string, loc, annotateDir string, sessions int) DetectionReport {
	results := make([]PhotoResult, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, sessions) {
		wg.Go(func() {
			for i := range next {
				results[i] = detectPhoto(ctx, det, paths[i], loc, annotateDir)
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	return DetectionReport{Model: det.Name(), SHA256: det.SHA256(), Location: loc, Photos: results}
}

// Failed counts the photos that could not be analysed.
func (r DetectionReport) Failed() int {
	failed := 0
	for _, p := range r.Photos {
		if p.Error != "" {
			failed++
		}
	}
	return failed
}

// detectPhoto analyses one photo; a failure is recorded in the result.
func detectPhoto(ctx context.Context, det *Detector, path, loc, annotateDir string) PhotoResult {
	r := PhotoResult{Photo: path, Detections: []Detection{}, Flags: []Flag{}}
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
		r.Flags = append(r.Flags, det.MapFlags(dets, r.Width, r.Height, loc, nil)...)
	}
	if annotateDir != "" {
		base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		out := filepath.Join(annotateDir, base+".annotated.jpg")
		annotated, err := photo.AnnotatedJPEG(data, Annotation(dets, r.Flags))
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

// WriteJSON writes the report as indented JSON.
func (r DetectionReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a terminal to w; each photo's error also goes to
// errw, prefixed with prog.
func (r DetectionReport) WriteText(w, errw io.Writer, prog string) {
	where := r.Location
	if where == "" {
		where = "not given (no hazard flags; pass --location)"
	}
	fmt.Fprintf(w, "model %s (sha256 %s…), location %s\n", r.Model, r.SHA256[:12], where)
	for _, p := range r.Photos {
		fmt.Fprintln(w)
		if p.Error != "" {
			fmt.Fprintf(w, "%s\n  error: %s\n", p.Photo, p.Error)
			fmt.Fprintf(errw, "%s: %s: %s\n", prog, p.Photo, p.Error)
			continue
		}
		fmt.Fprintf(w, "%s  %d×%d  %d ms\n", p.Photo, p.Width, p.Height, p.Millis)
		if len(p.Detections) == 0 {
			fmt.Fprintln(w, "  no detections")
		}
		for _, d := range p.Detections {
			fmt.Fprintf(w, "  %-14s %.2f  %s\n", d.Class, d.Score, d.Box)
		}
		for _, f := range p.Flags {
			fmt.Fprintf(w, "  %-12s %s %.2f: %s\n", strings.ToUpper(strings.ReplaceAll(f.Status, "_", " ")), f.Code, f.Score, f.Reason)
		}
		if r.Location != "" && len(p.Flags) == 0 {
			fmt.Fprintln(w, "  no flags")
		}
		if p.Annotated != "" {
			fmt.Fprintf(w, "  annotated: %s\n", p.Annotated)
		}
	}
}
