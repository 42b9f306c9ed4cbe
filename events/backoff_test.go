package events

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{3, 20 * time.Second},
		{10, 5 * 512 * time.Second},
		{11, time.Hour}, // 5 × 1024 s is past the cap
		{1000, time.Hour},
	} {
		if got := Backoff(5*time.Second, time.Hour, tt.attempt); got != tt.want {
			t.Errorf("Backoff(attempt %d) = %s, want %s", tt.attempt, got, tt.want)
		}
	}
	if got := Backoff(time.Second, math.MaxInt64, 200); got != math.MaxInt64 {
		t.Errorf("Backoff with a huge cap = %s, want the cap (no overflow)", got)
	}
}
