package models

import (
	"context"
	"fmt"
	"log/slog"
)

// ServeConfig says where a server takes the ONNX Runtime and its detector model from.
type ServeConfig struct {
	ORTLib string // path of libonnxruntime.so.1
	Source string // folder or http(s) URL of the models; empty turns AI checks off
	Name   string // model manifest name
	// Candidate names a second manifest from Source, run in shadow; empty for none.
	Candidate string
	CacheDir  string
	Sessions  int
}

// Serving is what a server knows about the ONNX side: whether the runtime loaded,
// and the detector when a model is configured. AI checks are off without a source.
type Serving struct {
	RuntimeErr error
	ModelErr   error // non-nil when a model was configured but could not be opened
	Detector   *Detector
	// Candidate is the model run in shadow beside Detector; nil when none is
	// configured or it could not be opened (CandidateErr says why).
	Candidate    *Detector
	CandidateErr error
	Source       string
}

// OpenServing loads the runtime and, when cfg.Source is set, installs and opens the
// model. Failures are logged and kept for the readiness checks rather than
// returned, so the rest of the product keeps working.
func OpenServing(ctx context.Context, cfg ServeConfig, log *slog.Logger) *Serving {
	ai := &Serving{Source: cfg.Source}
	if err := InitRuntime(cfg.ORTLib); err != nil {
		ai.RuntimeErr = err
		log.Error("ONNX Runtime not loaded", "lib", cfg.ORTLib, "err", err)
	}
	if cfg.Source == "" {
		log.Warn("AI checks are off: SAFEGRID_MODEL_SOURCE is not set, so photos will not be analysed")
		return ai
	}
	if ai.RuntimeErr != nil {
		ai.ModelErr = fmt.Errorf("model not loaded because the ONNX Runtime is not: %w", ai.RuntimeErr)
		return ai
	}
	dir, err := Install(ctx, cfg.Source, cfg.Name, cfg.CacheDir)
	if err != nil {
		ai.ModelErr = err
		log.Error("model not installed", "source", cfg.Source, "model", cfg.Name, "err", err)
		return ai
	}
	det, err := Open(dir, Options{Sessions: cfg.Sessions})
	if err != nil {
		ai.ModelErr = err
		log.Error("model not loaded", "dir", dir, "err", err)
		return ai
	}
	ai.Detector = det
	log.Info("AI checks on", "model", det.Name(), "sha256", det.SHA256(), "sessions", cfg.Sessions)
	if cfg.Candidate != "" {
		ai.Candidate, ai.CandidateErr = openModel(ctx, cfg, cfg.Candidate)
		if ai.CandidateErr != nil {
			log.Error("candidate model not loaded; no shadow analysis", "model", cfg.Candidate, "err", ai.CandidateErr)
		} else {
			log.Info("candidate model in shadow", "model", ai.Candidate.Name(), "sha256", ai.Candidate.SHA256())
		}
	}
	return ai
}

// openModel installs the named model from cfg.Source and opens it.
func openModel(ctx context.Context, cfg ServeConfig, name string) (*Detector, error) {
	dir, err := Install(ctx, cfg.Source, name, cfg.CacheDir)
	if err != nil {
		return nil, err
	}
	return Open(dir, Options{Sessions: cfg.Sessions})
}

// Close releases the detector's sessions.
func (ai *Serving) Close() {
	if ai.Detector != nil {
		ai.Detector.Close()
	}
	if ai.Candidate != nil {
		ai.Candidate.Close()
	}
}
