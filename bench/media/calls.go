package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// dialer places click-to-calls through the API, as a user's CRM would:
// one POST /api/v2/calls per call, with the phone's account token.
type dialer struct {
	base    string
	client  *http.Client
	tenants []rig.Tenant
	phones  []rig.Phone
	placed  int // phones[:placed] are on a call
}

func newDialer(base string, tenants []rig.Tenant, phones []rig.Phone) *dialer {
	return &dialer{base: base, tenants: tenants, phones: phones,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: dialWorkers}}}
}

// dialWorkers is how many API requests are in flight at once.
const dialWorkers = 8

// placeUpTo places calls from the next phones until total calls are up,
// starting at most rate per second. It fails on the first refusal.
func (d *dialer) placeUpTo(ctx context.Context, total, rate int) error {
	if total > len(d.phones) {
		return fmt.Errorf("%d calls asked, %d phones seeded", total, len(d.phones))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	go func() {
		defer close(next)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := d.placed; i < total; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range dialWorkers {
		wg.Go(func() {
			for i := range next {
				if err := d.place(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	d.placed = total
	return nil
}

func (d *dialer) place(ctx context.Context, i int) error {
	p := d.phones[i]
	body, _ := json.Marshal(map[string]any{"phone_id": p.ID, "target_number": fmt.Sprintf("+3314%07d", i)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/v2/calls", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.tenants[p.Tenant].Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/v2/calls for phone %d: %s: %s", p.ID, resp.Status, b)
	}
	return nil
}
