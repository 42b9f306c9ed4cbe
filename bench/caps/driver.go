package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// attempt is one click-to-call the driver placed.
type attempt struct {
	Phone    phone
	Sent     time.Time // just before the POST was handed to the HTTP client
	Answered time.Time // the whole response read
	Code     int       // HTTP status, 0 on a transport error or timeout
	ID       string    // data.id of a 201
	Err      error
}

// driver places click-to-calls open-loop: the n-th call of a step is sent
// at start + n/rate whether or not earlier calls were answered (RFC 7501:
// the offered load must not slow down because the server does). Phones
// are used round-robin across steps, so with N phones at rate R a phone
// comes back every N/R seconds.
type driver struct {
	client *http.Client
	phones []phone
	next   int
}

func newDriver(phones []phone, timeout time.Duration) *driver {
	tr := &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	return &driver{client: &http.Client{Transport: tr, Timeout: timeout}, phones: phones}
}

// step posts rate calls per second to url for d and returns every attempt
// once all have their answers.
func (dr *driver) step(ctx context.Context, url string, rate int, d time.Duration) ([]*attempt, error) {
	attempts := make([]*attempt, int(float64(rate)*d.Seconds()))
	first := dr.next
	for i := range attempts {
		attempts[i] = &attempt{Phone: dr.phones[(first+i)%len(dr.phones)]}
	}
	dr.next += len(attempts)
	err := rig.OpenLoop(ctx, rate, len(attempts), func(i int) {
		dr.post(ctx, url, attempts[i], fmt.Sprintf("+3314%07d", (first+i+1)%10_000_000))
	})
	if err != nil {
		return nil, err
	}
	return attempts, nil
}

// post is one POST /api/v2/calls; anything but a 201 with a call id is a
// failed attempt.
func (dr *driver) post(ctx context.Context, url string, a *attempt, target string) {
	body := fmt.Appendf(nil, `{"phone_id":%d,"target_number":%q}`, a.Phone.ID, target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		a.Err = err
		return
	}
	req.Header.Set("Authorization", "Bearer "+a.Phone.Token)
	req.Header.Set("Content-Type", "application/json")
	a.Sent = time.Now()
	resp, err := dr.client.Do(req)
	if err != nil {
		a.Err = err
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	a.Answered = time.Now()
	a.Code = resp.StatusCode
	if err != nil {
		a.Err = err
		return
	}
	if resp.StatusCode != http.StatusCreated {
		a.Err = fmt.Errorf("POST: %s: %.200s", resp.Status, b)
		return
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.Data.ID == "" {
		a.Err = fmt.Errorf("201 without data.id: %.200s", b)
		return
	}
	a.ID = created.Data.ID
}
