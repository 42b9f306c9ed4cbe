package audio

import (
	"bytes"
	"encoding/binary"
	"io"

	mp3 "github.com/hajimehoshi/go-mp3"

	"github.com/sipsim/sipsim"
)

// DecodeMP3 decodes an MPEG-1/2 Layer III file, mixed down to mono.
func DecodeMP3(b []byte) (pcm *PCM, err error) {
	if !isMP3(b) {
		return nil, errNotAudio()
	}
	// The decoder trusts its input more than an upload deserves: a panic
	// on a corrupt frame is a bad file, not a crash of the server.
	defer func() {
		if recover() != nil {
			pcm, err = nil, badMP3()
		}
	}()
	d, err := mp3.NewDecoder(bytes.NewReader(b))
	if err != nil {
		return nil, badMP3()
	}
	rate := d.SampleRate()
	if rate <= 0 {
		return nil, badMP3()
	}
	limit := MaxDuration * rate
	// The decoder always yields 16-bit little-endian stereo frames.
	var (
		out []float32
		buf = make([]byte, 4*4096)
		n   int
	)
	for {
		m, rerr := io.ReadFull(d, buf[n:])
		n += m
		whole := n - n%4
		for i := 0; i < whole; i += 4 {
			l := int16(binary.LittleEndian.Uint16(buf[i:]))
			r := int16(binary.LittleEndian.Uint16(buf[i+2:]))
			out = append(out, float32((float64(l)+float64(r))/65536))
		}
		n = copy(buf, buf[whole:n])
		if len(out) > limit {
			return nil, sipsim.Errorf(sipsim.EINVALID, "audio is longer than %d seconds", MaxDuration)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			if len(out) == 0 {
				return nil, badMP3()
			}
			break // keep what decoded before a damaged tail
		}
	}
	return &PCM{Samples: out, Rate: rate}, nil
}

// badMP3 hides the decoder's own wording, which is not for API users.
func badMP3() error {
	return sipsim.Errorf(sipsim.EINVALID, "file must be a WAV or MP3 audio file: the MP3 data could not be decoded")
}
