package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// rpcConnections is how many keep-alive connections the CRM side keeps.
const rpcConnections = 64

// bridger asks Kamailio for click-to-calls the way a CRM would: one
// JSON-RPC 2.0 request over HTTP per call, dlg.bridge_dlg(phone, target,
// outbound proxy), on keep-alive connections.
type bridger struct {
	client *http.Client
	url    string
	domain string // the phones' SIP domain
	proxy  string // Kamailio's own SIP address: the bridge INVITEs phones through it
	phones int    // extensions 100 .. 100+phones-1, used round-robin
	next   atomic.Int64
}

func newBridger(httpAddr, domain, proxy string, phones int) *bridger {
	// A pool, as a CRM would keep: past it, requests wait for a
	// connection (and that wait is in the latency) rather than open more
	// connections to Kamailio's few TCP workers.
	tr := &http.Transport{
		MaxConnsPerHost:     rpcConnections,
		MaxIdleConns:        rpcConnections,
		MaxIdleConnsPerHost: rpcConnections,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	return &bridger{
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		url:    "http://" + httpAddr + "/RPC",
		domain: domain, proxy: proxy, phones: phones,
	}
}

// attempt is one click-to-call requested.
type attempt struct {
	Latency time.Duration // POST sent to whole response read
	Err     error
}

// step requests rate calls per second for d, open loop (rig.OpenLoop).
// It returns once every request has its answer.
func (b *bridger) step(ctx context.Context, rate int, d time.Duration) ([]attempt, error) {
	attempts := make([]attempt, int(float64(rate)*d.Seconds()))
	err := rig.OpenLoop(ctx, rate, len(attempts), func(i int) { attempts[i] = b.bridge(ctx) })
	return attempts, err
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// bridge is one dlg.bridge_dlg request. Kamailio answers it once the
// bridge's INVITE is on its way, so the latency is the API's, as sipsim's
// POST /api/v2/calls answers before its INVITE is answered.
func (b *bridger) bridge(ctx context.Context) attempt {
	i := b.next.Add(1)
	phone := fmt.Sprintf("sip:%d@%s", 100+i%int64(b.phones), b.domain)
	target := fmt.Sprintf("sip:+3314%07d@%s", i%10_000_000, b.domain)
	begin := time.Now()
	err := b.call(ctx, "dlg.bridge_dlg", phone, target, b.proxy)
	return attempt{Latency: time.Since(begin), Err: err}
}

// call is one JSON-RPC request; an HTTP error, a JSON-RPC error or an
// answer without a result fails it.
func (b *bridger) call(ctx context.Context, method string, params ...string) error {
	if params == nil {
		params = []string{} // Kamailio wants an array, even an empty one
	}
	body, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": b.next.Load(), "method": method, "params": params,
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r rpcResponse
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("POST /RPC: %s: %s", resp.Status, tail(string(raw), 200))
	case json.Unmarshal(raw, &r) != nil:
		return fmt.Errorf("POST /RPC: not JSON-RPC: %s", tail(string(raw), 200))
	case r.Error != nil:
		return fmt.Errorf("%s: %d %s", method, r.Error.Code, r.Error.Message)
	case r.Result == nil:
		return fmt.Errorf("%s: no result: %s", method, tail(string(raw), 200))
	}
	return nil
}
