package events

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// Defaults of DispatcherConfig, as the API documentation states them.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultRetryBase    = 5 * time.Second
	DefaultRetryCap     = time.Hour
	DefaultGiveUpAfter  = 25 * time.Hour
	DefaultLease        = time.Minute
	DefaultConcurrency  = 8
	DefaultPollInterval = time.Second
)

// queueCap bounds the deliveries of one webhook held in memory: the one
// being sent and those waiting behind it. The dispatcher claims no more
// than fit; the rest of a webhook's backlog stays in the store, unleased
// (another node may take it), and claims pass over it to other webhooks'
// deliveries, so a slow endpoint with a long backlog holds little memory
// and cannot starve the others.
const queueCap = 16

// DispatcherConfig wires a Dispatcher. Only Store is required.
type DispatcherConfig struct {
	Store sipsim.WebhookStore
	// Client sends the POSTs. Default: a client with a DefaultTimeout
	// timeout. Redirects are never followed (a 3xx is a failed attempt,
	// so a delivery cannot be bounced to another host): the client is
	// copied with its CheckRedirect replaced, and a zero Timeout becomes
	// DefaultTimeout so that a silent endpoint cannot hold a worker. Its
	// Transport must be nil or an *http.Transport: it is copied with a
	// dialer that refuses non-public addresses (see AllowNetworks) and
	// without a proxy.
	Client *http.Client
	// AllowNetworks are the networks deliveries may connect to besides
	// public unicast addresses: receivers inside the company network.
	// Loopback, private, link-local and other special-purpose addresses
	// are refused unless listed here. Default: none.
	AllowNetworks []netip.Prefix

	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()

	// A failed attempt is retried after RetryBase × 2^(attempt−1), at most
	// RetryCap; an attempt that fails GiveUpAfter or more after the
	// delivery was created marks it failed.
	RetryBase   time.Duration // default 5 s
	RetryCap    time.Duration // default 1 h
	GiveUpAfter time.Duration // default 25 h
	// Lease is how long a claimed delivery is hidden from other workers
	// (or nodes). A dispatcher that dies mid-way has its deliveries
	// retried after it. It is raised to twice the client timeout if
	// shorter, since a POST must end within the lease.
	Lease time.Duration // default 1 min
	// Concurrency bounds the webhooks sent to at once. Deliveries of one
	// webhook go one at a time, in event order, so that a receiver sees
	// a call's events in the order they happened (best effort: a retried
	// delivery arrives after the later ones that succeeded meanwhile).
	Concurrency  int           // default 8
	PollInterval time.Duration // default 1 s

	// Bus, if set, wakes the dispatcher as soon as an event that queued
	// deliveries is published (CallEvent.Deliveries), instead of at the
	// next poll. The others, most events where few accounts have
	// webhooks, would only wake it to find nothing: on PostgreSQL each
	// such claim was a transaction, two per event (bench/caps).
	Bus sipsim.EventBus
	// Wake, if set, also triggers a poll on every receive (e.g. a
	// notification from another node).
	Wake <-chan struct{}
	// Attempted, if set, is told where each recorded attempt left its
	// delivery: succeeded, pending (to be retried) or failed (given up).
	// For metrics.
	Attempted func(sipsim.DeliveryStatus)
}

// Dispatcher sends webhook deliveries from the store's outbox. It keeps
// nothing only in memory: a delivery is claimed from the store with a
// lease, and its attempt is recorded there, so a restart (or another node)
// picks up whatever is pending.
type Dispatcher struct {
	cfg     DispatcherConfig
	client  *http.Client
	log     *slog.Logger
	timeout time.Duration
}

// NewDispatcher returns a dispatcher; Run starts it. It panics without a
// store, which is a wiring mistake.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Store == nil {
		panic("events: NewDispatcher without a Store")
	}
	client := &http.Client{Timeout: DefaultTimeout}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	if client.Timeout <= 0 {
		client.Timeout = DefaultTimeout
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Transport = guardedTransport(client.Transport, NewAddressGuard(cfg.AllowNetworks))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.RetryBase = positive(cfg.RetryBase, DefaultRetryBase)
	cfg.RetryCap = positive(cfg.RetryCap, DefaultRetryCap)
	cfg.GiveUpAfter = positive(cfg.GiveUpAfter, DefaultGiveUpAfter)
	cfg.Lease = max(positive(cfg.Lease, DefaultLease), 2*client.Timeout)
	cfg.Concurrency = positive(cfg.Concurrency, DefaultConcurrency)
	cfg.PollInterval = positive(cfg.PollInterval, DefaultPollInterval)
	return &Dispatcher{cfg: cfg, client: client, log: cfg.Logger, timeout: client.Timeout}
}

func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// claimed is a delivery this dispatcher holds the lease of.
type claimed struct {
	d *sipsim.Delivery
	// leaseEnd is when other workers may claim it again: no POST may
	// start that could still run then.
	leaseEnd time.Time
}

// sender sends the deliveries of one webhook, one at a time. Only Run's
// goroutine touches its fields.
type sender struct {
	in      chan claimed // buffered queueCap: holds every pending delivery
	pending int          // sent to in, not yet reported done; at most queueCap
	// skipped: the last claim passed over this webhook for want of room,
	// so the store may hold due deliveries of it that no claim took.
	skipped bool
}

