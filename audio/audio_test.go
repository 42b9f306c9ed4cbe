package audio

import (
	"encoding/binary"
	"math"
	"os"
	"testing"

	"github.com/sipsim/sipsim"
)

// wavSpec describes a test WAV to generate.
type wavSpec struct {
	tag      uint16
	bits     int
	channels int
	rate     int
}

// toneWAV returns seconds of a tone at freq Hz (amplitude 0.5) on every
// channel, in format s.
func toneWAV(s wavSpec, freq, seconds float64) []byte {
	n := int(seconds * float64(s.rate))
	width := s.bits / 8
	data := make([]byte, n*width*s.channels)
	for i := range n {
		v := 0.5 * math.Sin(2*math.Pi*freq*float64(i)/float64(s.rate))
		for c := range s.channels {
			b := data[(i*s.channels+c)*width:]
			switch {
			case s.tag == wavFloat:
				binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
			case s.tag == wavMuLaw:
				b[0] = encodeULaw(int16(v * 32767))
			case s.bits == 8:
				b[0] = byte(128 + int(math.Round(v*127)))
			case s.bits == 16:
				binary.LittleEndian.PutUint16(b, uint16(int16(v*32767)))
			case s.bits == 24:
				x := int32(v * (1<<23 - 1))
				b[0], b[1], b[2] = byte(x), byte(x>>8), byte(x>>16)
			case s.bits == 32:
				binary.LittleEndian.PutUint32(b, uint32(int32(v*(1<<31-1))))
			}
		}
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], s.tag)
	binary.LittleEndian.PutUint16(h[22:], uint16(s.channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(s.rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(s.rate*width*s.channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(width*s.channels))
	binary.LittleEndian.PutUint16(h[34:], uint16(s.bits))
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	return append(h, data...)
}

// encodeULaw is the G.711 µ-law compressor, for generating test input.
func encodeULaw(x int16) byte {
	const bias, clip = 0x84, 32635
	sign := byte(0)
	v := int32(x)
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	exp := byte(7)
	for mask := int32(0x4000); v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(v>>(exp+3)) & 0x0F
	return ^(sign | exp<<4 | mant)
}

// goertzel returns the power of freq in samples at rate, normalised by the
// number of samples squared so that it compares across lengths.
func goertzel(samples []float32, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	n := float64(len(samples))
	return p / (n * n)
}

// checkTone decodes a converted file and checks that it is 8 kHz mono
// 16-bit, lasts want seconds, and that its energy is at 1 kHz.
func checkTone(t *testing.T, c *Converted, want float64) {
	t.Helper()
	b := c.WAV
	if !isWAV(b) || binary.LittleEndian.Uint16(b[20:]) != wavPCM || binary.LittleEndian.Uint16(b[22:]) != 1 ||
		binary.LittleEndian.Uint32(b[24:]) != SampleRate || binary.LittleEndian.Uint16(b[34:]) != 16 {
		t.Fatalf("converted header % x: want PCM, mono, 8000 Hz, 16-bit", b[:44])
	}
	if math.Abs(c.DurationSeconds-want) > 0.06 {
		t.Errorf("duration = %.3f s; want %.3f", c.DurationSeconds, want)
	}
	pcm, err := DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	// Skip the edges, where the filter and encoder padding ramp in and out.
	mid := pcm.Samples[len(pcm.Samples)/8 : len(pcm.Samples)*7/8]
	at1k := goertzel(mid, SampleRate, 1000)
	for _, f := range []float64{400, 700, 1300, 2000, 3000} {
		if other := goertzel(mid, SampleRate, f); other*100 > at1k {
			t.Errorf("power at %v Hz = %g, at 1 kHz = %g: want the tone at 1 kHz only", f, other, at1k)
		}
	}
	if amp := 2 * math.Sqrt(at1k); amp < 0.35 || amp > 0.6 {
		t.Errorf("1 kHz amplitude = %.2f; want about 0.5", amp)
	}
}

func TestConvertWAV(t *testing.T) {
	for name, s := range map[string]wavSpec{
		"44.1kHz stereo 16-bit": {wavPCM, 16, 2, 44100},
		"16kHz mono 16-bit":     {wavPCM, 16, 1, 16000},
		"8-bit unsigned":        {wavPCM, 8, 1, 11025},
		"24-bit 48kHz":          {wavPCM, 24, 2, 48000},
		"32-bit 22.05kHz":       {wavPCM, 32, 1, 22050},
		"float32 48kHz stereo":  {wavFloat, 32, 2, 48000},
		"mu-law 8kHz":           {wavMuLaw, 8, 1, 8000},
		"6kHz upsampled":        {wavPCM, 16, 1, 6000},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Convert(toneWAV(s, 1000, 1.5))
			if err != nil {
				t.Fatal(err)
			}
			checkTone(t, c, 1.5)
		})
	}
}

