package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Events across nodes. Each node has its own in-process event bus, so a
// stream on node A would hear of an event stored by node B only when it
// next polled. Every event stored is therefore also notified on
// eventsChannel once its transaction has committed (event_notifier.go),
// and PostgreSQL hands the notification to every session listening on the
// database: a node woken by it finds the event's row. Each node listens on
// a connection of its own (ListenEvents) and turns the notifications into
// wake-ups of its bus.

// eventsChannel is the notification channel of stored events.
const eventsChannel = "sipsim_events"

// eventNotice is the payload of a notification on eventsChannel, as JSON.
// Channels belong to the database, not to a schema, so it names the
// schema the event was stored in: clusters (or test runs) on other
// schemas of the same database hear each other's notifications and drop
// them. EventID lets a listener that reconnects tell which events it may
// have missed (see eventListener.catchUp).
type eventNotice struct {
	Schema    string `json:"schema"`
	AccountID int64  `json:"account_id"`
	CallID    string `json:"call_id"`
	EventID   int64  `json:"event_id"`
}

// How ListenEvents keeps its connection.
const (
	// Reconnection attempts start listenRetryMin apart and back off to
	// listenRetryMax: a database that is down for long is tried every few
	// seconds, which costs nothing, and streams still poll meanwhile.
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
	// listenIdleCheck: after this long without a notification the
	// connection is pinged, so that one the network silently dropped is
	// noticed and replaced rather than waited on for ever.
	listenIdleCheck = 30 * time.Second
	// listenQueryTimeout bounds the ping and the statements run when the
	// connection is set up.
	listenQueryTimeout = 10 * time.Second
)

// ListenEvents calls wake with the account and call of every event stored
// in the database, by any node (this one included), until ctx ends. It
// holds a connection of its own (not one of the pool: a listening session
// stays open for ever) and replaces it whenever it fails, waiting longer
// between attempts up to a few seconds; an outage is logged once when it
// starts and once when it ends. Notifications sent while it was not
// listening are lost, so after reconnecting it reads which calls had
// events stored meanwhile and calls wake for each of them. wake runs on
// ListenEvents' goroutine and should not block.
func (db *DB) ListenEvents(ctx context.Context, log *slog.Logger, wake func(accountID int64, callID string)) {
	newEventListener(db.pool.Config().ConnConfig, log, wake).run(ctx)
}

// eventListener is ListenEvents' state. Only run's goroutine uses it.
type eventListener struct {
	cfg  *pgx.ConnConfig
	log  *slog.Logger
	wake func(accountID int64, callID string)

	retryMin, retryMax, idleCheck, queryTimeout time.Duration

	// schema is the one this node's tables live in; notifications of
	// other schemas are not ours.
	schema string
	// seen holds, per account, the highest event id known to have been
	// reported (or to have been stored before the listener started). Nil
	// until the first connection.
	seen map[int64]int64
}

func newEventListener(cfg *pgx.ConnConfig, log *slog.Logger, wake func(accountID int64, callID string)) *eventListener {
	return &eventListener{cfg: cfg, log: log, wake: wake,
		retryMin: listenRetryMin, retryMax: listenRetryMax, idleCheck: listenIdleCheck, queryTimeout: listenQueryTimeout}
}

func (l *eventListener) run(ctx context.Context) {
	delay := l.retryMin
	var downSince time.Time // zero while connected, and before the first attempt
	started := false
	for {
		conn, err := l.connect(ctx)
		if err == nil {
			switch {
			case !started:
				l.log.Info("listening for events stored by every node", "channel", eventsChannel)
				started = true
			case !downSince.IsZero():
				l.log.Info("event notifications restored", "down_for", time.Since(downSince).Round(time.Millisecond))
			}
			downSince, delay = time.Time{}, l.retryMin
			err = l.receive(ctx, conn)
			l.close(conn)
		}
		if ctx.Err() != nil {
			return
		}
		if downSince.IsZero() {
			downSince = time.Now()
			l.log.Warn("event notifications interrupted: events stored by other nodes reach this node's streams and webhooks late until they are back; reconnecting",
				"err", err)
		} else {
			l.log.Debug("event notifications: reconnection failed", "err", err, "next_try_in", delay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, l.retryMax)
	}
}

// connect opens a connection, listens on it, and reports what was missed
// since the last one.
func (l *eventListener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	setupCtx, cancel := context.WithTimeout(ctx, l.queryTimeout)
	defer cancel()
	if err := l.setUp(setupCtx, conn); err != nil {
		l.close(conn)
		return nil, err
	}
	return conn, nil
}

// setUp listens first and reads the store after, so that an event stored
// in between is both notified and read rather than neither.
func (l *eventListener) setUp(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN "+eventsChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT COALESCE(current_schema(), '')").Scan(&l.schema); err != nil {
		return fmt.Errorf("current schema: %w", err)
	}
	if l.seen == nil {
		return l.mark(ctx, conn)
	}
	return l.catchUp(ctx, conn)
}

