package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// profileCapture is a CPU profile of sipsim being taken over one
// measured window, through its --pprof-addr.
type profileCapture struct {
	done chan struct{}
}

// startProfile fetches a profile of window seconds after delay (the
// settle time: measure opens its window then) and writes it to file.
func startProfile(ctx context.Context, addr string, delay, window time.Duration, file string) *profileCapture {
	p := &profileCapture{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if err := fetchProfile(ctx, addr, delay, window, file); err != nil {
			fmt.Fprintln(os.Stderr, "bench/media: sipsim CPU profile:", err)
			return
		}
	}()
	return p
}

func fetchProfile(ctx context.Context, addr string, delay, window time.Duration, file string) error {
	if err := rig.Sleep(ctx, delay); err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(window.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o640)
}

func (p *profileCapture) wait() { <-p.done }
