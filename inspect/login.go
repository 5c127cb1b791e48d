package inspect

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LoginLimits bound what attacks look like: guessing one account's password,
// many failures from one address, and password spraying (one guess each at many
// accounts). Only failures count, never successful logins: a team behind one
// carrier or office NAT address logging in at the start of a shift is never
// limited. A success forgets its account's failures.
type LoginLimits struct {
	// AccountFailures failed logins for one account within AccountWindow block
	// that account's logins until the oldest of them leaves the window. A login
	// of that account still being checked counts as a failure until it ends, so
	// simultaneous guesses at one account cannot all get through.
	AccountFailures int
	AccountWindow   time.Duration
	// AddressFailures failed logins from one client address within AddressWindow
	// block that address. Only finished failures count: logins of different
	// accounts running at the same time from one address are a team, not an
	// attack, until they fail.
	AddressFailures int
	AddressWindow   time.Duration
	// SprayAccounts distinct accounts failing from one client address within
	// SprayWindow block that address for any other account (password spraying:
	// one guess for many accounts, slower than AddressFailures).
	SprayAccounts int
	SprayWindow   time.Duration
}

// DefaultLoginLimits: 5 failures per account per 15 minutes, 20 failures per
// client address per minute, failures for 10 accounts per address per hour.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{
		AccountFailures: 5, AccountWindow: 15 * time.Minute,
		AddressFailures: 20, AddressWindow: time.Minute,
		SprayAccounts: 10, SprayWindow: time.Hour,
	}
}

// LongestWindow is how long an attempt can matter to any limit.
func (l LoginLimits) LongestWindow() time.Duration {
	return max(l.AccountWindow, l.AddressWindow, l.SprayWindow)
}

// LoginAccount is the key the limits count an account by: the user's id when the
// login names a user (so the username and the phone number are one account), else
// the normalized spelling.
func LoginAccount(userID int64, login string) string {
	if userID != 0 {
		return "user:" + strconv.FormatInt(userID, 10)
	}
	return "login:" + strings.ToLower(NormalizePhone(login))
}

// LoginAttempt is one login about to have its password checked.
type LoginAttempt struct {
	Account string // LoginAccount
	Address string // client address
	At      time.Time
}

// LoginTicket names a started attempt so that it can be ended.
type LoginTicket struct {
	ID      int64
	Account string
}

// FailedLogin is one failed earlier attempt (for the account's own limit, also
// one still running).
type FailedLogin struct {
	Account string
	At      time.Time
}

// LoginRefusal is the answer when a limit is reached: why, and how long to wait.
type LoginRefusal struct {
	Reason string
	Wait   time.Duration
}

func (r *LoginRefusal) Error() string { return r.Reason }

// Check decides whether attempt may go ahead, given the failed or running
// attempts for its account and the failed attempts from its address within the
// longest window.
func (l LoginLimits) Check(a LoginAttempt, forAccount, fromAddress []FailedLogin) *LoginRefusal {
	if w, n := waitFor(forAccount, a.At, l.AccountWindow, l.AccountFailures); w > 0 {
		return &LoginRefusal{Wait: w, Reason: fmt.Sprintf("too many failed logins for this account: %d in %s", n, FormatWait(l.AccountWindow))}
	}
	if w, n := waitFor(fromAddress, a.At, l.AddressWindow, l.AddressFailures); w > 0 {
		return &LoginRefusal{Wait: w, Reason: fmt.Sprintf("too many failed logins from your address: %d in %s", n, FormatWait(l.AddressWindow))}
	}
	if l.SprayAccounts > 0 {
		first := map[string]time.Time{} // each account's latest failure in the window
		for _, f := range fromAddress {
			if f.At.After(a.At.Add(-l.SprayWindow)) && f.Account != a.Account && f.At.After(first[f.Account]) {
				first[f.Account] = f.At
			}
		}
		if len(first) >= l.SprayAccounts {
			var latest []FailedLogin
			for acc, at := range first {
				latest = append(latest, FailedLogin{Account: acc, At: at})
			}
			w, _ := waitFor(sortByTime(latest), a.At, l.SprayWindow, l.SprayAccounts)
			return &LoginRefusal{Wait: max(w, time.Second), Reason: fmt.Sprintf("failed logins for %d accounts from your address in %s", len(first), FormatWait(l.SprayWindow))}
		}
	}
	return nil
}

// waitFor returns how long until fewer than limit of fails (oldest first) are
// within window of now, and how many are in it now.
func waitFor(fails []FailedLogin, now time.Time, window time.Duration, limit int) (time.Duration, int) {
	var in []FailedLogin
	for _, f := range fails {
		if f.At.After(now.Add(-window)) {
			in = append(in, f)
		}
	}
	if limit <= 0 || len(in) < limit {
		return 0, len(in)
	}
	wait := in[len(in)-limit].At.Add(window).Sub(now)
	return max(wait, time.Second), len(in)
}

func sortByTime(fs []FailedLogin) []FailedLogin {
	slices.SortFunc(fs, func(a, b FailedLogin) int { return a.At.Compare(b.At) })
	return fs
}

// FormatWait says a duration the way a person would, rounded up.
func FormatWait(d time.Duration) string {
	switch {
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minute", int(d/time.Minute))
	case d <= time.Second:
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
}
