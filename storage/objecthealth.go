package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

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
			s.quorumLostAt.Store(time.Now().UnixNano())
			return &QuorumLostError{Endpoint: u.Host}
		}
	}
	s.quorumLostAt.Store(0)
	return s.Ping(ctx)
}

// quorumLostHold is how long a quorum_lost health answer makes writes fail fast
// when no later check clears it (/readyz checks each second behind a balancer).
const quorumLostHold = 10 * time.Second

// writable refuses a write at once while the last health check found the store
// without write quorum: a phone gets its 503 in milliseconds rather than after
// the store's own minute of waiting for nodes that are down.
func (s *ObjectStore) writable(key string) error {
	at := s.quorumLostAt.Load()
	if at == 0 || time.Since(time.Unix(0, at)) > quorumLostHold {
		return nil
	}
	return writeError(&QuorumLostError{Endpoint: s.client.EndpointURL().Host}, key)
}

// writeError turns a failed object write into an application error: the store
// being down, unreachable or without write quorum is unavailable (503, try again),
// not an internal error.
func writeError(err error, key string) error {
	var netErr net.Error
	var quorum *QuorumLostError
	resp := minio.ToErrorResponse(err)
	if errors.As(err, &netErr) || errors.As(err, &quorum) || resp.StatusCode >= 500 || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("put object %s: %w", key, &inspect.Error{Code: inspect.EUNAVAILABLE, Err: err,
			Message: "the photo store cannot take new photos right now; try again in a minute"})
	}
	return fmt.Errorf("put object %s: %w", key, err)
}
