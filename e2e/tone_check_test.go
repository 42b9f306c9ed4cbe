package e2e

import (
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"
)

// The audio assertions of the e2e tests are only as good as the detector:
// these tests check it on signals whose content is known.

func TestToneDetectorRecognisesTheToneAndNothingElse(t *testing.T) {
	const rate = 8000
	noise := make([]float64, rate)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = rng.Float64()*0.6 - 0.3
	}
	cases := []struct {
		name       string
		x          []float64
		freq       float64
		wantWindow bool
	}{
		{"440 Hz tone at 440", sine(440, rate, 1, 0.25), 440, true},
		{"quiet 1000 Hz tone at 1000", sine(1000, rate, 1, 0.02), 1000, true},
		{"440 Hz tone looked for at 1000", sine(440, rate, 1, 0.25), 1000, false},
		{"1000 Hz tone looked for at 440", sine(1000, rate, 1, 0.25), 440, false},
		{"silence", make([]float64, rate), 440, false},
		{"white noise", noise, 440, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyseTone(c.x, c.freq, rate)
			if r.Windows != 10 {
				t.Fatalf("windows = %d, want 10", r.Windows)
			}
			if got := r.ToneWindows == r.Windows; got != c.wantWindow {
				t.Errorf("%v: tone found = %v, want %v", r, got, c.wantWindow)
			}
			if !c.wantWindow && r.ToneWindows != 0 {
				t.Errorf("%v: want no window with the tone", r)
			}
		})
	}
}

func TestMulawRoundTripKeepsTheTone(t *testing.T) {
	b := mulawTone(1000, 8000, 1)
	x := make([]float64, len(b))
	for i, v := range b {
		x[i] = float64(mulawDecode(v)) / 32768
	}
	if r := analyseTone(x, 1000, 8000); r.ToneWindows != r.Windows {
		t.Errorf("decoded u-law tone: %v", r)
	}
	for _, s := range []int16{0, 1, -1, 100, -100, 1000, -8000, 32767, -32768} {
		got := int(mulawDecode(mulawEncode(s)))
		// u-law keeps about 4 bits of mantissa: the error grows with the level.
		if d, tol := abs(got-int(s)), abs(int(s))/16+16; d > tol {
			t.Errorf("u-law round trip of %d = %d, off by %d (more than %d)", s, got, d, tol)
		}
	}
}

func TestReadWAVReadsWhatSoxWrites(t *testing.T) {
	requirePeers(t, "sox")
	dir := t.TempDir()
	// Stereo 48 kHz, as baresip's sndfile module writes with ausine.
	path := filepath.Join(dir, "tone.wav")
	out, err := exec.Command("sox", "-n", "-r", "48000", "-c", "2", "-b", "16", path, "synth", "1", "sine", "440", "vol", "0.3").CombinedOutput()
	if err != nil {
		t.Fatalf("sox: %v: %s", err, out)
	}
	w, err := readWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Rate != 48000 || len(w.Samples) != 48000 {
		t.Fatalf("rate %d, %d samples; want 48000, 48000", w.Rate, len(w.Samples))
	}
	if r := analyseTone(w.Samples, 440, 48000); r.ToneWindows != r.Windows {
		t.Errorf("440 Hz from sox: %v", r)
	}
	if r := analyseTone(w.Samples, 1000, 48000); r.ToneWindows != 0 {
		t.Errorf("looked for 1000 Hz in a 440 Hz file: %v", r)
	}

	// And our own writer, mono 8 kHz.
	own := filepath.Join(dir, "own.wav")
	if err := writeWAV(own, 8000, sine(1000, 8000, 0.5, 0.5)); err != nil {
		t.Fatal(err)
	}
	w, err = readWAV(own)
	if err != nil {
		t.Fatal(err)
	}
	if r := analyseTone(w.Samples, 1000, 8000); w.Rate != 8000 || r.ToneWindows != r.Windows {
		t.Errorf("own WAV: rate %d, %v", w.Rate, r)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
