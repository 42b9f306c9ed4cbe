package main

// search chooses the rate of each step, as RFC 7502 suggests for the
// session establishment rate: the rate doubles from the start while steps
// pass (up to the maximum), and once a step fails it bisects between the
// highest passing and the lowest failing rate. It ends when the two are
// within the resolution, a fraction of the passing rate: a few steps find
// both a rate of 150/s and one of 2,000/s, where a fixed increment would
// be too coarse for the one or too slow for the other.
type search struct {
	start, max int
	resolution float64
	good, bad  int // highest passing rate, lowest failing (0: none yet)
	next       int
}

func newSearch(o options) *search {
	return &search{start: o.startRate, max: o.maxRate, resolution: o.resolution, next: o.startRate}
}

// done says whether the search has its answer.
func (s *search) done() bool { return s.next == 0 }

// record takes a step's outcome and picks the next rate.
func (s *search) record(rate int, passed bool) {
	if passed {
		s.good = max(s.good, rate)
	} else if s.bad == 0 || rate < s.bad {
		s.bad = rate
	}
	switch {
	case s.bad == 0 && s.good >= s.max:
		s.next = 0 // passed at the maximum: the answer is a floor
	case s.bad == 0:
		s.next = min(2*s.good, s.max)
	case s.good == 0 && s.bad <= s.start:
		s.next = 0 // failed at the start rate: nothing passes
	default:
		gap := max(10, int(s.resolution*float64(s.good)))
		if s.bad-s.good <= gap {
			s.next = 0
		} else {
			s.next = (s.good + s.bad) / 2
		}
	}
}
