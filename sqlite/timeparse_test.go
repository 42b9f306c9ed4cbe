package sqlite

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The fast reader must agree with time.Parse on every stored time, and
// refuse what time.Parse refuses.
func TestParseStoredTimeAgreesWithTimeParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		in := time.Unix(rng.Int64N(4102444800), rng.Int64N(1e9)).UTC()
		s := encodeTime(in)
		got, err := parseStoredTime(s)
		want, werr := time.Parse(timeLayout, s)
		if err != nil || werr != nil || !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("%q: got %v, %v; time.Parse %v, %v", s, got, err, want, werr)
		}
	}
	for _, bad := range []string{
		"", "2026-02-30T10:00:00.000000Z", "2026-13-01T10:00:00.000000Z", "2026-00-01T10:00:00.000000Z",
		"2026-01-01T24:00:00.000000Z", "2026-01-01T10:60:00.000000Z", "2026-01-01T10:00:60.000000Z",
		"2026-01-01T10:00:00.00000xZ", "2026-01-01 10:00:00.000000Z", "2026-01-01T10:00:00.000000",
		"+026-01-01T10:00:00.000000Z", "2025-02-29T10:00:00.000000Z",
	} {
		if _, err := parseStoredTime(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
		if _, err := time.Parse(timeLayout, bad); err == nil {
			t.Errorf("%q: time.Parse accepts it, the test is wrong", bad)
		}
	}
	if got, err := parseStoredTime("2024-02-29T23:59:59.999999Z"); err != nil || got.Day() != 29 {
		t.Errorf("leap day: %v, %v", got, err)
	}
}

func BenchmarkParseStoredTime(b *testing.B) {
	s := encodeTime(time.Now())
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseStoredTime(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("time.Parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.Parse(timeLayout, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
