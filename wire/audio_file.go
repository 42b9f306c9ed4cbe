package wire

import (
	"fmt"

	"github.com/sipsim/sipsim"
)

// AudioFile is an uploaded prompt, converted to 8 kHz mono WAV.
type AudioFile struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	ContentType     string  `json:"content_type"`
	SizeBytes       int64   `json:"size_bytes"`
	DurationSeconds float64 `json:"duration_seconds"`
	CreatedAt       string  `json:"created_at"`
	DownloadURL     string  `json:"download_url"`
}

// NewAudioFile renders f.
func NewAudioFile(f *sipsim.AudioFile) AudioFile {
	return AudioFile{
		ID:              f.ID,
		Name:            f.Name,
		ContentType:     f.ContentType,
		SizeBytes:       f.SizeBytes,
		DurationSeconds: f.DurationSeconds,
		CreatedAt:       PhoneTime(f.CreatedAt),
		DownloadURL:     AudioFileContentPath(f.ID),
	}
}

// AudioFileContentPath is where the converted file of audio file id is
// downloaded.
func AudioFileContentPath(id int64) string {
	return fmt.Sprintf("/api/v2/audio-files/%d/content", id)
}
