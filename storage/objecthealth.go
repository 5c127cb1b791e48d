package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/safegrid/safegrid/inspect"
)

// QuorumLostError says the object store answers but a distributed MinIO has lost
// its write quorum: reads may work, writes fail until enough nodes are back.
type QuorumLostError struct{ Endpoint string }

func (e *QuorumLostError) Error() string {
	return fmt.Sprintf("object store %s is up but has lost its write quorum (too many nodes down)", e.Endpoint)
}

// CheckStatus is what /readyz reports for it, distinct from "failing" (down).
func (e *QuorumLostError) CheckStatus() string { return "quorum_lost" }

// Health is Ping plus, for MinIO, its cluster health endpoint: a server that
// answers but cannot write is a *QuorumLostError, not a plain failure.
func (s *ObjectStore) Health(ctx context.Context) error {
	u := *s.client.EndpointURL()
	u.Path = "/minio/health/cluster"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			return &QuorumLostError{Endpoint: u.Host}
		}
	}
	return s.Ping(ctx)
}

// writeError turns a failed object write into an application error: the store
// being down, unreachable or without write quorum is unavailable (503, try again),
// not an internal error.
func writeError(err error, key string) error {
	var netErr net.Error
	resp := minio.ToErrorResponse(err)
	if errors.As(err, &netErr) || resp.StatusCode >= 500 || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("put object %s: %w", key, &inspect.Error{Code: inspect.EUNAVAILABLE, Err: err,
			Message: "the photo store cannot take new photos right now; try again in a minute"})
	}
	return fmt.Errorf("put object %s: %w", key, err)
}
