package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sipsim/sipsim"
)

// recordingChunk is how much of a recording one row holds, and so how much
// a download holds in memory at a time.
const recordingChunk = 1 << 20

// Recordings is a sipsim.RecordingStore in the database: every node of a
// cluster serves every recording. A recording is written to a temporary
// file while the call lasts (the recorder seeks back to complete the WAV
// header, and a transaction must not stay open for the length of a call),
// then stored in one transaction on Close.
type Recordings struct {
	db      *DB
	tempDir string
}

var _ sipsim.RecordingStore = (*Recordings)(nil)

// Recordings returns the recording store of db; recordings being written
// wait in tempDir ("" means the system's).
func (db *DB) Recordings(tempDir string) *Recordings {
	return &Recordings{db: db, tempDir: tempDir}
}

func errRecordingNotFound() error { return sipsim.Errorf(sipsim.ENOTFOUND, "recording not found") }

// validCallID refuses what the file store refuses, so that both answer an
// id from a URL alike.
func validCallID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`)
}

// Create implements sipsim.RecordingStore. The writer is an *os.File
// underneath, so it seeks.
func (r *Recordings) Create(_ context.Context, accountID int64, callID string) (io.WriteCloser, error) {
	if !validCallID(callID) {
		return nil, errRecordingNotFound()
	}
	f, err := os.CreateTemp(r.tempDir, "sipsim-recording-*.wav")
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return &recordingWriter{File: f, store: r, accountID: accountID, callID: callID}, nil
}

// recordingWriter is a recording being written.
type recordingWriter struct {
	*os.File
	store     *Recordings
	accountID int64
	callID    string
}

// Close stores the recording, replacing any previous one of the call, and
// removes the temporary file whatever happens. The recorder closes it once
// the call has ended, so a fresh context bounds the upload.
func (w *recordingWriter) Close() error {
	defer os.Remove(w.File.Name())
	if err := w.File.Close(); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return w.store.save(ctx, w.accountID, w.callID, w.File.Name())
}

func (r *Recordings) save(ctx context.Context, accountID int64, callID, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	err = r.db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM recordings WHERE account_id = $1 AND call_id = $2`, accountID, callID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO recordings (account_id, call_id, size_bytes, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, accountID, callID, st.Size(), r.db.stamp()).Scan(&id)
		if err != nil {
			return err
		}
		buf := make([]byte, recordingChunk)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(f, buf)
			if n > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO recording_chunks (recording_id, seq, data) VALUES ($1, $2, $3)`,
					id, seq, buf[:n]); err != nil {
					return err
				}
			}
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return nil
			case err != nil:
				return err
			}
		}
	})
	return wrap("save recording", err)
}

// Open implements sipsim.RecordingStore. The file reads one chunk at a
// time, when a read needs it.
func (r *Recordings) Open(ctx context.Context, accountID int64, callID string) (sipsim.RecordingFile, error) {
	if !validCallID(callID) {
		return nil, errRecordingNotFound()
	}
	f := &recordingFile{db: r.db, ctx: ctx, seq: -1}
	err := r.db.pool.QueryRow(ctx, `
		SELECT id, size_bytes, created_at FROM recordings WHERE account_id = $1 AND call_id = $2`,
		accountID, callID).Scan(&f.id, &f.size, &f.mod)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errRecordingNotFound()
	} else if err != nil {
		return nil, wrap("open recording", err)
	}
	return f, nil
}

// recordingFile is a stored recording opened for reading. ctx is the
// request's that opened it: a download ends with its request.
type recordingFile struct {
	db   *DB
	ctx  context.Context
	id   int64
	size int64
	mod  time.Time

	off   int64
	seq   int    // the chunk in data; -1: none yet
	chunk []byte // the chunk seq
}

func (f *recordingFile) Size() int64        { return f.size }
func (f *recordingFile) ModTime() time.Time { return f.mod }
func (f *recordingFile) Close() error       { f.chunk = nil; return nil }

func (f *recordingFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	seq := int(f.off / recordingChunk)
	if seq != f.seq {
		var data []byte
		err := f.db.pool.QueryRow(f.ctx, `SELECT data FROM recording_chunks WHERE recording_id = $1 AND seq = $2`,
			f.id, seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, errors.New("recording: replaced or deleted while being read")
		} else if err != nil {
			return 0, wrap("read recording", err)
		}
		f.seq, f.chunk = seq, data
	}
	n := copy(p, f.chunk[f.off-int64(seq)*recordingChunk:])
	f.off += int64(n)
	return n, nil
}

func (f *recordingFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return 0, errors.New("recording: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("recording: seek before the start")
	}
	f.off = offset
	return offset, nil
}

// Delete implements sipsim.RecordingStore.
func (r *Recordings) Delete(ctx context.Context, accountID int64, callID string) error {
	if !validCallID(callID) {
		return errRecordingNotFound()
	}
	tag, err := r.db.pool.Exec(ctx, `DELETE FROM recordings WHERE account_id = $1 AND call_id = $2`, accountID, callID)
	if err != nil {
		return wrap("delete recording", err)
	}
	if tag.RowsAffected() == 0 {
		return errRecordingNotFound()
	}
	return nil
}
