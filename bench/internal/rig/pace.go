package rig

import (
	"context"
	"sync"
	"time"
)

// OpenLoop starts n requests at rate per second, open loop (RFC 7501):
// request i goes out at start + i/rate whether or not the earlier ones
// were answered, each as send(i) on a goroutine of its own. It returns
// once every send has returned, with ctx's error if ctx ended before the
// last one was started.
func OpenLoop(ctx context.Context, rate, n int, send func(i int)) error {
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	defer wg.Wait()
	start := time.Now()
	for i := range n {
		if err := Sleep(ctx, time.Until(start.Add(time.Duration(i)*interval))); err != nil {
			return err
		}
		wg.Go(func() { send(i) })
	}
	return ctx.Err()
}

// Sleep waits d, or less if ctx ends first (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
