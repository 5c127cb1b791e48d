package api

import (
	"context"

	"github.com/safegrid/safegrid/inspect"
)

// vocabulary serves inspect's vocabulary: location tags, evidence kinds and AI
// checks with their labels, which the web app shows instead of keeping copies.
func (h *v1) vocabulary(ctx context.Context, _ inspect.Principal, _ struct{}) (inspect.Vocabulary, error) {
	return inspect.Vocab(), nil
}
