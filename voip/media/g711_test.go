package media

import "testing"

// Reference points of G.711: silence, and the largest magnitudes each law
// can represent.
func TestG711ReferenceCodes(t *testing.T) {
	if got := LinearToULaw(0); got != 0xFF {
		t.Errorf("µ-law silence = %#x, want 0xff", got)
	}
	if got := LinearToALaw(0); got != 0xD5 {
		t.Errorf("A-law silence = %#x, want 0xd5", got)
	}
	decodes := []struct {
		name string
		dec  func(byte) int16
		code byte
		want int16
	}{
		{"µ-law +0", ULawToLinear, 0xFF, 0},
		{"µ-law -0", ULawToLinear, 0x7F, 0},
		{"µ-law max", ULawToLinear, 0x80, 32124},
		{"µ-law min", ULawToLinear, 0x00, -32124},
		{"µ-law +1 step", ULawToLinear, 0xFE, 8},
		{"A-law smallest +", ALawToLinear, 0xD5, 8},
		{"A-law smallest -", ALawToLinear, 0x55, -8},
		{"A-law max", ALawToLinear, 0xAA, 32256},
		{"A-law min", ALawToLinear, 0x2A, -32256},
	}
	for _, d := range decodes {
		if got := d.dec(d.code); got != d.want {
			t.Errorf("%s: decode(%#x) = %d, want %d", d.name, d.code, got, d.want)
		}
	}
}

// Every code word decodes to a value that encodes back to it (the µ-law
// negative zero excepted, which encodes as positive zero).
func TestG711CodeWordsSurviveDecodeEncode(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		if got := LinearToULaw(ULawToLinear(code)); got != code && code != 0x7F {
			t.Errorf("µ-law %#x decodes to %d, which encodes to %#x", code, ULawToLinear(code), got)
		}
		if got := LinearToALaw(ALawToLinear(code)); got != code {
			t.Errorf("A-law %#x decodes to %d, which encodes to %#x", code, ALawToLinear(code), got)
		}
	}
}

// A sample comes back within half a quantisation step of its segment.
func TestG711RoundTripWithinQuantisationError(t *testing.T) {
	values := []int16{0, 1, -1, 7, -8, 15, 31, 32, -33, 100, -100, 255, 256, 1000, -1000,
		2047, 2048, 4095, -4096, 8000, -8000, 16383, 16384, -16385, 30000, -30000, 32000, -32000}
	for _, x := range values {
		code := LinearToULaw(x)
		step := int(8) << ((^code >> 4) & 7)
		if got := ULawToLinear(code); abs(int(got)-int(x)) > step/2 {
			t.Errorf("µ-law: %d -> %#x -> %d, off by more than %d", x, code, got, step/2)
		}
		code = LinearToALaw(x)
		seg := ((code ^ alawInvert) >> 4) & 7
		step = 16
		if seg > 1 {
			step = 16 << (seg - 1)
		}
		if got := ALawToLinear(code); abs(int(got)-int(x)) > step/2 {
			t.Errorf("A-law: %d -> %#x -> %d, off by more than %d", x, code, got, step/2)
		}
	}
}

// Louder in, never quieter out: the companding curve is monotonic, clipping
// included.
func TestG711IsMonotonic(t *testing.T) {
	prevU, prevA := ULawToLinear(LinearToULaw(-32768)), ALawToLinear(LinearToALaw(-32768))
	for x := -32767; x <= 32767; x++ {
		u, a := ULawToLinear(LinearToULaw(int16(x))), ALawToLinear(LinearToALaw(int16(x)))
		if u < prevU || a < prevA {
			t.Fatalf("at %d: µ-law %d after %d, A-law %d after %d", x, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
	}
}

func TestCodecByName(t *testing.T) {
	tests := []struct {
		name string
		want Codec
		ok   bool
	}{
		{"PCMU", PCMU, true},
		{"pcmu", PCMU, true},
		{"PCMA", PCMA, true},
		{"Pcma", PCMA, true},
		{"G722", Codec{}, false},
		{"", Codec{}, false},
	}
	for _, tt := range tests {
		if got, ok := CodecByName(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("CodecByName(%q) = %v, %v, want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
