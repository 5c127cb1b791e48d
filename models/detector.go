// Package models runs SafeGrid's ONNX object detectors on evidence photos and maps what
// they see to hazard flags.
//
// A model is declared by a Manifest (YAML beside the .onnx file: family, file, SHA-256,
// input and output layout, classes, thresholds). Open checks the file against its manifest
// and starts a pool of ONNX Runtime sessions; Detect pre-processes a photo with imaging
// (EXIF orientation, letterbox or stretch), runs a session, decodes the family's output and
// applies class-aware NMS, returning boxes in the photo's pixels. MapFlags turns
// detections plus the photo's location tag into hazard flags through the data table
// Checks. Install copies a model from a folder or URL into the cache and verifies it.
//
// Inference is slow (tens of milliseconds) and CPU-bound: callers run it in background
// jobs, never inside an HTTP handler.
package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/safegrid/safegrid/models/photo"

	"github.com/safegrid/safegrid/inspect"
)

// ManifestFile is the name of the manifest Install writes beside a model file.
const ManifestFile = "manifest.yaml"

// Options tune a Detector. Zero values take the defaults.
type Options struct {
	// Sessions is the number of ONNX Runtime sessions, i.e. photos analysed at once.
	// Default: runtime.NumCPU().
	Sessions int
	// IntraOpThreads is the number of threads each session uses. Default: the manifest's
	// intra_op_threads, else 1 — one session per core with one thread each is faster on
	// small machines than fewer sessions with spinning thread pools.
	IntraOpThreads int
	// Name picks a manifest when modelDir holds several, or names the built-in manifest to
	// use when modelDir holds only the model file. Default: the directory's only manifest,
	// else DefaultModel.
	Name string
	// Manifest is the path of a manifest file to use, whatever its name, in place of
	// Name; the model file it names is in modelDir.
	Manifest string
}

// Detector is a loaded model with a pool of sessions. It is safe for concurrent use;
// Detect blocks until a session is free.
type Detector struct {
	manifest Manifest
	checks   []Check // the manifest's CheckTable
	dir      string
	slots    chan *session
	all      []*session
	closed   chan struct{}
	close    sync.Once
}

// Open loads the model in modelDir after checking it against its manifest: the file's
// SHA-256 must equal the manifest's, and the model's input and output names and shapes
// must be what the manifest's family and input size imply. InitRuntime must have been
// called first.
func Open(modelDir string, opts Options) (*Detector, error) {
	if !RuntimeLoaded() {
		return nil, inspect.Errorf(inspect.EUNAVAILABLE, "ONNX Runtime is not loaded: call models.InitRuntime first")
	}
	var m Manifest
	var err error
	if opts.Manifest != "" {
		m, err = LoadManifest(opts.Manifest)
	} else {
		m, err = findManifest(modelDir, opts.Name)
	}
	if err != nil {
		return nil, err
	}
	modelPath := filepath.Join(modelDir, m.File)
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	if sum := sha256Hex(data); sum != m.SHA256 {
		return nil, inspect.Errorf(inspect.EINVALID, "model %s: %s has SHA-256 %s but its manifest expects %s; refusing to load it", m.Name, modelPath, sum, m.SHA256)
	}
	if err := checkModelShapes(&m, data); err != nil {
		return nil, err
	}

	if opts.Sessions <= 0 {
		opts.Sessions = runtime.NumCPU()
	}
	if opts.IntraOpThreads <= 0 {
		opts.IntraOpThreads = max(1, m.IntraOpThreads)
	}
	d := &Detector{
		manifest: m,
		checks:   m.CheckTable(),
		dir:      modelDir,
		slots:    make(chan *session, opts.Sessions),
		closed:   make(chan struct{}),
	}
	for range opts.Sessions {
		s, err := newSession(&m, data, opts.IntraOpThreads)
		if err != nil {
			d.destroy()
			return nil, fmt.Errorf("model %s: start session: %w", m.Name, err)
		}
		d.all = append(d.all, s)
		d.slots <- s
	}
	return d, nil
}

