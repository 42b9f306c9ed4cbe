package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// target is one URL the load is driven at.
type target struct {
	Name string
	URL  string
}

// result is what one closed-loop run measured.
type result struct {
	Requests  int
	Errors    int
	Elapsed   time.Duration
	P50, P99  time.Duration
	BodyBytes int64 // of the last response, to check sizes match
}

// RPS is the completed requests per second.
func (r result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  %6d B/response  %d errors",
		r.RPS(), r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.BodyBytes, r.Errors)
}

// loader is a closed-loop HTTP load: each of its workers sends a request,
// reads the whole response, and sends the next. One loader, with one
// keep-alive connection per worker, drives every target, so that the
// client's own cost is the same for all of them.
type loader struct {
	client  *http.Client
	workers int
	header  http.Header
}

func newLoader(workers int, token string) *loader {
	tr := &http.Transport{
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		MaxConnsPerHost:     workers,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("Accept", "application/json")
	return &loader{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, workers: workers, header: h}
}

// run drives the load at t for warmup (not measured: connections open,
// caches fill) and then for d, and returns what it measured.
func (l *loader) run(ctx context.Context, t target, warmup, d time.Duration) (result, error) {
	if _, err := l.drive(ctx, t, warmup); err != nil {
		return result{}, err
	}
	return l.drive(ctx, t, d)
}

func (l *loader) drive(ctx context.Context, t target, d time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       result
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range l.workers {
		wg.Go(func() {
			own := make([]time.Duration, 0, 1<<14)
			var errs int
			var size int64
			for ctx.Err() == nil {
				begin := time.Now()
				n, err := l.get(ctx, t.URL)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not a sample
				}
				if err != nil {
					errs++
					continue
				}
				own = append(own, time.Since(begin))
				size = n
			}
			mu.Lock()
			latencies = append(latencies, own...)
			res.Errors += errs
			if size > 0 {
				res.BodyBytes = size
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := context.Cause(ctx); err != nil && ctx.Err() != context.DeadlineExceeded {
		return res, err
	}
	if len(latencies) == 0 {
		return res, fmt.Errorf("%s: no request succeeded (%d errors)", t.Name, res.Errors)
	}
	slices.Sort(latencies)
	res.Requests = len(latencies)
	res.P50 = latencies[len(latencies)*50/100]
	res.P99 = latencies[len(latencies)*99/100]
	return res, nil
}

// get fetches url and returns the body's size; anything but 200 is an
// error.
func (l *loader) get(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header = l.header.Clone()
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return n, nil
}
