package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// SaveRegistration inserts or refreshes the binding (phone, contact). It
// sets r.UpdatedAt from the store's clock. ENOTFOUND when the phone does
// not exist.
//
// The User-Agent header is free text from the device, which text columns
// cannot always hold (a Latin-1 name, a NUL): it is stored as valid UTF-8,
// invalid bytes replaced with U+FFFD and NULs dropped, and r.UserAgent set
// to what is stored. A REGISTER is not refused for its User-Agent.
func (db *DB) SaveRegistration(ctx context.Context, r *sipsim.Registration) error {
	now := db.stamp()
	r.ExpiresAt = storedTime(r.ExpiresAt)
	r.UserAgent = strings.ReplaceAll(strings.ToValidUTF8(r.UserAgent, "\uFFFD"), "\x00", "")
	_, err := db.pool.Exec(ctx, `
		INSERT INTO registrations (account_id, phone_id, contact, received, transport,
			user_agent, call_id, cseq, expires_at, updated_at, node_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (phone_id, contact) DO UPDATE SET
			account_id = excluded.account_id, received = excluded.received,
			transport = excluded.transport, user_agent = excluded.user_agent,
			call_id = excluded.call_id, cseq = excluded.cseq,
			expires_at = excluded.expires_at, updated_at = excluded.updated_at,
			node_id = excluded.node_id`,
		r.AccountID, r.PhoneID, r.Contact, r.Received, r.Transport,
		r.UserAgent, r.CallID, int64(r.CSeq), r.ExpiresAt, now, r.NodeID)
	// The phone or its account is missing: either way the phone does not
	// exist for this account.
	if violatesForeignKey(err) {
		return errPhoneNotFound()
	} else if err != nil {
		return wrap("save registration", err)
	}
	r.UpdatedAt = now
	return nil
}

func violatesForeignKey(err error) bool {
	return violates(err, foreignKeyViolation, "registrations_phone_id_fkey") ||
		violates(err, foreignKeyViolation, "registrations_account_id_fkey")
}

// DeleteRegistration removes one binding; no error if it is absent.
func (db *DB) DeleteRegistration(ctx context.Context, phoneID int64, contact string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM registrations WHERE phone_id = $1 AND contact = $2`, phoneID, contact)
	return wrap("delete registration", err)
}

// DeleteRegistrations removes every binding of a phone.
func (db *DB) DeleteRegistrations(ctx context.Context, phoneID int64) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM registrations WHERE phone_id = $1`, phoneID)
	return wrap("delete registrations", err)
}

// Registrations returns the bindings of a phone that have not expired at
// now, most recently refreshed first. A binding expires at ExpiresAt: it
// is live while now is before it. Expired rows are left in place: reads
// stay reads, and a refresh overwrites them.
func (db *DB) Registrations(ctx context.Context, phoneID int64, now time.Time) ([]*sipsim.Registration, error) {
	regs, err := queryAll(ctx, db.pool, func(row pgx.Row) (*sipsim.Registration, error) {
		var r sipsim.Registration
		err := row.Scan(&r.AccountID, &r.PhoneID, &r.Contact, &r.Received, &r.Transport, &r.UserAgent,
			&r.CallID, &r.CSeq, &r.ExpiresAt, &r.UpdatedAt, &r.NodeID)
		return &r, err
	}, `
		SELECT account_id, phone_id, contact, received, transport, user_agent,
			call_id, cseq, expires_at, updated_at, node_id
		FROM registrations
		WHERE phone_id = $1 AND expires_at > $2
		ORDER BY updated_at DESC, contact`, phoneID, storedTime(now))
	return regs, wrap("registrations", err)
}

// LiveBindings implements sipsim.RegistrationStore.
func (db *DB) LiveBindings(ctx context.Context, accountID int64, now time.Time) (sipsim.LiveBindings, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT phone_id, COUNT(*), MIN(expires_at) FROM registrations
		WHERE account_id = $1 AND expires_at > $2
		GROUP BY phone_id`, accountID, storedTime(now))
	if err != nil {
		return sipsim.LiveBindings{}, wrap("registered phones", err)
	}
	live := sipsim.LiveBindings{Count: map[int64]int{}}
	var id, n int64
	var first time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &n, &first}, func() error {
		live.Count[id] = int(n)
		if live.NextExpiry.IsZero() || first.Before(live.NextExpiry) {
			live.NextExpiry = first.UTC()
		}
		return nil
	})
	if err != nil {
		return sipsim.LiveBindings{}, wrap("registered phones", err)
	}
	return live, nil
}
