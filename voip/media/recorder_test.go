package media

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// wavFile is a recording as a player reads it.
type wavFile struct {
	channels, rate, bits int
	left, right          []float64
}

func (w wavFile) seconds() float64 { return float64(len(w.left)) / float64(w.rate) }

func readRecording(t *testing.T, path string) wavFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < wavHeaderLen || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a canonical WAV file: % x", b[:min(len(b), wavHeaderLen)])
	}
	if got := binary.LittleEndian.Uint32(b[4:]); int(got) != len(b)-8 {
		t.Fatalf("RIFF size %d, file has %d octets after it", got, len(b)-8)
	}
	data := b[wavHeaderLen:]
	if got := binary.LittleEndian.Uint32(b[40:]); int(got) != len(data) {
		t.Fatalf("data size %d, file has %d", got, len(data))
	}
	w := wavFile{
		channels: int(binary.LittleEndian.Uint16(b[22:])),
		rate:     int(binary.LittleEndian.Uint32(b[24:])),
		bits:     int(binary.LittleEndian.Uint16(b[34:])),
	}
	if w.channels != 2 || w.rate != 8000 || w.bits != 16 {
		t.Fatalf("format %d channels, %d Hz, %d bits; want stereo 8000 Hz 16 bits", w.channels, w.rate, w.bits)
	}
	for i := 0; i+4 <= len(data); i += 4 {
		w.left = append(w.left, float64(int16(binary.LittleEndian.Uint16(data[i:]))))
		w.right = append(w.right, float64(int16(binary.LittleEndian.Uint16(data[i+2:]))))
	}
	return w
}

// g711Tone returns n 20 ms G.711 frames of a continuous tone.
func g711Tone(c Codec, freq float64, n int) [][]byte {
	enc := LinearToULaw
	if c == PCMA {
		enc = LinearToALaw
	}
	frames := make([][]byte, n)
	for f := range frames {
		frames[f] = make([]byte, 160)
		for i := range frames[f] {
			k := float64(f*160 + i)
			frames[f][i] = enc(int16(8000 * math.Cos(2*math.Pi*freq*k/8000)))
		}
	}
	return frames
}

func newRecordingFile(t *testing.T) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "call.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

func TestRecordingPutsTheEmployeeLeftAndTheCustomerRight(t *testing.T) {
	for _, codec := range []Codec{PCMU, PCMA} {
		t.Run(codec.Name, func(t *testing.T) {
			c := newCall(t, testAllocator(t), codec, codec, -1, -1)
			f, path := newRecordingFile(t)
			rec, err := NewRecorder(f)
			if err != nil {
				t.Fatal(err)
			}
			// The recorder's clock advances 20 ms per pair of packets, so
			// the test does not depend on the machine's speed.
			clock := &fakeClock{}
			clock.set(time.Unix(1000, 0))
			rec.now = clock.now
			c.bridge.Connect()
			c.bridge.Record(rec)
			const frames = 50 // one second
			phone, carrier := g711Tone(codec, 440, frames), g711Tone(codec, 1000, frames)
			for i := range frames {
				clock.advance(20 * time.Millisecond)
				c.phone.send(c.portA(), packet{pt: codec.PayloadType, seq: uint16(i), ts: 5000 + uint32(160*i), ssrc: 7, payload: phone[i]})
				c.carrier.send(c.portB(), packet{pt: codec.PayloadType, seq: uint16(i), ts: uint32(160 * i), ssrc: 9, payload: carrier[i]})
				eventually(t, "both packets are relayed", func() bool {
					st := c.bridge.Stats()
					return st.AToB.Forwarded == uint64(i+1) && st.BToA.Forwarded == uint64(i+1)
				})
			}
			if got := c.bridge.StopRecording(); got != rec {
				t.Fatal("StopRecording did not return the recorder")
			}
			secs, err := rec.Close()
			if err != nil {
				t.Fatal(err)
			}

			w := readRecording(t, path)
			if w.seconds() != secs {
				t.Errorf("Close says %.3f s, the file holds %.3f s", secs, w.seconds())
			}
			if secs != 1 {
				t.Errorf("recording lasts %.3f s; one second of audio was sent", secs)
			}
			if got := toneShare(w.left, 440, 8000); got < 0.8 {
				t.Errorf("left channel: 440 Hz share %.2f, want the employee's tone", got)
			}
			if got := toneShare(w.right, 1000, 8000); got < 0.8 {
				t.Errorf("right channel: 1000 Hz share %.2f, want the customer's tone", got)
			}
			if got := toneShare(w.left, 1000, 8000); got > 0.05 {
				t.Errorf("left channel carries the customer's tone (share %.2f)", got)
			}
			if got := toneShare(w.right, 440, 8000); got > 0.05 {
				t.Errorf("right channel carries the employee's tone (share %.2f)", got)
			}
		})
	}
}

