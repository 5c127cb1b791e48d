package main

import (
	"context"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/models"
)

// aiChecks are the /readyz checks of the ONNX Runtime library and the detector
// model (disabled without a model source).
func aiChecks(ai *models.Serving) []api.Check {
	return []api.Check{
		{Name: "onnx_runtime", Run: func(context.Context) error { return ai.RuntimeErr }},
		{Name: "model", Run: func(context.Context) error {
			if ai.Source == "" {
				return api.DisabledError("SAFEGRID_MODEL_SOURCE is not set; AI checks are off")
			}
			return ai.ModelErr
		}},
	}
}
