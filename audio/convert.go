package audio

import (
	"bytes"

	"github.com/sipsim/sipsim"
)

// SampleRate is the rate of every converted file: narrowband telephony.
const SampleRate = 8000

// MaxDuration is the longest audio Convert accepts, in seconds. Prompts
// and voicemail greetings are short; the cap bounds the memory a small but
// long MP3 would need once decoded.
const MaxDuration = 5 * 60

// errNotAudio is the answer to anything that is neither WAV nor MP3.
func errNotAudio() error {
	return sipsim.Errorf(sipsim.EINVALID, "file must be a WAV or MP3 audio file")
}

// Converted is an uploaded file after conversion.
type Converted struct {
	WAV             []byte  // 16-bit PCM mono WAV at SampleRate
	DurationSeconds float64 // samples / SampleRate
}

// Convert decodes a WAV or MP3 file, mixes it to mono, resamples it to
// SampleRate and encodes it as a 16-bit PCM WAV. The format is recognised
// from the content, never from a file name or a declared type.
func Convert(data []byte) (*Converted, error) {
	var (
		pcm *PCM
		err error
	)
	switch {
	case isWAV(data):
		pcm, err = DecodeWAV(data)
	case isMP3(data):
		pcm, err = DecodeMP3(data)
	default:
		return nil, errNotAudio()
	}
	if err != nil {
		return nil, err
	}
	if len(pcm.Samples) == 0 {
		return nil, sipsim.Errorf(sipsim.EINVALID, "audio file has no samples")
	}
	out := Resample(pcm.Samples, pcm.Rate, SampleRate)
	return &Converted{
		WAV:             EncodeWAV(out, SampleRate),
		DurationSeconds: float64(len(out)) / SampleRate,
	}, nil
}

// PCM is decoded mono audio: samples in [-1, 1] at Rate per second.
type PCM struct {
	Samples []float32
	Rate    int
}

func isWAV(b []byte) bool {
	return len(b) >= 12 && bytes.Equal(b[0:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WAVE"))
}

// isMP3 recognises an ID3v2 tag or an MPEG audio frame sync at the start.
func isMP3(b []byte) bool {
	if len(b) >= 3 && bytes.Equal(b[:3], []byte("ID3")) {
		return true
	}
	return len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0
}