// findManifest picks the manifest for the model in dir; see Options.Name.
func findManifest(dir, name string) (Manifest, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return Manifest{}, inspect.Errorf(inspect.ENOTFOUND, "model folder %s does not exist", dir)
	}
	if name == "" {
		if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
			return LoadManifest(filepath.Join(dir, ManifestFile))
		}
		yamls, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		switch len(yamls) {
		case 1:
			return LoadManifest(yamls[0])
		case 0:
			name = DefaultModel
		default:
			return Manifest{}, inspect.Errorf(inspect.EINVALID, "model folder %s holds several manifests; name the model to use", dir)
		}
	}
	if m, err := LoadManifest(filepath.Join(dir, ManifestFile)); err == nil && m.Name == name {
		return m, nil
	}
	if _, err := os.Stat(filepath.Join(dir, name+".yaml")); err == nil {
		return LoadManifest(filepath.Join(dir, name+".yaml"))
	}
	m, err := EmbeddedManifest(name)
	if err != nil {
		return Manifest{}, fmt.Errorf("model folder %s has no manifest: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, m.File)); err != nil {
		return Manifest{}, inspect.Errorf(inspect.ENOTFOUND, "model folder %s has neither a manifest nor %s", dir, m.File)
	}
	return m, nil
}

// Name is the model's name from its manifest, e.g. "yolox_nano".
func (d *Detector) Name() string { return d.manifest.Name }

// SHA256 is the verified SHA-256 of the model file, in hex.
func (d *Detector) SHA256() string { return d.manifest.SHA256 }

// Manifest returns the model's manifest.
func (d *Detector) Manifest() Manifest { return d.manifest }

// MapFlags evaluates the model's hazard checks (its manifest's CheckTable) on the
// detections of one imgW×imgH photo; see the package function MapFlags.
func (d *Detector) MapFlags(dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	return MapChecks(d.checks, dets, imgW, imgH, location, checks)
}

// MapFlagsAt is MapFlags with the score levels an admin accepted for the photo's
// place, by check code, in place of the table's (see WithLevels).
func (d *Detector) MapFlagsAt(levels map[string]inspect.ScoreLevels, dets []Detection, imgW, imgH int, location string, checks []string) []Flag {
	return MapChecks(WithLevels(d.checks, levels), dets, imgW, imgH, location, checks)
}

// Sessions is the size of the session pool.
func (d *Detector) Sessions() int { return len(d.all) }

// ErrClosed is returned by Detect after Close.
var ErrClosed = errors.New("detector is closed")

// Detect finds objects in img, which must already be upright (see photo.DecodeUpright), and
// returns them after NMS, best first, with boxes in img's pixels. It waits for a free
// session until ctx is done.
func (d *Detector) Detect(ctx context.Context, img image.Image) ([]Detection, error) {
	p, err := prepare(&d.manifest, img)
	if err != nil {
		return nil, err
	}
	return d.detectPrepared(ctx, p)
}

// detectPrepared runs the model on a prepared photo on a free session.
func (d *Detector) detectPrepared(ctx context.Context, p prepared) ([]Detection, error) {
	return d.detectPasses(ctx, []prepared{p})
}

// detectPasses runs the model on every pass of one photo on one free session
// (the whole photo, then the slicing's parts) and merges their detections.
func (d *Detector) detectPasses(ctx context.Context, passes []prepared) ([]Detection, error) {
	s, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	var all, raw []Detection
	for _, p := range passes {
		raw, err = d.runPrepared(s, p, raw[:0])
		if err != nil {
			break
		}
		all = d.toPhoto(p, raw, all)
	}
	d.slots <- s
	if err != nil {
		return nil, err
	}
	if len(passes) == 1 {
		if !d.manifest.usesNMS() {
			sortByScore(all)
			return all, nil
		}
		return NMS(all, d.manifest.Thresholds.NMSIoU), nil
	}
	return MergeSlices(all, d.manifest.Thresholds.NMSIoU), nil
}

