package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// LoginAttempts keeps the login limits' counts in Postgres, so that every replica
// behind a load balancer counts the same failures.
type LoginAttempts struct {
	db *DB
}

// NewLoginAttempts returns the shared login limiter on db.
func NewLoginAttempts(db *DB) *LoginAttempts { return &LoginAttempts{db: db} }

// BeginLogin decides, under a lock on the account, whether a may go ahead; if so
// it records it as running and returns its ticket. A refusal is an
// *inspect.LoginRefusal.
//
// For the account, a running attempt counts as a failure until EndLogin, so
// simultaneous guesses at one account cannot all get through. For the address,
// only finished failures count: the logins of a team behind one NAT address run
// at the same time and must not count against each other. The address is not
// locked, so those logins do not queue behind one another here; how many
// attempts of one address can be running at once is bounded by the API's login
// workers instead.
func (la *LoginAttempts) BeginLogin(ctx context.Context, a inspect.LoginAttempt, l inspect.LoginLimits) (inspect.LoginTicket, error) {
	t := inspect.LoginTicket{Account: a.Account}
	since := a.At.Add(-l.LongestWindow())
	err := la.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "login-account:"+a.Account); err != nil {
			return fmt.Errorf("lock login attempts: %w", err)
		}
		forAccount, err := failedLogins(ctx, tx, `account = $1 AND failed IS NOT FALSE`, a.Account, since)
		if err != nil {
			return err
		}
		fromAddress, err := failedLogins(ctx, tx, `address = $1 AND failed`, a.Address, since)
		if err != nil {
			return err
		}
		if r := l.Check(a, forAccount, fromAddress); r != nil {
			return r
		}
		return tx.QueryRow(ctx, `INSERT INTO login_attempts (account, address, at) VALUES ($1, $2, $3) RETURNING id`,
			a.Account, a.Address, a.At).Scan(&t.ID)
	})
	if err != nil {
		return inspect.LoginTicket{}, err
	}
	if t.ID%128 == 0 {
		// Now and then, forget attempts too old for any limit.
		if _, err := la.db.Pool.Exec(ctx, `DELETE FROM login_attempts WHERE at < $1`, since); err != nil {
			return t, fmt.Errorf("forget old login attempts: %w", err)
		}
	}
	return t, nil
}

// EndLogin records how the attempt ended: a success forgets the account's
// failures, a failure keeps it counted.
func (la *LoginAttempts) EndLogin(ctx context.Context, t inspect.LoginTicket, ok bool) error {
	var err error
	if ok {
		_, err = la.db.Pool.Exec(ctx, `DELETE FROM login_attempts WHERE account = $1`, t.Account)
	} else {
		_, err = la.db.Pool.Exec(ctx, `UPDATE login_attempts SET failed = true WHERE id = $1`, t.ID)
	}
	if err != nil {
		return fmt.Errorf("record login outcome: %w", err)
	}
	return nil
}

// failedLogins returns the attempts matching where ($1) since the given time,
// oldest first.
func failedLogins(ctx context.Context, tx pgx.Tx, where, key string, since time.Time) ([]inspect.FailedLogin, error) {
	rows, err := tx.Query(ctx, `SELECT account, at FROM login_attempts WHERE `+where+` AND at > $2 ORDER BY at`, key, since)
	if err != nil {
		return nil, fmt.Errorf("read login attempts: %w", err)
	}
	fails, err := pgx.CollectRows(rows, pgx.RowToStructByPos[inspect.FailedLogin])
	if err != nil {
		return nil, fmt.Errorf("read login attempts: %w", err)
	}
	return fails, nil
}
