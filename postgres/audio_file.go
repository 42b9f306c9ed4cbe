package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// audioFileSelect reads the metadata only: listings never load content.
const audioFileSelect = "SELECT id, account_id, name, content_type, size_bytes, duration_seconds, created_at FROM audio_files "

func scanAudioFile(row pgx.Row) (*sipsim.AudioFile, error) {
	var f sipsim.AudioFile
	err := row.Scan(&f.ID, &f.AccountID, &f.Name, &f.ContentType, &f.SizeBytes, &f.DurationSeconds, &f.CreatedAt)
	return &f, err
}

func errAudioFileNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "Audio file not found") }

// CreateAudioFile stores f and its converted content.
func (db *DB) CreateAudioFile(ctx context.Context, f *sipsim.AudioFile, data []byte) error {
	now := db.stamp()
	size := int64(len(data))
	if data == nil {
		data = []byte{} // the column is NOT NULL: no content is empty content
	}
	err := db.pool.QueryRow(ctx, `
		INSERT INTO audio_files (account_id, name, content_type, size_bytes, duration_seconds, created_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		f.AccountID, f.Name, f.ContentType, size, f.DurationSeconds, now, data).Scan(&f.ID)
	if err != nil {
		return wrap("create audio file", err)
	}
	f.SizeBytes, f.CreatedAt = size, now
	return nil
}

// AudioFile returns one file's metadata.
func (db *DB) AudioFile(ctx context.Context, accountID, id int64) (*sipsim.AudioFile, error) {
	f, err := scanAudioFile(db.pool.QueryRow(ctx, audioFileSelect+"WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errAudioFileNotFound()
	} else if err != nil {
		return nil, wrap("audio file", err)
	}
	return f, nil
}

// AudioFiles lists the account's files by id.
func (db *DB) AudioFiles(ctx context.Context, accountID int64) ([]*sipsim.AudioFile, error) {
	files, err := queryAll(ctx, db.pool, scanAudioFile, audioFileSelect+"WHERE account_id = $1 ORDER BY id", accountID)
	return files, wrap("audio files", err)
}

// AudioFileData returns one file with its content.
func (db *DB) AudioFileData(ctx context.Context, accountID, id int64) (*sipsim.AudioFile, []byte, error) {
	var (
		f    sipsim.AudioFile
		data []byte
	)
	err := db.pool.QueryRow(ctx, `
		SELECT id, account_id, name, content_type, size_bytes, duration_seconds, created_at, data
		FROM audio_files WHERE account_id = $1 AND id = $2`, accountID, id).
		Scan(&f.ID, &f.AccountID, &f.Name, &f.ContentType, &f.SizeBytes, &f.DurationSeconds, &f.CreatedAt, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, errAudioFileNotFound()
	} else if err != nil {
		return nil, nil, wrap("audio file data", err)
	}
	return &f, data, nil
}

// audioFileUse finds the first phone setting of the account that refers to
// file $1, in the order of sipsim.Phone.AudioFileRefs.
const audioFileUse = `
	SELECT id, CASE
		WHEN inbound_call_preroll_id = $1 THEN 'audio_setting.inbound_call_preroll_id'
		WHEN outbound_call_preroll_id = $1 THEN 'audio_setting.outbound_call_preroll_id'
		WHEN no_answer_file_id = $1 THEN 'audio_setting.no_answer_file_id'
		ELSE 'voicemail_setting.voicemail_file_id' END
	FROM phones
	WHERE account_id = $2 AND $1 IN (inbound_call_preroll_id, outbound_call_preroll_id, no_answer_file_id, voicemail_file_id)
	ORDER BY id LIMIT 1`

// DeleteAudioFile removes a file no phone refers to. The file's row is
// locked before the phones are searched, and phone writes share-lock the
// files they name (see lockAudioFiles), so no phone, on any node, can take
// the file between the search and the delete.
func (db *DB) DeleteAudioFile(ctx context.Context, accountID, id int64) error {
	err := db.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `SELECT 1 FROM audio_files WHERE account_id = $1 AND id = $2 FOR UPDATE`, accountID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errAudioFileNotFound()
		}
		var (
			phoneID int64
			field   string
		)
		err = tx.QueryRow(ctx, audioFileUse, id, accountID).Scan(&phoneID, &field)
		switch {
		case err == nil:
			return sipsim.Errorf(sipsim.ECONFLICT, "Audio file %d is used by phone %d (%s)", id, phoneID, field)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM audio_files WHERE account_id = $1 AND id = $2`, accountID, id)
		return err
	})
	return wrap("delete audio file", err)
}