// runPrepared fills the session's input tensor, runs it and decodes the raw output
// (boxes still in input pixels), appending to dst.
func (d *Detector) runPrepared(s *session, p prepared, dst []Detection) ([]Detection, error) {
	fillTensor(&d.manifest, p, s.input.GetData())
	if err := s.run.Run(); err != nil {
		return nil, fmt.Errorf("model %s: run: %w", d.manifest.Name, err)
	}
	return d.manifest.decode(s.data, dst), nil
}

// toPhoto maps decoded boxes of one pass to photo pixels and appends them to dst,
// dropping those wholly outside the photo (in the letterbox padding) and, for a
// part of the photo, those cut by one of its inner edges: the whole photo's pass
// (or a neighbouring tile) sees that object whole.
func (d *Detector) toPhoto(p prepared, dets, dst []Detection) []Detection {
	const margin = 2 // input pixels
	x0, y0 := float32(p.padX), float32(p.padY)
	iw, ih := x0+float32(p.img.Rect.Dx()), y0+float32(p.img.Rect.Dy())
	for _, det := range dets {
		b := det.Box
		if p.cutLeft && b.X1 <= x0+margin || p.cutTop && b.Y1 <= y0+margin ||
			p.cutRight && b.X2 >= iw-margin || p.cutBottom && b.Y2 >= ih-margin {
			continue
		}
		det.Box = p.toPhoto(b)
		if det.Box.Area() > 0 {
			dst = append(dst, det)
		}
	}
	return dst
}

// DetectFile reads the photo at path and runs DetectBytes.
func (d *Detector) DetectFile(ctx context.Context, path string) ([]Detection, image.Rectangle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, image.Rectangle{}, fmt.Errorf("read photo: %w", err)
	}
	return d.DetectBytes(ctx, data)
}

// DetectBytes decodes an in-memory photo at the size the model needs (a JPEG in the
// DCT domain at 1/2, 1/4 or 1/8, never a 12 MP decode for a 416-pixel input),
// upright by its EXIF orientation, and runs the model on it, and on the parts of it
// the manifest's Slicing names (the photo is then decoded large enough for the
// smallest part to fill the input). Boxes are in the upright photo's full-size
// pixels; the second result is that photo's bounds, for MapFlags and the annotated
// copy.
func (d *Detector) DetectBytes(ctx context.Context, data []byte) ([]Detection, image.Rectangle, error) {
	m := &d.manifest
	minSide := m.Input.Size
	if m.Slicing.On() {
		minSide = int(math.Ceil(float64(m.Input.Size) / m.Slicing.regionSide()))
	}
	ph, err := photo.Decode(data, minSide)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	bounds := image.Rect(0, 0, ph.Width, ph.Height)
	passes, err := preparePasses(m, ph.Image, ph.Width, ph.Height)
	ph.Close()
	if err != nil {
		return nil, bounds, err
	}
	dets, err := d.detectPasses(ctx, passes)
	return dets, bounds, err
}

// acquire takes a free session, waiting until one is free, ctx is done or d is closed.
func (d *Detector) acquire(ctx context.Context) (*session, error) {
	select {
	case <-d.closed:
		return nil, ErrClosed
	default:
	}
	select {
	case s := <-d.slots:
		select {
		case <-d.closed:
			d.slots <- s
			return nil, ErrClosed
		default:
			return s, nil
		}
	case <-d.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free detector session: %w", ctx.Err())
	}
}

// Close waits for running detections to finish and releases the sessions. Later calls
// to Detect return ErrClosed.
func (d *Detector) Close() error {
	d.close.Do(func() {
		close(d.closed)
		for range d.all {
			<-d.slots
		}
		d.destroy()
	})
	return nil
}

func (d *Detector) destroy() {
	for _, s := range d.all {
		s.destroy()
	}
	d.all = nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
