package sipsim

import (
	"context"
	"time"
)

// AudioFile is an uploaded prompt, stored converted for telephony (16-bit
// PCM mono 8 kHz WAV). Phones refer to it by ID in AudioSetting and
// VoicemailSetting.
type AudioFile struct {
	ID              int64
	AccountID       int64
	Name            string
	ContentType     string // always AudioFileContentType
	SizeBytes       int64  // of the converted file
	DurationSeconds float64
	CreatedAt       time.Time
}

// AudioFileContentType is the type of every stored audio file.
const AudioFileContentType = "audio/wav"

// AudioFileStore persists audio files and their converted content.
type AudioFileStore interface {
	// CreateAudioFile stores f with its content data, and sets f's ID,
	// SizeBytes (len(data)) and CreatedAt.
	CreateAudioFile(ctx context.Context, f *AudioFile, data []byte) error
	// AudioFile returns one file's metadata. ENOTFOUND.
	AudioFile(ctx context.Context, accountID, id int64) (*AudioFile, error)
	// AudioFiles lists the account's files by id.
	AudioFiles(ctx context.Context, accountID int64) ([]*AudioFile, error)
	// AudioFileData returns one file's metadata and content. ENOTFOUND.
	AudioFileData(ctx context.Context, accountID, id int64) (*AudioFile, []byte, error)
	// DeleteAudioFile removes a file. ENOTFOUND; ECONFLICT while a phone
	// of the account refers to it ("Audio file 3 is used by phone 5
	// (audio_setting.outbound_call_preroll_id)").
	DeleteAudioFile(ctx context.Context, accountID, id int64) error
}

// AudioFileRefs names the phone settings that refer to audio files, with
// the file each refers to (nil when unset), in the order the API documents
// them.
func (p *Phone) AudioFileRefs() []AudioFileRef {
	return []AudioFileRef{
		{"audio_setting.inbound_call_preroll_id", p.AudioSetting.InboundCallPrerollID},
		{"audio_setting.outbound_call_preroll_id", p.AudioSetting.OutboundCallPrerollID},
		{"audio_setting.no_answer_file_id", p.AudioSetting.NoAnswerFileID},
		{"voicemail_setting.voicemail_file_id", p.VoicemailSetting.VoicemailFileID},
	}
}

// AudioFileRef is one phone setting that may name an audio file.
type AudioFileRef struct {
	Field string
	ID    *int64
}
