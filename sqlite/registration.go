package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sipsim/sipsim"
)

// SaveRegistration inserts or refreshes the binding (phone, contact). It
// sets r.UpdatedAt from the store's clock. ENOTFOUND when the phone does
// not exist.
func (db *DB) SaveRegistration(ctx context.Context, r *sipsim.Registration) error {
	now := db.stamp()
	r.ExpiresAt = storedTime(r.ExpiresAt)
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO registrations (account_id, phone_id, contact, received, transport,
				user_agent, call_id, cseq, expires_at, updated_at, node_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (phone_id, contact) DO UPDATE SET
				account_id = excluded.account_id, received = excluded.received,
				transport = excluded.transport, user_agent = excluded.user_agent,
				call_id = excluded.call_id, cseq = excluded.cseq,
				expires_at = excluded.expires_at, updated_at = excluded.updated_at,
				node_id = excluded.node_id`,
			r.AccountID, r.PhoneID, r.Contact, r.Received, r.Transport,
			r.UserAgent, r.CallID, int64(r.CSeq), encodeTime(r.ExpiresAt), encodeTime(now), r.NodeID)
		return err
	})
	if violatesForeignKey(err) {
		return errPhoneNotFound()
	} else if err != nil {
		return fmt.Errorf("save registration: %w", err)
	}
	r.UpdatedAt = now
	return nil
}

// DeleteRegistration removes one binding; no error if it is absent.
func (db *DB) DeleteRegistration(ctx context.Context, phoneID int64, contact string) error {
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx,
			`DELETE FROM registrations WHERE phone_id = ? AND contact = ?`, phoneID, contact)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete registration: %w", err)
	}
	return nil
}

// DeleteRegistrations removes every binding of a phone.
func (db *DB) DeleteRegistrations(ctx context.Context, phoneID int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE phone_id = ?`, phoneID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete registrations: %w", err)
	}
	return nil
}

// Registrations returns the bindings of a phone that have not expired at
// now, most recently refreshed first. A binding expires at ExpiresAt: it
// is live while now is before it. Expired rows are left in place: reads
// stay reads, and a refresh overwrites them.
func (db *DB) Registrations(ctx context.Context, phoneID int64, now time.Time) ([]*sipsim.Registration, error) {
	rows, err := keptReader{db}.QueryContext(ctx, `
		SELECT account_id, phone_id, contact, received, transport, user_agent,
			call_id, cseq, expires_at, updated_at, node_id
		FROM registrations
		WHERE phone_id = ? AND expires_at > ?
		ORDER BY updated_at DESC, contact`, phoneID, encodeTime(now))
	if err != nil {
		return nil, unreadable(fmt.Errorf("registrations: %w", err))
	}
	defer rows.Close()
	regs := []*sipsim.Registration{}
	for rows.Next() {
		var r sipsim.Registration
		err := rows.Scan(&r.AccountID, &r.PhoneID, &r.Contact, &r.Received, &r.Transport, &r.UserAgent,
			&r.CallID, &r.CSeq, timeCol{&r.ExpiresAt}, timeCol{&r.UpdatedAt}, &r.NodeID)
		if err != nil {
			return nil, unreadable(fmt.Errorf("registrations: %w", err))
		}
		regs = append(regs, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, unreadable(fmt.Errorf("registrations: %w", err))
	}
	return regs, nil
}

// LiveBindings implements sipsim.RegistrationStore.
func (db *DB) LiveBindings(ctx context.Context, accountID int64, now time.Time) (sipsim.LiveBindings, error) {
	rows, err := keptReader{db}.QueryContext(ctx, `
		SELECT phone_id, COUNT(*), MIN(expires_at) FROM registrations
		WHERE account_id = ? AND expires_at > ?
		GROUP BY phone_id`, accountID, encodeTime(now))
	if err != nil {
		return sipsim.LiveBindings{}, unreadable(fmt.Errorf("registered phones: %w", err))
	}
	defer rows.Close()
	live := sipsim.LiveBindings{Count: map[int64]int{}}
	for rows.Next() {
		var id int64
		var n int
		var first time.Time
		if err := rows.Scan(&id, &n, timeCol{&first}); err != nil {
			return sipsim.LiveBindings{}, unreadable(fmt.Errorf("registered phones: %w", err))
		}
		live.Count[id] = n
		if live.NextExpiry.IsZero() || first.Before(live.NextExpiry) {
			live.NextExpiry = first
		}
	}
	if err := rows.Err(); err != nil {
		return sipsim.LiveBindings{}, unreadable(fmt.Errorf("registered phones: %w", err))
	}
	return live, nil
}
