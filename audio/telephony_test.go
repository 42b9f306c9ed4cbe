package audio

import (
	"math"
	"testing"
)

func TestTelephonySamplesReadBackWhatConvertStored(t *testing.T) {
	want := []int16{0, 1, -1, 1000, -1000, 32767, -32767, 12345}
	x := make([]float32, len(want))
	for i, v := range want {
		x[i] = float32(v) / 32767
	}
	got, err := TelephonySamples(EncodeWAV(x, SampleRate))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sample %d = %d, want %d", i, got[i], want[i])
		}
	}
}

func TestTelephonySamplesResampleOtherRates(t *testing.T) {
	x := make([]float32, 16000) // 1 s of 440 Hz at 16 kHz
	for i := range x {
		x[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	got, err := TelephonySamples(EncodeWAV(x, 16000))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 7990 || len(got) > 8010 {
		t.Errorf("%d samples at 8 kHz for 1 s, want about 8000", len(got))
	}
	if _, err := TelephonySamples([]byte("not a wav")); err == nil {
		t.Error("garbage decoded without error")
	}
}