// room is how many more deliveries the sender can take.
func (s *sender) room() int { return queueCap - s.pending }

// Run sends due deliveries until ctx ends: it polls the store every
// PollInterval, at once when woken, again without waiting while a claim
// comes back full, and as soon as a webhook it passed over for a full
// queue has room again. Store errors are logged and retried at the next
// poll. Once ctx ends it starts no new POST, waits for those in flight
// (bounded by the client timeout) and records their outcome, then returns
// nil. Deliveries it claimed but did not start come back after their
// lease.
func (d *Dispatcher) Run(ctx context.Context) error {
	var (
		busEvents <-chan *sipsim.CallEvent
		unsub     = func() {}
	)
	subscribe := func() {
		if d.cfg.Bus != nil {
			unsub()
			busEvents, unsub = d.cfg.Bus.Subscribe(0)
		}
	}
	subscribe()
	defer func() { unsub() }()
	wake := d.cfg.Wake

	ticker := time.NewTicker(d.cfg.PollInterval)
	defer ticker.Stop()

	var wg sync.WaitGroup
	senders := map[int64]*sender{}
	done := make(chan int64, d.cfg.Concurrency) // webhook id, once per delivery handled
	// finished accounts for one delivery handled, and reports whether a
	// claim may now take deliveries that the last one passed over.
	finished := func(webhookID int64) bool {
		s := senders[webhookID]
		s.pending--
		if s.pending == 0 {
			close(s.in)
			delete(senders, webhookID)
		}
		return s.skipped && (s.pending == 0 || s.room() >= d.claimLimit(len(senders)))
	}

	// more: due deliveries may be waiting in the store. True at start, for
	// whatever a previous run left pending.
	more := true
	for {
		if more && ctx.Err() == nil && len(senders) < d.cfg.Concurrency {
			limit := d.claimLimit(len(senders))
			// A webhook with less room than the claim may bring is left
			// out of it: every delivery claimed fits its queue, and none
			// is leased only to wait in the store.
			var skip []int64
			for id, s := range senders {
				s.skipped = s.room() < limit
				if s.skipped {
					skip = append(skip, id)
				}
			}
			batch, err := d.claim(ctx, limit, skip)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("webhooks: claiming due deliveries", "err", err)
				}
				more = false
				continue
			}
			more = len(batch) == limit
			for _, c := range batch {
				s := senders[c.d.WebhookID]
				if s == nil {
					s = &sender{in: make(chan claimed, queueCap)}
					senders[c.d.WebhookID] = s
					wg.Go(func() { d.send(ctx, s.in, done) })
				}
				s.in <- c // never blocks: s had room for the whole batch
				s.pending++
			}
			continue
		}

		select {
		case <-ctx.Done():
			for len(senders) > 0 {
				finished(<-done)
			}
			wg.Wait()
			return nil
		case id := <-done:
			if finished(id) {
				more = true
			}
		case <-ticker.C:
			more = true
		case _, ok := <-wake:
			if !ok {
				wake = nil // a closed channel would wake us forever
			}
			more = true
		case ev, ok := <-busEvents:
			if !ok {
				// The bus dropped us for falling behind; the store has
				// the events, so a new subscription is all we need.
				subscribe()
				more = true
				continue
			}
			if ev.Deliveries > 0 {
				more = true
			}
		}
	}
}

// claimLimit is how many deliveries one claim may bring while busy
// senders run: no more than there are free senders, since each may be for
// a new webhook, nor than a new webhook's queue holds, since all may be
// for one.
func (d *Dispatcher) claimLimit(busy int) int {
	return min(d.cfg.Concurrency-busy, queueCap)
}

// claim leases up to limit due deliveries of webhooks not in skip, in
// event order so that each webhook's sender gets them in that order.
func (d *Dispatcher) claim(ctx context.Context, limit int, skip []int64) ([]claimed, error) {
	now := d.cfg.Now()
	ds, err := d.cfg.Store.ClaimDueDeliveries(ctx, now, d.cfg.Lease, limit, skip)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b *sipsim.Delivery) int {
		return cmp.Or(cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.ID, b.ID))
	})
	out := make([]claimed, len(ds))
	for i, del := range ds {
		out[i] = claimed{d: del, leaseEnd: now.Add(d.cfg.Lease)}
	}
	return out, nil
}

// send delivers one webhook's queue until Run closes it, reporting each
// delivery to done. After ctx ends it only reports, so that Run can
// account for the queue and return.
func (d *Dispatcher) send(ctx context.Context, in <-chan claimed, done chan<- int64) {
	for c := range in {
		switch {
		case ctx.Err() != nil:
		case d.cfg.Now().Add(d.timeout).After(c.leaseEnd):
			// It waited too long behind slower deliveries: another worker
			// may claim it before this POST would end.
			d.log.Debug("webhooks: lease too short to send, delivery waits for it to end", "delivery_id", c.d.ID)
		default:
			// A POST under way finishes even if ctx ends: cutting it would
			// leave the receiver unsure and the attempt unrecorded.
			d.deliver(context.WithoutCancel(ctx), c.d)
		}
		done <- c.d.WebhookID
	}
}
