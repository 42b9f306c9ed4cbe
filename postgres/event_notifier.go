package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sipsim/sipsim"
)

// Notifications of stored events are sent after their transactions have
// committed, several in one statement, rather than from inside each
// transaction. PostgreSQL takes a database-wide lock while a transaction
// that notified commits, so every call step of every node took turns
// there: at 150 calls/s (eight event transactions a call) POSTs waited a
// second while neither sipsim nor PostgreSQL was busy (bench/caps --db
// postgres). Sent afterwards, a notification costs the event's
// transaction nothing; one commit carries all the notifications waiting.
//
// A notification is a wake-up, not the event: listeners read the events
// from the table, and streams poll anyway. So one lost to a crash between
// the commit and its sending (or to the database being unreachable then)
// delays other nodes' streams until their next poll; nothing is lost.

// maxNoticesPerStatement bounds one statement's arrays.
const maxNoticesPerStatement = 1000

// eventNotifier is the goroutine that sends the notifications of a DB.
type eventNotifier struct {
	pool    *pgxpool.Pool
	mu      sync.Mutex
	pending []*sipsim.CallEvent // under mu
	wake    chan struct{}       // capacity 1: "pending is not empty"
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func startEventNotifier(pool *pgxpool.Pool) *eventNotifier {
	n := &eventNotifier{pool: pool, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go n.run()
	return n
}

// add queues the notification of ev, whose transaction has committed.
func (n *eventNotifier) add(ev *sipsim.CallEvent) {
	if ev == nil {
		return
	}
	n.mu.Lock()
	n.pending = append(n.pending, ev)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default: // a send is due already
	}
}

func (n *eventNotifier) run() {
	defer close(n.stopped)
	for {
		select {
		case <-n.wake:
			n.sendPending()
		case <-n.stop:
			n.sendPending()
			return
		}
	}
}

// close sends what is pending and stops; the pool must still be open.
func (n *eventNotifier) close() {
	n.once.Do(func() { close(n.stop) })
	<-n.stopped
}

func (n *eventNotifier) sendPending() {
	n.mu.Lock()
	batch := n.pending
	n.pending = nil
	n.mu.Unlock()
	for len(batch) > 0 {
		k := min(len(batch), maxNoticesPerStatement)
		n.send(batch[:k])
		batch = batch[k:]
	}
}

// send notifies evs in one statement, hence one commit. A failure drops
// them (see above).
func (n *eventNotifier) send(evs []*sipsim.CallEvent) {
	accounts, calls, ids := make([]int64, len(evs)), make([]string, len(evs)), make([]int64, len(evs))
	for i, ev := range evs {
		accounts[i], calls[i], ids[i] = ev.AccountID, ev.CallID, ev.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = n.pool.Exec(ctx, `SELECT pg_notify($1, json_build_object('schema', COALESCE(current_schema(), ''),
		'account_id', a, 'call_id', c, 'event_id', e)::text)
		FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS t (a, c, e)`,
		eventsChannel, accounts, calls, ids)
}
