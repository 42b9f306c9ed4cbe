package sipsim

import (
	"context"
	"io"
	"time"
)

// EventRecordingReady fires after call.ended when the call was recorded and
// its recording can be downloaded.
const EventRecordingReady = "recording.ready"

// RecordingFile is a stored recording opened for reading.
type RecordingFile interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// RecordingStore keeps call recordings (WAV files), one per call. The
// filesystem implementation lives in package recordings; an object store
// can implement the same interface.
type RecordingStore interface {
	// Create starts the recording of a call, replacing any previous one.
	// The recording is complete when the writer is closed.
	Create(ctx context.Context, accountID int64, callID string) (io.WriteCloser, error)
	// Open returns a call's recording. ENOTFOUND when there is none.
	Open(ctx context.Context, accountID int64, callID string) (RecordingFile, error)
	// Delete removes a call's recording. ENOTFOUND when there is none.
	Delete(ctx context.Context, accountID int64, callID string) error
}

// RecordingService is the recordings use case as the API sees it.
type RecordingService interface {
	// OpenRecording returns the recording of a call of the account.
	// ENOTFOUND when the call does not exist or has no recording.
	OpenRecording(ctx context.Context, accountID int64, callID string) (RecordingFile, error)
	// DeleteRecording removes a call's recording and clears the call's
	// recording fields. ENOTFOUND as OpenRecording.
	DeleteRecording(ctx context.Context, accountID int64, callID string) error
}
