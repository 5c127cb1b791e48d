package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/models"
)

// aiState is what serve knows about the ONNX side: whether the runtime loaded, and
// the detector when a model is configured. AI checks are off without a model source.
type aiState struct {
	runtimeErr error
	modelErr   error // non-nil when a model was configured but could not be opened
	detector   *models.Detector
	source     string
}

// openAI loads the runtime and, when SAFEGRID_MODEL_SOURCE is set, installs and opens
// the model. Failures are logged and reported by /readyz rather than stopping the
// server, so the rest of the product keeps working.
func openAI(ctx context.Context, cfg config, log *slog.Logger) *aiState {
	ai := &aiState{source: cfg.ModelSource}
	if err := models.InitRuntime(cfg.ORTLib); err != nil {
		ai.runtimeErr = err
		log.Error("ONNX Runtime not loaded", "lib", cfg.ORTLib, "err", err)
	}
	if cfg.ModelSource == "" {
		log.Warn("AI checks are off: SAFEGRID_MODEL_SOURCE is not set, so photos will not be analysed")
		return ai
	}
	if ai.runtimeErr != nil {
		ai.modelErr = fmt.Errorf("model not loaded because the ONNX Runtime is not: %w", ai.runtimeErr)
		return ai
	}
	dir, err := models.Install(ctx, cfg.ModelSource, cfg.ModelName, cfg.CacheDir)
	if err != nil {
		ai.modelErr = err
		log.Error("model not installed", "source", cfg.ModelSource, "model", cfg.ModelName, "err", err)
		return ai
	}
	det, err := models.Open(dir, models.Options{Sessions: cfg.AISessions})
	if err != nil {
		ai.modelErr = err
		log.Error("model not loaded", "dir", dir, "err", err)
		return ai
	}
	ai.detector = det
	log.Info("AI checks on", "model", det.Name(), "sha256", det.SHA256(), "sessions", cfg.AISessions)
	return ai
}

// RuntimeCheck is the /readyz check of the ONNX Runtime library.
func (ai *aiState) RuntimeCheck(ctx context.Context) error {
	if ai.runtimeErr != nil {
		return ai.runtimeErr
	}
	return nil
}

// ModelCheck is the /readyz check of the detector model: disabled without a source.
func (ai *aiState) ModelCheck(ctx context.Context) error {
	switch {
	case ai.source == "":
		return api.DisabledError("SAFEGRID_MODEL_SOURCE is not set; AI checks are off")
	case ai.modelErr != nil:
		return ai.modelErr
	}
	return nil
}

// Close releases the detector's sessions.
func (ai *aiState) Close() {
	if ai.detector != nil {
		ai.detector.Close()
	}
}
