package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sipsim/sipsim"
)

// phoneColumns are the phone's writable columns, in the order of phoneArgs.
var phoneColumns = []string{
	"name", "status", "internal_number", "number", "country",
	"group_id", "group_title",
	"outbound_number", "use_different_outbound_number", "outbound_number_phone_id",
	"record_inbound_call", "record_outbound_call",
	"allow_voicemail", "voicemail_file_id",
	"forced_forwarding_enabled", "forced_forward_number",
	"conditional_forwarding_enabled", "conditional_timeout_seconds", "conditional_forward_number",
	"inbound_call_preroll_id", "outbound_call_preroll_id", "no_answer_file_id", "wait_preroll_dial",
	"sip_realm", "sip_ha1_md5", "sip_ha1_sha256",
}

func phoneArgs(p *sipsim.Phone) []any {
	var groupID, groupTitle any
	if p.Group != nil {
		groupID, groupTitle = p.Group.GroupID, p.Group.GroupTitle
	}
	var number any
	if p.Number != "" {
		number = p.Number
	}
	o, r, v, f, a := p.OutboundSetting, p.RecordSetting, p.VoicemailSetting, p.ForwardingSetting, p.AudioSetting
	return []any{
		p.Name, string(p.Status), p.InternalNumber, number, p.Country,
		groupID, groupTitle,
		nullArg(o.OutboundNumber), o.UseDifferentOutboundNumber, nullArg(o.OutboundNumberPhoneID),
		r.RecordInboundCall, r.RecordOutboundCall,
		v.AllowVoicemail, nullArg(v.VoicemailFileID),
		f.Forced.Enabled, nullArg(f.Forced.ForwardNumber),
		f.Conditional.Enabled, f.Conditional.TimeoutSeconds, nullArg(f.Conditional.ForwardNumber),
		nullArg(a.InboundCallPrerollID), nullArg(a.OutboundCallPrerollID), nullArg(a.NoAnswerFileID), a.WaitPrerollDial,
		p.SIPRealm, p.SIPHA1MD5, p.SIPHA1SHA256,
	}
}

// phoneSelect reads every column scanPhone expects.
var phoneSelect = "SELECT id, account_id, created_at, updated_at, " +
	strings.Join(phoneColumns, ", ") + " FROM phones "

func scanPhone(row interface{ Scan(...any) error }) (*sipsim.Phone, error) {
	var (
		p          sipsim.Phone
		status     string
		number     sql.NullString
		groupID    sql.NullInt64
		groupTitle sql.NullString
	)
	o, r, v, f, a := &p.OutboundSetting, &p.RecordSetting, &p.VoicemailSetting, &p.ForwardingSetting, &p.AudioSetting
	err := row.Scan(
		&p.ID, &p.AccountID, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt},
		&p.Name, &status, &p.InternalNumber, &number, &p.Country,
		&groupID, &groupTitle,
		nullCol[string]{&o.OutboundNumber}, &o.UseDifferentOutboundNumber, nullCol[int64]{&o.OutboundNumberPhoneID},
		&r.RecordInboundCall, &r.RecordOutboundCall,
		&v.AllowVoicemail, nullCol[int64]{&v.VoicemailFileID},
		&f.Forced.Enabled, nullCol[string]{&f.Forced.ForwardNumber},
		&f.Conditional.Enabled, &f.Conditional.TimeoutSeconds, nullCol[string]{&f.Conditional.ForwardNumber},
		nullCol[int64]{&a.InboundCallPrerollID}, nullCol[int64]{&a.OutboundCallPrerollID}, nullCol[int64]{&a.NoAnswerFileID}, &a.WaitPrerollDial,
		&p.SIPRealm, &p.SIPHA1MD5, &p.SIPHA1SHA256,
	)
	if err != nil {
		return nil, err
	}
	p.Status = sipsim.PhoneStatus(status)
	p.Number = number.String
	if groupID.Valid {
		p.Group = &sipsim.PhoneGroup{GroupID: groupID.Int64, GroupTitle: groupTitle.String}
	}
	return &p, nil
}

// phoneError turns a constraint violation of a phone write into the
// user-facing error, and wraps anything else.
func phoneError(op string, p *sipsim.Phone, err error) error {
	switch {
	case violatesUnique(err, "phones.internal_number"):
		return sipsim.Errorf(sipsim.ECONFLICT, "internal_number %d is already used by another phone", p.InternalNumber)
	case violatesUnique(err, "phones.number"):
		return sipsim.Errorf(sipsim.ECONFLICT, "number %s is already used by another phone", p.Number)
	case violatesCheck(err, "phones_internal_number_range"):
		return sipsim.Errorf(sipsim.EINVALID, "internal_number must be between 100 and 999")
	case violatesCheck(err, "phones_status"):
		return sipsim.Errorf(sipsim.EINVALID, "status must be one of not_activated, active, inactive")
	}
	return fmt.Errorf("%s: %w", op, err)
}

func errPhoneNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Phone not found") }

// CreatePhone stores p and sets its ID and timestamps.
func (db *DB) CreatePhone(ctx context.Context, p *sipsim.Phone) error {
	now := db.stamp()
	query := "INSERT INTO phones (account_id, created_at, updated_at, " + strings.Join(phoneColumns, ", ") +
		") VALUES (?, ?, ?" + strings.Repeat(", ?", len(phoneColumns)) + ") RETURNING id"
	args := append([]any{p.AccountID, encodeTime(now), encodeTime(now)}, phoneArgs(p)...)
	var id int64
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, query, args...).Scan(&id)
	})
	if err != nil {
		return phoneError("create phone", p, err)
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	return nil
}

// Phone returns one phone of the account.
func (db *DB) Phone(ctx context.Context, accountID, id int64) (*sipsim.Phone, error) {
	p, err := scanPhone(db.keptRow(ctx,
		phoneSelect+"WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errPhoneNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("phone %d: %w", id, err))
	}
	return p, nil
}

// PhoneByInternalNumber finds the phone a SIP user name refers to.
func (db *DB) PhoneByInternalNumber(ctx context.Context, accountID int64, internalNumber int) (*sipsim.Phone, error) {
	p, err := scanPhone(db.keptRow(ctx,
		phoneSelect+"WHERE account_id = ? AND internal_number = ?", accountID, internalNumber))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errPhoneNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("phone by internal number %d: %w", internalNumber, err))
	}
	return p, nil
}

// Phones lists the phones matching f, ordered by id. The result is never
// nil, so that it encodes as an empty JSON list.
func (db *DB) Phones(ctx context.Context, f sipsim.PhoneFilter) ([]*sipsim.Phone, error) {
	query := phoneSelect + "WHERE account_id = ?"
	args := []any{f.AccountID}
	if f.Status != nil {
		query += " AND status = ?"
		args = append(args, string(*f.Status))
	}
	// Two texts only, with or without the status: both are kept.
	rows, err := keptReader{db}.QueryContext(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, unreadable(fmt.Errorf("phones: %w", err))
	}
	defer rows.Close()
	phones := []*sipsim.Phone{}
	for rows.Next() {
		p, err := scanPhone(rows)
		if err != nil {
			return nil, unreadable(fmt.Errorf("phones: %w", err))
		}
		phones = append(phones, p)
	}
	if err := rows.Err(); err != nil {
		return nil, unreadable(fmt.Errorf("phones: %w", err))
	}
	return phones, nil
}

// UpdatePhone replaces the stored phone with p and sets p.UpdatedAt; it
// also sets p.CreatedAt to the stored creation time, which it keeps.
func (db *DB) UpdatePhone(ctx context.Context, p *sipsim.Phone) error {
	now := db.stamp()
	query := "UPDATE phones SET updated_at = ?, " + strings.Join(phoneColumns, " = ?, ") +
		" = ? WHERE account_id = ? AND id = ? RETURNING created_at"
	args := append([]any{encodeTime(now)}, phoneArgs(p)...)
	args = append(args, p.AccountID, p.ID)
	var created string
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, query, args...).Scan(&created)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return errPhoneNotFound()
	} else if err != nil {
		return phoneError("update phone", p, err)
	}
	if err := (timeCol{&p.CreatedAt}).Scan(created); err != nil {
		return fmt.Errorf("update phone: %w", err)
	}
	p.UpdatedAt = now
	return nil
}

// DeletePhone removes a phone and, by cascade, its registrations. Its
// finished calls stay: call history outlives the line. The check for an
// active call and the delete share one write transaction, and CreateCall
// writes through the same single connection, so no call can start in
// between.
func (db *DB) DeletePhone(ctx context.Context, accountID, id int64) error {
	return db.write(ctx, func(tx writeTx) error {
		var active bool
		err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = ? AND phone_id = ? AND `+activeCondition+`)`,
			accountID, id).Scan(&active)
		if err != nil {
			return fmt.Errorf("delete phone %d: %w", id, err)
		}
		if active {
			return sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on a call; delete it once the call has ended")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM phones WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return fmt.Errorf("delete phone %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete phone %d: %w", id, err)
		} else if n == 0 {
			return errPhoneNotFound()
		}
		return nil
	})
}
