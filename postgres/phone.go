package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

// phoneArgs are p's values of phoneColumns. Optional values are pointers,
// which pgx sends as NULL when nil.
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
		o.OutboundNumber, o.UseDifferentOutboundNumber, o.OutboundNumberPhoneID,
		r.RecordInboundCall, r.RecordOutboundCall,
		v.AllowVoicemail, v.VoicemailFileID,
		f.Forced.Enabled, f.Forced.ForwardNumber,
		f.Conditional.Enabled, f.Conditional.TimeoutSeconds, f.Conditional.ForwardNumber,
		a.InboundCallPrerollID, a.OutboundCallPrerollID, a.NoAnswerFileID, a.WaitPrerollDial,
		p.SIPRealm, p.SIPHA1MD5, p.SIPHA1SHA256,
	}
}

// phoneSelect reads every column scanPhone expects.
var phoneSelect = "SELECT id, account_id, created_at, updated_at, " +
	strings.Join(phoneColumns, ", ") + " FROM phones "

func scanPhone(row pgx.Row) (*sipsim.Phone, error) {
	var (
		p          sipsim.Phone
		status     string
		number     *string
		groupID    *int64
		groupTitle *string
	)
	o, r, v, f, a := &p.OutboundSetting, &p.RecordSetting, &p.VoicemailSetting, &p.ForwardingSetting, &p.AudioSetting
	err := row.Scan(
		&p.ID, &p.AccountID, &p.CreatedAt, &p.UpdatedAt,
		&p.Name, &status, &p.InternalNumber, &number, &p.Country,
		&groupID, &groupTitle,
		&o.OutboundNumber, &o.UseDifferentOutboundNumber, &o.OutboundNumberPhoneID,
		&r.RecordInboundCall, &r.RecordOutboundCall,
		&v.AllowVoicemail, &v.VoicemailFileID,
		&f.Forced.Enabled, &f.Forced.ForwardNumber,
		&f.Conditional.Enabled, &f.Conditional.TimeoutSeconds, &f.Conditional.ForwardNumber,
		&a.InboundCallPrerollID, &a.OutboundCallPrerollID, &a.NoAnswerFileID, &a.WaitPrerollDial,
		&p.SIPRealm, &p.SIPHA1MD5, &p.SIPHA1SHA256,
	)
	if err != nil {
		return nil, err
	}
	p.Status = sipsim.PhoneStatus(status)
	if number != nil {
		p.Number = *number
	}
	if groupID != nil {
		p.Group = &sipsim.PhoneGroup{GroupID: *groupID}
		if groupTitle != nil {
			p.Group.GroupTitle = *groupTitle
		}
	}
	return &p, nil
}

// phoneError turns a constraint violation of a phone write into the
// user-facing error, and wraps anything else.
func phoneError(op string, p *sipsim.Phone, err error) error {
	switch {
	case violatesUnique(err, "phones_internal_number_unique"):
		return sipsim.Errorf(sipsim.ECONFLICT, "internal_number %d is already used by another phone", p.InternalNumber)
	case violatesUnique(err, "phones_number_unique"):
		return sipsim.Errorf(sipsim.ECONFLICT, "number %s is already used by another phone", p.Number)
	case violatesCheck(err, "phones_internal_number_range"):
		return sipsim.Errorf(sipsim.EINVALID, "internal_number must be between 100 and 999")
	case violatesCheck(err, "phones_status"):
		return sipsim.Errorf(sipsim.EINVALID, "status must be one of not_activated, active, inactive")
	}
	return wrap(op, err)
}

func errPhoneNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Phone not found") }

