package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sipsim/sipsim"
)

var _ sipsim.AudioFileStore = (*DB)(nil)

// audioFileSelect reads the metadata only: listings never load content.
const audioFileSelect = "SELECT id, account_id, name, content_type, size_bytes, duration_seconds, created_at FROM audio_files "

func scanAudioFile(row scanner) (*sipsim.AudioFile, error) {
	var f sipsim.AudioFile
	err := row.Scan(&f.ID, &f.AccountID, &f.Name, &f.ContentType, &f.SizeBytes, &f.DurationSeconds, timeCol{&f.CreatedAt})
	return &f, err
}

func errAudioFileNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Audio file not found") }

// CreateAudioFile stores f and its converted content.
func (db *DB) CreateAudioFile(ctx context.Context, f *sipsim.AudioFile, data []byte) error {
	now := db.stamp()
	size := int64(len(data))
	err := db.write(ctx, func(tx writeTx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO audio_files (account_id, name, content_type, size_bytes, duration_seconds, created_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			f.AccountID, f.Name, f.ContentType, size, f.DurationSeconds, encodeTime(now), data).Scan(&f.ID)
	})
	if err != nil {
		return fmt.Errorf("create audio file: %w", err)
	}
	f.SizeBytes, f.CreatedAt = size, now
	return nil
}

// AudioFile returns one file's metadata.
func (db *DB) AudioFile(ctx context.Context, accountID, id int64) (*sipsim.AudioFile, error) {
	f, err := scanAudioFile(db.reader.QueryRowContext(ctx, audioFileSelect+"WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAudioFileNotFound()
	} else if err != nil {
		return nil, unreadable(fmt.Errorf("audio file %d: %w", id, err))
	}
	return f, nil
}

// AudioFiles lists the account's files by id.
func (db *DB) AudioFiles(ctx context.Context, accountID int64) ([]*sipsim.AudioFile, error) {
	fs, err := queryAll(ctx, db.reader, scanAudioFile, audioFileSelect+"WHERE account_id = ? ORDER BY id", accountID)
	if err != nil {
		return nil, unreadable(fmt.Errorf("audio files: %w", err))
	}
	return fs, nil
}

// AudioFileData returns one file with its content.
func (db *DB) AudioFileData(ctx context.Context, accountID, id int64) (*sipsim.AudioFile, []byte, error) {
	var (
		f    sipsim.AudioFile
		data []byte
	)
	err := db.reader.QueryRowContext(ctx, `
		SELECT id, account_id, name, content_type, size_bytes, duration_seconds, created_at, data
		FROM audio_files WHERE account_id = ? AND id = ?`, accountID, id).
		Scan(&f.ID, &f.AccountID, &f.Name, &f.ContentType, &f.SizeBytes, &f.DurationSeconds, timeCol{&f.CreatedAt}, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errAudioFileNotFound()
	} else if err != nil {
		return nil, nil, unreadable(fmt.Errorf("audio file %d: %w", id, err))
	}
	return &f, data, nil
}

// audioFileUse finds the first phone setting of the account that refers to
// file id, in the order of sipsim.Phone.AudioFileRefs.
const audioFileUse = `
	SELECT id, CASE
		WHEN inbound_call_preroll_id = ?1 THEN 'audio_setting.inbound_call_preroll_id'
		WHEN outbound_call_preroll_id = ?1 THEN 'audio_setting.outbound_call_preroll_id'
		WHEN no_answer_file_id = ?1 THEN 'audio_setting.no_answer_file_id'
		ELSE 'voicemail_setting.voicemail_file_id' END
	FROM phones
	WHERE account_id = ?2 AND ?1 IN (inbound_call_preroll_id, outbound_call_preroll_id, no_answer_file_id, voicemail_file_id)
	ORDER BY id LIMIT 1`

// DeleteAudioFile removes a file no phone refers to. The check and the
// delete share one write transaction, so no phone can take the file in
// between through this store.
func (db *DB) DeleteAudioFile(ctx context.Context, accountID, id int64) error {
	err := db.write(ctx, func(tx writeTx) error {
		var found bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audio_files WHERE account_id = ? AND id = ?)`,
			accountID, id).Scan(&found)
		if err != nil {
			return err
		}
		if !found {
			return errAudioFileNotFound()
		}
		var (
			phoneID int64
			field   string
		)
		err = tx.QueryRowContext(ctx, audioFileUse, id, accountID).Scan(&phoneID, &field)
		switch {
		case err == nil:
			return sipsim.Errorf(sipsim.ECONFLICT, "Audio file %d is used by phone %d (%s)", id, phoneID, field)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM audio_files WHERE account_id = ? AND id = ?`, accountID, id)
		return err
	})
	return wrapUnlessCoded("delete audio file", err)
}
