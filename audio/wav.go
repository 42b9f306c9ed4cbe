package audio

import (
	"encoding/binary"
	"math"

	"github.com/sipsim/sipsim"
)

// WAV format tags (the fmt chunk's wFormatTag).
const (
	wavPCM        = 1
	wavFloat      = 3
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// maxChannels bounds the channel count a header may claim.
const maxChannels = 32

type wavFormat struct {
	tag      uint16
	channels int
	rate     int
	bits     int
}

func badWAV(why string) error {
	return sipsim.Errorf(sipsim.EINVALID, "file must be a WAV or MP3 audio file: %s", why)
}

// DecodeWAV reads a RIFF WAVE file: PCM 8/16/24/32-bit, 32/64-bit float,
// A-law and µ-law, any channel count and rate, mixed down to mono.
func DecodeWAV(b []byte) (*PCM, error) {
	if !isWAV(b) {
		return nil, errNotAudio()
	}
	var (
		f    *wavFormat
		data []byte
	)
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int64(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := b[p+8:]
		// Streaming writers leave the size unknown (0xFFFFFFFF or too
		// big): the chunk then runs to the end of the file.
		if size > int64(len(body)) {
			size = int64(len(body))
		}
		body = body[:size]
		switch id {
		case "fmt ":
			var err error
			if f, err = parseFmt(body); err != nil {
				return nil, err
			}
		case "data":
			if data == nil {
				data = body
			}
		}
		p += 8 + int(size) + int(size&1) // chunks are word aligned
	}
	if f == nil {
		return nil, badWAV("no fmt chunk")
	}
	if data == nil {
		return nil, badWAV("no data chunk")
	}
	return decodeSamples(f, data)
}

func parseFmt(b []byte) (*wavFormat, error) {
	if len(b) < 16 {
		return nil, badWAV("fmt chunk too short")
	}
	f := &wavFormat{
		tag:      binary.LittleEndian.Uint16(b[0:2]),
		channels: int(binary.LittleEndian.Uint16(b[2:4])),
		rate:     int(binary.LittleEndian.Uint32(b[4:8])),
		bits:     int(binary.LittleEndian.Uint16(b[14:16])),
	}
	if f.tag == wavExtensible {
		// The real format is the first two bytes of the sub-format GUID.
		if len(b) < 26 {
			return nil, badWAV("extensible fmt chunk too short")
		}
		f.tag = binary.LittleEndian.Uint16(b[24:26])
	}
	if f.channels < 1 || f.channels > maxChannels {
		return nil, badWAV("unsupported channel count")
	}
	if f.rate < 1000 || f.rate > 384000 {
		return nil, badWAV("unsupported sample rate")
	}
	switch {
	case f.tag == wavPCM && (f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32),
		f.tag == wavFloat && (f.bits == 32 || f.bits == 64),
		(f.tag == wavALaw || f.tag == wavMuLaw) && f.bits == 8:
	default:
		return nil, badWAV("unsupported sample format")
	}
	return f, nil
}

// decodeSamples mixes each frame of data to one mono sample; a trailing
// partial frame is dropped.
func decodeSamples(f *wavFormat, data []byte) (*PCM, error) {
	width := f.bits / 8
	frame := width * f.channels
	n := len(data) / frame
	if n > MaxDuration*f.rate {
		return nil, sipsim.Errorf(sipsim.EINVALID, "audio is longer than %d seconds", MaxDuration)
	}
	sample := sampleReader(f)
	out := make([]float32, n)
	scale := 1 / float64(f.channels)
	for i := range n {
		var sum float64
		for c := range f.channels {
			off := i*frame + c*width
			sum += sample(data[off : off+width])
		}
		out[i] = float32(sum * scale)
	}
	return &PCM{Samples: out, Rate: f.rate}, nil
}

// sampleReader returns the function that reads one sample of format f as a
// value in [-1, 1].
func sampleReader(f *wavFormat) func([]byte) float64 {
	switch f.tag {
	case wavALaw:
		return func(b []byte) float64 { return float64(alaw(b[0])) / 32768 }
	case wavMuLaw:
		return func(b []byte) float64 { return float64(ulaw(b[0])) / 32768 }
	case wavFloat:
		if f.bits == 64 {
			return func(b []byte) float64 { return finite(math.Float64frombits(binary.LittleEndian.Uint64(b))) }
		}
		return func(b []byte) float64 {
			return finite(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
		}
	}
	switch f.bits {
	case 8: // unsigned, 128 is silence
		return func(b []byte) float64 { return (float64(b[0]) - 128) / 128 }
	case 16:
		return func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) / 32768 }
	case 24:
		return func(b []byte) float64 {
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float64(v) / (1 << 23)
		}
	default:
		return func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31) }
	}
}

// finite clamps a float sample to [-1, 1] and maps NaN to silence, so a
// corrupt file cannot poison the resampler.
func finite(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v > 1:
		return 1
	case v < -1:
		return -1
	}
	return v
}

// ulaw expands a G.711 µ-law byte to 16-bit linear.
func ulaw(u byte) int16 {
	u = ^u
	t := (int32(u&0x0F)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// alaw expands a G.711 A-law byte to 16-bit linear.
func alaw(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// EncodeWAV writes samples in [-1, 1] as a 16-bit PCM mono WAV file.
func EncodeWAV(samples []float32, rate int) []byte {
	dataLen := 2 * len(samples)
	b := make([]byte, 44+dataLen)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+dataLen))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], wavPCM)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(dataLen))
	for i, s := range samples {
		v := math.Round(float64(s) * 32767)
		v = math.Max(-32768, math.Min(32767, v))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(v)))
	}
	return b
}