// lockAudioFiles takes a share lock on the audio files p's settings name,
// so that DeleteAudioFile, which locks the file before it looks for phones
// using it, cannot delete one while this write is in flight: it waits and
// then sees the phone. Ids that name no file are no error, as in the
// SQLite store.
func lockAudioFiles(ctx context.Context, tx pgx.Tx, p *sipsim.Phone) error {
	var ids []int64
	for _, ref := range p.AudioFileRefs() {
		if ref.ID != nil {
			ids = append(ids, *ref.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT 1 FROM audio_files WHERE id = ANY ($1) FOR KEY SHARE`, ids)
	return err
}

// CreatePhone stores p and sets its ID and timestamps.
func (db *DB) CreatePhone(ctx context.Context, p *sipsim.Phone) error {
	now := db.stamp()
	query := "INSERT INTO phones (account_id, created_at, updated_at, " + strings.Join(phoneColumns, ", ") +
		") VALUES (" + placeholders(1, 3+len(phoneColumns)) + ") RETURNING id"
	args := append([]any{p.AccountID, now, now}, phoneArgs(p)...)
	var id int64
	err := db.write(ctx, func(tx pgx.Tx) error {
		if err := lockAudioFiles(ctx, tx, p); err != nil {
			return err
		}
		return tx.QueryRow(ctx, query, args...).Scan(&id)
	})
	if err != nil {
		return phoneError("create phone", p, err)
	}
	p.ID, p.CreatedAt, p.UpdatedAt = id, now, now
	return nil
}

// Phone returns one phone of the account.
func (db *DB) Phone(ctx context.Context, accountID, id int64) (*sipsim.Phone, error) {
	p, err := scanPhone(db.pool.QueryRow(ctx, phoneSelect+"WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errPhoneNotFound()
	}
	return p, wrap("phone", err)
}

// PhoneByInternalNumber finds the phone a SIP user name refers to.
func (db *DB) PhoneByInternalNumber(ctx context.Context, accountID int64, internalNumber int) (*sipsim.Phone, error) {
	p, err := scanPhone(db.pool.QueryRow(ctx,
		phoneSelect+"WHERE account_id = $1 AND internal_number = $2", accountID, internalNumber))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errPhoneNotFound()
	}
	return p, wrap("phone by internal number", err)
}

// Phones lists the phones matching f, ordered by id. The result is never
// nil, so that it encodes as an empty JSON list.
func (db *DB) Phones(ctx context.Context, f sipsim.PhoneFilter) ([]*sipsim.Phone, error) {
	var ps params
	query := phoneSelect + "WHERE account_id = " + ps.add(f.AccountID)
	if f.Status != nil {
		query += " AND status = " + ps.add(string(*f.Status))
	}
	phones, err := queryAll(ctx, db.pool, scanPhone, query+" ORDER BY id", ps.args...)
	return phones, wrap("phones", err)
}

// UpdatePhone replaces the stored phone with p and sets p.UpdatedAt; it
// also sets p.CreatedAt to the stored creation time, which it keeps.
func (db *DB) UpdatePhone(ctx context.Context, p *sipsim.Phone) error {
	now := db.stamp()
	var ps params
	sets := []string{"updated_at = " + ps.add(now)}
	for i, v := range phoneArgs(p) {
		sets = append(sets, phoneColumns[i]+" = "+ps.add(v))
	}
	query := "UPDATE phones SET " + strings.Join(sets, ", ") +
		" WHERE account_id = " + ps.add(p.AccountID) + " AND id = " + ps.add(p.ID) + " RETURNING created_at"
	var created time.Time
	err := db.write(ctx, func(tx pgx.Tx) error {
		if err := lockAudioFiles(ctx, tx, p); err != nil {
			return err
		}
		return tx.QueryRow(ctx, query, ps.args...).Scan(&created)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return errPhoneNotFound()
	} else if err != nil {
		return phoneError("update phone", p, err)
	}
	p.CreatedAt, p.UpdatedAt = created, now
	return nil
}

// DeletePhone removes a phone and, by cascade, its registrations. Its
// finished calls stay: call history outlives the line. The phone's row is
// locked before the check for an active call, and CreateCall takes a
// share lock on it before it inserts, so no call can start, on any node,
// between the check and the delete.
func (db *DB) DeletePhone(ctx context.Context, accountID, id int64) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM phones WHERE account_id = $1 AND id = $2 FOR UPDATE`, accountID, id); err != nil {
			return err
		}
		var active bool
		err := tx.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM calls WHERE account_id = $1 AND phone_id = $2 AND `+activeCondition+`)`,
			accountID, id).Scan(&active)
		if err != nil {
			return err
		}
		if active {
			return sipsim.Errorf(sipsim.ECONFLICT, "Phone is currently on a call; delete it once the call has ended")
		}
		return execOne(ctx, tx, errPhoneNotFound, `DELETE FROM phones WHERE account_id = $1 AND id = $2`, accountID, id)
	})
	return wrap("delete phone", err)
}
