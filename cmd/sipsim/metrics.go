package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/calls"
	"github.com/sipsim/sipsim/metrics"
	"github.com/sipsim/sipsim/voip"
	"github.com/sipsim/sipsim/voip/media"
)

// metricCounter is what metrics read of the store: both stores have it.
type metricCounter interface {
	LiveRegistrationCount(ctx context.Context, nodeID string, now time.Time) (int, error)
	PendingDeliveryCount(ctx context.Context) (int, error)
}

// nodeMetrics are the hooks serve hands the adapters, all nil when
// --metrics-addr is off, so that nothing is counted for nobody.
type nodeMetrics struct {
	reg            *metrics.Registry
	observeRequest func(method, route string, status int, d time.Duration)
	callEnded      func(sipsim.CallStatus, sipsim.EndReason)
	attempted      func(sipsim.DeliveryStatus)
}

// newNodeMetrics makes the registry and the hooks the API, the calls
// service and the webhook dispatcher feed; registerReaders adds what is
// read at scrape time once those exist.
func newNodeMetrics(addr string, log *slog.Logger) nodeMetrics {
	if addr == "" {
		return nodeMetrics{}
	}
	reg := metrics.New(log)
	httpm, callm, hooks := reg.HTTP(), reg.Calls(), reg.Webhooks()
	return nodeMetrics{
		reg:            reg,
		observeRequest: httpm.Observe,
		callEnded:      func(s sipsim.CallStatus, r sipsim.EndReason) { callm.Ended(string(s), string(r)) },
		attempted:      func(s sipsim.DeliveryStatus) { hooks.Attempt(attemptOutcome(s)) },
	}
}

// attemptOutcome names where an attempt left its delivery.
func attemptOutcome(s sipsim.DeliveryStatus) string {
	if s == sipsim.DeliveryPending {
		return "retrying"
	}
	return string(s)
}

// registerReaders adds the metrics read at scrape time.
func (m nodeMetrics) registerReaders(svc *calls.Service, engine *voip.Engine, alloc *media.Allocator, db metricCounter, nodeID string, now func() time.Time) {
	if m.reg == nil {
		return
	}
	m.reg.CallsActive(svc.Active)
	m.reg.SIP(func() metrics.SIPCounts {
		c := engine.Counters()
		return metrics.SIPCounts{Requests: c.Requests, Dropped: map[string]uint64{
			"banned": c.DroppedBanned, "scanner": c.DroppedScanner, "rate": c.DroppedRate,
		}}
	})
	m.reg.RTP(func() metrics.RTPCounts {
		st := alloc.Totals()
		flow := func(f media.Flow) metrics.RTPFlow {
			return metrics.RTPFlow{Relayed: f.Forwarded, Lost: f.Lost, Dropped: f.Dropped}
		}
		return metrics.RTPCounts{PhoneToCarrier: flow(st.AToB), CarrierToPhone: flow(st.BToA)}
	})
	m.reg.Store(metrics.StoreCounts{
		Registrations: func(ctx context.Context) (int, error) {
			return db.LiveRegistrationCount(ctx, nodeID, now())
		},
		PendingDeliveries: db.PendingDeliveryCount,
	})
}

// start serves /metrics at addr (--metrics-addr), on a listener of its
// own like the profiler's, and returns what stops it.
func (m nodeMetrics) start(addr string, log *slog.Logger) (stop func(), err error) {
	if m.reg == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.reg.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics listening", "metrics", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}
