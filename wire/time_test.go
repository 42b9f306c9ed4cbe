package wire

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Time must write exactly what time.Format writes, in any zone.
func TestTimeAgreesWithTimeFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	for range 20000 {
		in := time.Unix(rng.Int64N(4102444800), rng.Int64N(1e9)).In(paris)
		if got, want := Time(in), in.UTC().Format(timeLayout); got != want {
			t.Fatalf("%v: got %q, want %q", in, got, want)
		}
	}
	far := time.Date(12000, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if got, want := Time(far), far.Format(timeLayout); got != want {
		t.Errorf("year 12000: got %q, want %q", got, want)
	}
}

func BenchmarkTime(b *testing.B) {
	now := time.Now()
	b.Run("fixed", func(b *testing.B) {
		for b.Loop() {
			_ = Time(now)
		}
	})
	b.Run("time.Format", func(b *testing.B) {
		for b.Loop() {
			_ = now.UTC().Format(timeLayout)
		}
	})
}
