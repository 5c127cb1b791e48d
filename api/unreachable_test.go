package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/safegrid/safegrid/inspect"
)

// TestUnreachableDependencyIsUnavailable: the errors a Postgres restart produces
// mid-request answer 503 (retry), not 500; other errors keep their meaning.
func TestUnreachableDependencyIsUnavailable(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: take one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, pgErr := pgx.Connect(ctx, "postgres://postgres@"+addr+"/safegrid?connect_timeout=2")
	if pgErr == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	_, dialErr := net.Dial("tcp", addr)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"pgx connect refused", fmt.Errorf("read session: %w", pgErr), true},
		{"dial refused", dialErr, true},
		{"database starting up", fmt.Errorf("read session: %w", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}), true},
		{"database shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"connection cut short", fmt.Errorf("district of unit 19: %w", io.ErrUnexpectedEOF), true},
		{"application error", inspect.Errorf(inspect.ECONFLICT, "hazard 1 is closed"), false},
		{"plain error", errors.New("boom"), false},
		{"no rows", pgx.ErrNoRows, false},
	}
	for _, tt := range tests {
		if got := unreachable(tt.err); got != tt.want {
			t.Errorf("%s: unreachable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