// TestConvertRemovesAliases feeds a 5 kHz tone at 44.1 kHz: 8 kHz cannot
// carry it, and without a low-pass it would fold back to 3 kHz.
func TestConvertRemovesAliases(t *testing.T) {
	c, err := Convert(toneWAV(wavSpec{wavPCM, 16, 1, 44100}, 5000, 1))
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := DecodeWAV(c.WAV)
	if err != nil {
		t.Fatal(err)
	}
	if alias := 2 * math.Sqrt(goertzel(pcm.Samples, SampleRate, 3000)); alias > 0.005 {
		t.Errorf("3 kHz alias amplitude = %.4f; want the 5 kHz tone filtered out", alias)
	}
}

func TestALaw(t *testing.T) {
	// Known G.711 A-law values: 0xD5 is the smallest positive step, 0x2A
	// the most negative value.
	if got := alaw(0xD5); got != 8 {
		t.Errorf("alaw(0xD5) = %d; want 8", got)
	}
	if got := alaw(0x2A); got != -32256 {
		t.Errorf("alaw(0x2A) = %d; want -32256", got)
	}
	if got := ulaw(0xFF); got != 0 {
		t.Errorf("ulaw(0xFF) = %d; want 0", got)
	}
	if got := ulaw(0x00); got != -32124 {
		t.Errorf("ulaw(0x00) = %d; want -32124", got)
	}
}

// TestConvertMP3 uses testdata/tone1k.mp3: half a second of a 1 kHz tone,
// 44.1 kHz stereo, made with `sox -n -r 44100 -c 2 tone1k.mp3 synth 0.5
// sine 1000 vol 0.5`.
func TestConvertMP3(t *testing.T) {
	b, err := os.ReadFile("testdata/tone1k.mp3")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Convert(b)
	if err != nil {
		t.Fatal(err)
	}
	// MP3 encoders pad the start and end with up to a frame or two.
	checkTone(t, c, 0.5+float64(1152*2)/44100/2)
}

func TestConvertRejects(t *testing.T) {
	good := toneWAV(wavSpec{wavPCM, 16, 1, 8000}, 1000, 0.1)
	noData := append([]byte(nil), good[:36]...)
	binary.LittleEndian.PutUint32(noData[4:], 28)
	adpcm := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(adpcm[20:], 2) // MS ADPCM
	empty := toneWAV(wavSpec{wavPCM, 16, 1, 8000}, 1000, 0)
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		"text":       {[]byte("hello, world"), "file must be a WAV or MP3 audio file"},
		"empty":      {nil, "file must be a WAV or MP3 audio file"},
		"no data":    {noData, "file must be a WAV or MP3 audio file: no data chunk"},
		"ADPCM":      {adpcm, "file must be a WAV or MP3 audio file: unsupported sample format"},
		"no samples": {empty, "audio file has no samples"},
		"bad mp3":    {[]byte{0xFF, 0xFB, 0, 0, 1, 2, 3}, "file must be a WAV or MP3 audio file: the MP3 data could not be decoded"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Convert(tc.in)
			if sipsim.ErrorCode(err) != sipsim.EINVALID || sipsim.ErrorMessage(err) != tc.want {
				t.Fatalf("Convert: %v; want EINVALID %q", err, tc.want)
			}
		})
	}
}

func FuzzConvert(f *testing.F) {
	f.Add(toneWAV(wavSpec{wavPCM, 16, 2, 44100}, 1000, 0.01))
	f.Add(toneWAV(wavSpec{wavFloat, 32, 1, 16000}, 1000, 0.01))
	f.Add(toneWAV(wavSpec{wavMuLaw, 8, 1, 8000}, 1000, 0.01))
	if b, err := os.ReadFile("testdata/tone1k.mp3"); err == nil {
		f.Add(b[:min(len(b), 2000)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Convert(b)
		if err != nil {
			if sipsim.ErrorCode(err) != sipsim.EINVALID {
				t.Fatalf("error %v: want EINVALID", err)
			}
			return
		}
		if _, err := DecodeWAV(c.WAV); err != nil {
			t.Fatalf("converted file does not decode: %v", err)
		}
	})
}