// fakeClock drives a recorder directly, so placement by arrival time can be
// checked to the sample.
// It is atomic: the bridge's readers read it while the test advances it.
// newClockedRecorder records to f on a fake clock set to a fixed instant,
// so that tests place packets by the time they say, not the machine's.
func newClockedRecorder(t *testing.T, f *os.File) (*Recorder, *fakeClock) {
	t.Helper()
	rec, err := NewRecorder(f)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{}
	clock.set(time.Unix(1000, 0))
	rec.now = clock.now
	return rec, clock
}

type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// nonZero returns the first and last indexes of x that are not silence.
func nonZero(x []float64) (first, last int) {
	first, last = -1, -1
	for i, v := range x {
		if v != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

func TestRecordingKeepsTheChannelsInStepWhenOneSideIsLateOrQuiet(t *testing.T) {
	f, path := newRecordingFile(t)
	rec, clock := newClockedRecorder(t, f)
	wrap := uint32(1<<32 - 800)
	employee := g711Tone(PCMU, 440, 100)
	customer := g711Tone(PCMU, 1000, 25)
	// Two seconds of the employee; the customer speaks for half a second
	// from 1 s on, then pauses, then one frame at 1.8 s.
	for i := range 100 {
		clock.advance(20 * time.Millisecond)
		rec.write(A, PCMU.PayloadType, uint32(160*i), employee[i])
		// The customer's timestamps run on through the pause, and wrap.
		switch {
		case i >= 50 && i < 75:
			rec.write(B, PCMU.PayloadType, wrap+uint32(160*(i-50)), customer[i-50])
		case i == 90:
			rec.write(B, PCMU.PayloadType, wrap+160*40, customer[0])
		}
	}
	secs, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	w := readRecording(t, path)
	if secs != 2 || w.seconds() != 2 {
		t.Fatalf("recording lasts %.3f s (file %.3f s), want the 2 s the employee spoke", secs, w.seconds())
	}
	first, last := nonZero(w.right)
	// The customer's first packet arrived 1.02 s after the employee's first
	// began: it holds the 20 ms before.
	if first != 8000 || last != 91*160-1 {
		t.Errorf("customer audio spans samples %d..%d, want 8000..%d", first, last, 91*160-1)
	}
	for i := 75 * 160; i < 90*160; i++ {
		if w.right[i] != 0 {
			t.Fatalf("customer channel not silent during the pause (sample %d)", i)
		}
	}
	if got := toneShare(w.left, 440, 8000); got < 0.95 {
		t.Errorf("left channel: 440 Hz share %.2f", got)
	}
}

func TestRecordingDoesNotAllocatePerPacket(t *testing.T) {
	f, _ := newRecordingFile(t)
	rec, clock := newClockedRecorder(t, f)
	frame := g711Tone(PCMA, 440, 1)[0]
	var ts uint32
	allocs := testing.AllocsPerRun(200, func() {
		clock.advance(20 * time.Millisecond)
		ts += 160
		rec.write(A, PCMA.PayloadType, ts, frame)
		rec.write(B, PCMA.PayloadType, ts, frame)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per packet pair, want 0", allocs)
	}
}

func TestRecordingPlacesALateBurstByItsTimestamps(t *testing.T) {
	f, path := newRecordingFile(t)
	rec, clock := newClockedRecorder(t, f)
	frames := g711Tone(PCMU, 440, 50)
	for i := range frames {
		clock.advance(20 * time.Millisecond)
		if i >= 10 && i < 15 {
			continue // held up in the network...
		}
		if i == 15 { // ...and delivered at once, ahead of frame 15
			for j := 10; j < 15; j++ {
				rec.write(A, PCMU.PayloadType, uint32(160*j), frames[j])
			}
		}
		rec.write(A, PCMU.PayloadType, uint32(160*i), frames[i])
	}
	if _, err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	w := readRecording(t, path)
	if len(w.left) != 50*160 {
		t.Fatalf("recording holds %d samples, want the %d sent", len(w.left), 50*160)
	}
	for i, v := range w.left {
		if want := float64(ULawToLinear(frames[i/160][i%160])); v != want {
			t.Fatalf("sample %d = %v, want %v: the burst is misplaced", i, v, want)
		}
	}
}