// mark notes the newest event of each account when the listener first
// connects. Nothing stored before then needs a wake-up: streams and the
// dispatcher read the store when they start.
func (l *eventListener) mark(ctx context.Context, conn *pgx.Conn) error {
	rows, _ := conn.Query(ctx, `SELECT a.id, COALESCE((SELECT max(e.id) FROM call_events e WHERE e.account_id = a.id), 0)
		FROM accounts a`)
	seen := map[int64]int64{}
	var accountID, eventID int64
	_, err := pgx.ForEachRow(rows, []any{&accountID, &eventID}, func() error {
		seen[accountID] = eventID
		return nil
	})
	if err != nil {
		return fmt.Errorf("newest events: %w", err)
	}
	l.seen = seen
	return nil
}

// catchUp wakes the calls that had events stored while nobody listened:
// those with an id above the highest seen of their account (0 for an
// account seen nowhere yet: created since). Within an account ids become
// visible in the order they grow (see lockEventsQuery) and notifications come
// in commit order, so every event at or below that id was reported.
// Events stored since LISTEN may be reported twice; a wake-up too many
// only costs a read.
func (l *eventListener) catchUp(ctx context.Context, conn *pgx.Conn) error {
	accounts := make([]int64, 0, len(l.seen))
	after := make([]int64, 0, len(l.seen))
	for a, id := range l.seen {
		accounts, after = append(accounts, a), append(after, id)
	}
	rows, _ := conn.Query(ctx, `
		SELECT e.account_id, e.call_id, max(e.id)
		FROM accounts a
		LEFT JOIN unnest($1::bigint[], $2::bigint[]) AS seen (account_id, id) ON seen.account_id = a.id
		JOIN call_events e ON e.account_id = a.id AND e.id > COALESCE(seen.id, 0)
		GROUP BY e.account_id, e.call_id
		ORDER BY max(e.id)`, accounts, after)
	var missed []eventNotice
	var n eventNotice
	_, err := pgx.ForEachRow(rows, []any{&n.AccountID, &n.CallID, &n.EventID}, func() error {
		missed = append(missed, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("events missed: %w", err)
	}
	if len(missed) > 0 {
		l.log.Info("event notifications: waking the calls with events stored while not listening", "calls", len(missed))
	}
	for _, m := range missed {
		l.report(m)
	}
	return nil
}

// receive handles notifications until the connection fails or ctx ends.
func (l *eventListener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, l.idleCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			l.handle(n.Payload)
		case errors.Is(err, context.DeadlineExceeded):
			// Only quiet: waiting with a deadline leaves the connection
			// usable. Make sure the server is still there.
			if err := l.ping(ctx, conn); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

func (l *eventListener) ping(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, l.queryTimeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

func (l *eventListener) handle(payload string) {
	var n eventNotice
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.AccountID == 0 || n.CallID == "" {
		l.log.Debug("event notifications: payload not understood, ignored", "payload", payload)
		return
	}
	if n.Schema != l.schema {
		return
	}
	l.report(n)
}

func (l *eventListener) report(n eventNotice) {
	l.seen[n.AccountID] = max(l.seen[n.AccountID], n.EventID)
	l.wake(n.AccountID, n.CallID)
}

// close ends conn without waiting long on a server that does not answer.
func (l *eventListener) close(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}
