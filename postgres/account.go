package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

const accountSelect = `SELECT id, name, sip_realm, country, created_at, allowed_countries,
	max_concurrent_calls, daily_minutes, calls_per_minute_per_token, calls_per_minute_per_phone FROM accounts `

func scanAccount(row pgx.Row) (*sipsim.Account, error) {
	var a sipsim.Account
	l := &a.Limits
	err := row.Scan(&a.ID, &a.Name, &a.SIPDomain, &a.Country, &a.CreatedAt, &l.AllowedCountries,
		&l.MaxConcurrentCalls, &l.DailyMinutes, &l.CallsPerMinutePerToken, &l.CallsPerMinutePerPhone)
	if len(l.AllowedCountries) == 0 {
		l.AllowedCountries = nil // no list, as the SQLite store returns it
	}
	return &a, err
}

// accountArgs are the writable columns of CreateAccount and UpdateAccount,
// in the order their statements name them.
func accountArgs(a *sipsim.Account) []any {
	l := a.Limits
	return []any{a.Name, a.Country, textArray(l.AllowedCountries),
		l.MaxConcurrentCalls, l.DailyMinutes, l.CallsPerMinutePerToken, l.CallsPerMinutePerPhone}
}

// textArray is a text[] argument: never NULL, an empty array for none.
func textArray[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func errAccountNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Account not found") }

// CreateAccount implements sipsim.AccountStore.
func (db *DB) CreateAccount(ctx context.Context, a *sipsim.Account) error {
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO accounts (name, country, allowed_countries, max_concurrent_calls, daily_minutes,
			calls_per_minute_per_token, calls_per_minute_per_phone, sip_realm, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		append(accountArgs(a), a.SIPDomain, now)...).Scan(&a.ID)
	if violatesUnique(err, "accounts_sip_realm") {
		return sipsim.Errorf(sipsim.ECONFLICT, "SIP domain %s is taken", a.SIPDomain)
	} else if err != nil {
		return wrap("create account", err)
	}
	a.CreatedAt = now
	return nil
}

// Account implements sipsim.AccountStore.
func (db *DB) Account(ctx context.Context, id int64) (*sipsim.Account, error) {
	return db.oneAccount(ctx, "WHERE id = $1", id)
}

// AccountBySIPDomain implements sipsim.AccountStore. Domains compare
// without the case of ASCII letters, as DNS names do (and SQLite's
// NOCASE); the condition is the unique index accounts_sip_realm's
// expression, which answers it.
func (db *DB) AccountBySIPDomain(ctx context.Context, domain string) (*sipsim.Account, error) {
	return db.oneAccount(ctx, `WHERE lower(sip_realm COLLATE "C") = lower($1 COLLATE "C")`, domain)
}

func (db *DB) oneAccount(ctx context.Context, where string, arg any) (*sipsim.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, accountSelect+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errAccountNotFound()
	} else if err != nil {
		return nil, wrap("account", err)
	}
	return a, nil
}

// Accounts implements sipsim.AccountStore.
func (db *DB) Accounts(ctx context.Context) ([]*sipsim.Account, error) {
	accounts, err := queryAll(ctx, db.pool, scanAccount, accountSelect+"ORDER BY id")
	return accounts, wrap("accounts", err)
}

// UpdateAccount implements sipsim.AccountStore.
func (db *DB) UpdateAccount(ctx context.Context, a *sipsim.Account) error {
	err := execOne(ctx, db.pool, errAccountNotFound, `
		UPDATE accounts SET name = $1, country = $2, allowed_countries = $3, max_concurrent_calls = $4,
			daily_minutes = $5, calls_per_minute_per_token = $6, calls_per_minute_per_phone = $7
		WHERE id = $8`, append(accountArgs(a), a.ID)...)
	return wrap("update account", err)
}
