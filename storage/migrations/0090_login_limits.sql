-- Login attempts that count against the login limits, shared by every replica.
-- A row is inserted (failed NULL) before a password is checked, under advisory
-- locks on its account and address, so simultaneous guesses see each other; it is
-- marked failed afterwards, or the account's rows are deleted on success. A row
-- left NULL by a crash counts as a failure until it leaves the window.
CREATE TABLE login_attempts (
    id      bigserial PRIMARY KEY,
    account text NOT NULL,
    address text NOT NULL,
    at      timestamptz NOT NULL,
    failed  boolean
);
CREATE INDEX login_attempts_account_idx ON login_attempts (account, at);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);
