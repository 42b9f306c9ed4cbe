package media

import "sync"

// totals adds up the counters of an allocator's bridges for metrics. It
// costs the relay nothing: each bridge keeps its own counters, which
// Totals reads at scrape time; a closing bridge's final counts move into
// closed.
type totals struct {
	mu     sync.Mutex // then a side's mu, in Totals
	live   map[*Bridge]struct{}
	closed Stats
}

// Totals returns the packet counters of every bridge this allocator made,
// open or closed, summed.
func (a *Allocator) Totals() Stats {
	t := &a.totals
	t.mu.Lock()
	defer t.mu.Unlock()
	sum := t.closed
	for b := range t.live {
		sum.add(b.Stats())
	}
	return sum
}

func (a *Allocator) opened(b *Bridge) {
	a.totals.mu.Lock()
	defer a.totals.mu.Unlock()
	a.totals.live[b] = struct{}{}
}

// closed moves b's final counts (its readers have stopped) to the totals
// of closed bridges, in one step so that Totals never counts them twice.
func (a *Allocator) closed(b *Bridge) {
	st := b.Stats()
	a.totals.mu.Lock()
	defer a.totals.mu.Unlock()
	delete(a.totals.live, b)
	a.totals.closed.add(st)
}

// add adds s's counts to t.
func (t *Stats) add(s Stats) {
	t.AToB.add(s.AToB)
	t.BToA.add(s.BToA)
	t.Ringback += s.Ringback
}
