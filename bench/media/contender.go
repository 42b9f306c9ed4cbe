package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// contender is one relay with the generator that drives it.
type contender struct {
	t       target
	gen     *generator
	stopGen context.CancelFunc
	rssBase int64
	results []stepResult
	failed  error // the step it could not reach; it is out from then on
}

func newContender(ctx context.Context, o options, name string) (c *contender, err error) {
	c = &contender{}
	genCtx, stopGen := context.WithCancel(ctx)
	c.stopGen = stopGen
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	// Every leg takes a new id; the table leaves room for repeats.
	if c.gen, err = newGenerator(genCtx, 4*o.sipsim.maxCalls+100, o.sockets); err != nil {
		return nil, err
	}
	var t target
	switch name {
	case "forwarder":
		t, err = newForwarderTarget(c.gen)
	case "sipsim":
		so := o.sipsim
		if o.cpuProfile != "" {
			port, err := rig.FreePort()
			if err != nil {
				return nil, err
			}
			so.pprofAddr = fmt.Sprintf("127.0.0.1:%d", port)
		}
		t, err = newSipsimTarget(ctx, so, c.gen)
	default:
		err = fmt.Errorf("unknown target %q (forwarder or sipsim)", name)
	}
	if err != nil {
		return nil, err
	}
	c.t = t
	if c.rssBase, err = rig.RSSBytes(c.t.pid()); err != nil {
		return nil, err
	}
	return c, nil
}

// stopLoss is the loss after which a relay ramps no further: the steps
// above would only measure an overloaded machine, for minutes.
const stopLoss = 1.0 // percent

// step brings the relay to calls calls and measures it.
func (c *contender) step(ctx context.Context, o options, calls int) error {
	began := time.Now()
	if err := c.t.rampTo(ctx, calls); err != nil {
		return fmt.Errorf("ramping to %d calls: %w", calls, err)
	}
	var prof *profileCapture
	// Every step is profiled, each profile replacing the last: the file
	// ends up with the highest step measured.
	if s, ok := c.t.(*sipsimTarget); ok && s.pprofAddr != "" {
		prof = startProfile(ctx, s.pprofAddr, o.settle, o.window, o.cpuProfile)
	}
	r, err := measure(ctx, c.t, c.gen, calls, o.settle, o.window, c.rssBase)
	if prof != nil {
		prof.wait()
	}
	if err != nil {
		return err
	}
	r.rampTook = time.Since(began) - o.settle - r.window
	c.results = append(c.results, r)
	fmt.Println(r)
	if r.lossPct() >= stopLoss {
		return fmt.Errorf("%.1f%% loss at %d calls", r.lossPct(), calls)
	}
	return nil
}

// stop stops the relay and the generator; stopping twice is harmless.
func (c *contender) stop() {
	if c.t != nil {
		c.t.stop()
		c.t = nil
	}
	c.stopGen()
	if c.gen != nil {
		c.gen.close()
	}
}
