package main

import (
	"fmt"
	"slices"
	"time"
)

// spread is the p50 and p99 of a set of durations (nearest rank).
type spread struct {
	N        int
	P50, P99 time.Duration
}

func spreadOf(ds []time.Duration) spread {
	if len(ds) == 0 {
		return spread{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return spread{N: len(s), P50: rank(0.50), P99: rank(0.99)}
}

func (s spread) String() string {
	if s.N == 0 {
		return "p50      - p99      -"
	}
	return fmt.Sprintf("p50 %s p99 %s", ms(s.P50), ms(s.P99))
}

// ms formats a duration in milliseconds, to the microsecond below 10 ms.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 10 {
		return fmt.Sprintf("%6.3fms", f)
	}
	return fmt.Sprintf("%6.1fms", f)
}
