package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// Audio checks: a tone is recognised by the share of the signal's energy
// at its frequency (Goertzel), so that silence, noise or the wrong tone all
// fail, whatever the level.

// goertzelPower is the power of x at freq (Hz) for sample rate rate.
func goertzelPower(x []float64, freq, rate float64) float64 {
	w := 2 * math.Pi * freq / rate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// toneShare is the fraction of x's energy that sits at freq, between 0 and
// 1. A pure tone gives about 1; another tone or noise gives about 0. The
// Goertzel power of a sine of amplitude A over N samples is (A*N/2)^2 and
// its energy N*A^2/2, hence the 2/N scale.
func toneShare(x []float64, freq, rate float64) float64 {
	var energy float64
	for _, v := range x {
		energy += v * v
	}
	if energy == 0 || len(x) == 0 {
		return 0
	}
	return goertzelPower(x, freq, rate) * 2 / float64(len(x)) / energy
}

// rms is the root mean square of x (full scale = 1).
func rms(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(x)))
}

// toneReport describes x against an expected frequency, over windows of
// 100 ms: how many windows carry the tone (share above 0.5 and not
// silent), and the overall level.
type toneReport struct {
	Windows     int
	ToneWindows int
	RMS         float64
}

func (r toneReport) String() string {
	return fmt.Sprintf("%d of %d 100ms windows carry the tone, rms %.4f", r.ToneWindows, r.Windows, r.RMS)
}

func analyseTone(x []float64, freq, rate float64) toneReport {
	n := int(rate / 10)
	r := toneReport{RMS: rms(x)}
	for i := 0; i+n <= len(x); i += n {
		w := x[i : i+n]
		r.Windows++
		if rms(w) > 0.005 && toneShare(w, freq, rate) > 0.5 {
			r.ToneWindows++
		}
	}
	return r
}

// sine makes secs seconds of a tone at amplitude amp (full scale = 1).
func sine(freq, rate, secs, amp float64) []float64 {
	x := make([]float64, int(rate*secs))
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/rate)
	}
	return x
}

// mulawTone is secs seconds of a tone as raw G.711 u-law, for SIPp's
// rtp_stream.
func mulawTone(freq, rate, secs float64) []byte {
	x := sine(freq, rate, secs, 0.5)
	out := make([]byte, len(x))
	for i, v := range x {
		out[i] = mulawEncode(int16(v * 32767))
	}
	return out
}

// mulawEncode is G.711 u-law compression of one 16-bit sample.
func mulawEncode(s int16) byte {
	const bias, clip = 0x84, 32635
	v := int(s)
	sign := 0
	if v < 0 {
		v = -v
		sign = 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// mulawDecode is the inverse of mulawEncode.
func mulawDecode(b byte) int16 {
	b = ^b
	sign := b & 0x80
	exp := int(b>>4) & 0x07
	mant := int(b & 0x0f)
	v := ((mant << 3) + 0x84) << exp
	v -= 0x84
	if sign != 0 {
		v = -v
	}
	return int16(v)
}

// wavAudio is the first channel of a 16-bit PCM WAV file, as floats.
type wavAudio struct {
	Rate    int
	Samples []float64
}

// readWAV reads a PCM (16-bit) WAV file and keeps its first channel.
func readWAV(path string) (wavAudio, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return wavAudio{}, err
	}
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return wavAudio{}, errors.New("not a RIFF/WAVE file")
	}
	var channels, bits, format int
	var rate int
	for off := 12; off+8 <= len(data); {
		id := string(data[off : off+4])
		size := int(binary.LittleEndian.Uint32(data[off+4 : off+8]))
		body := data[off+8:]
		if size > len(body) {
			size = len(body) // a file still being written
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return wavAudio{}, errors.New("short fmt chunk")
			}
			format = int(binary.LittleEndian.Uint16(body[0:2]))
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
		case "data":
			if format != 1 && format != 0xFFFE || bits != 16 || channels < 1 {
				return wavAudio{}, fmt.Errorf("unsupported WAV: format %d, %d bits, %d channels", format, bits, channels)
			}
			frame := 2 * channels
			out := wavAudio{Rate: rate, Samples: make([]float64, 0, len(body)/frame)}
			for i := 0; i+frame <= len(body); i += frame {
				out.Samples = append(out.Samples, float64(int16(binary.LittleEndian.Uint16(body[i:i+2])))/32768)
			}
			return out, nil
		}
		off += 8 + size + size%2
	}
	return wavAudio{}, errors.New("no data chunk")
}

// writeWAV writes mono 16-bit PCM; the tone tests use it on themselves.
func writeWAV(path string, rate int, x []float64) error {
	pcm := make([]byte, 2*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(math.Max(-1, math.Min(1, v))*32767)))
	}
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	return os.WriteFile(path, append(h, pcm...), 0o644)
}
