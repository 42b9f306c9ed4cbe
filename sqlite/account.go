package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sipsim/sipsim"
)

const accountSelect = `SELECT id, name, sip_realm, country, created_at, allowed_countries,
	max_concurrent_calls, daily_minutes, calls_per_minute_per_token, calls_per_minute_per_phone FROM accounts `

var _ sipsim.AccountStore = (*DB)(nil)

func scanAccount(row scanner) (*sipsim.Account, error) {
	var (
		a         sipsim.Account
		countries string
	)
	l := &a.Limits
	err := row.Scan(&a.ID, &a.Name, &a.SIPDomain, &a.Country, timeCol{&a.CreatedAt}, &countries,
		&l.MaxConcurrentCalls, &l.DailyMinutes, &l.CallsPerMinutePerToken, &l.CallsPerMinutePerPhone)
	if countries != "" {
		l.AllowedCountries = strings.Split(countries, ",")
	}
	return &a, err
}

func accountArgs(a *sipsim.Account) []any {
	l := a.Limits
	return []any{a.Name, a.Country, strings.Join(l.AllowedCountries, ","),
		l.MaxConcurrentCalls, l.DailyMinutes, l.CallsPerMinutePerToken, l.CallsPerMinutePerPhone}
}

func errAccountNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Account not found") }

// CreateAccount implements sipsim.AccountStore.
func (db *DB) CreateAccount(ctx context.Context, a *sipsim.Account) error {
	now := db.stamp()
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO accounts (name, country, allowed_countries, max_concurrent_calls, daily_minutes,
				calls_per_minute_per_token, calls_per_minute_per_phone, sip_realm, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			append(accountArgs(a), a.SIPDomain, encodeTime(now))...).Scan(&a.ID)
	})
	if violatesUnique(err, "accounts.sip_realm") {
		return sipsim.Errorf(sipsim.ECONFLICT, "SIP domain %s is taken", a.SIPDomain)
	} else if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	a.CreatedAt = now
	return nil
}

// Account implements sipsim.AccountStore.
func (db *DB) Account(ctx context.Context, id int64) (*sipsim.Account, error) {
	return db.oneAccount(ctx, "WHERE id = ?", id)
}

// AccountBySIPDomain implements sipsim.AccountStore. Domains compare
// without case, as DNS names do.
func (db *DB) AccountBySIPDomain(ctx context.Context, domain string) (*sipsim.Account, error) {
	return db.oneAccount(ctx, "WHERE sip_realm = ? COLLATE NOCASE", domain)
}

func (db *DB) oneAccount(ctx context.Context, where string, arg any) (*sipsim.Account, error) {
	a, err := scanAccount(db.keptRow(ctx, accountSelect+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAccountNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("account: %w", err))
	}
	return a, nil
}

// Accounts implements sipsim.AccountStore.
func (db *DB) Accounts(ctx context.Context) ([]*sipsim.Account, error) {
	accounts, err := queryAll(ctx, keptReader{db}, scanAccount, accountSelect+"ORDER BY id")
	return accounts, unreadable(err)
}

// UpdateAccount implements sipsim.AccountStore.
func (db *DB) UpdateAccount(ctx context.Context, a *sipsim.Account) error {
	return db.write(ctx, func(tx writeTx) error {
		return execOne(ctx, tx, "update account", errAccountNotFound, `
			UPDATE accounts SET name = ?, country = ?, allowed_countries = ?, max_concurrent_calls = ?,
				daily_minutes = ?, calls_per_minute_per_token = ?, calls_per_minute_per_phone = ?
			WHERE id = ?`, append(accountArgs(a), a.ID)...)
	})
}
