package main

import (
	"context"
	"log/slog"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/postgres"
)

// startEventRelay makes the events stored by every node of a PostgreSQL
// cluster wake this node's event bus, so that its event streams act on
// another node's events at once rather than at their next poll. (The
// webhook dispatcher lets these wake-ups pass: they carry no deliveries,
// and the node that stored an event wakes its own dispatcher for the
// deliveries it queued; see events.DispatcherConfig.Bus.) On SQLite there
// is one node, whose bus hears every event already: it does nothing. The
// returned stop ends the relay and waits for it.
//
// The bus carries wake-ups only: SSE streams read the store when woken,
// by account and (streams of one call) by call, and never use the rest of
// a bus event. So the relay publishes an event with only the account and
// the call set. Events this node stored come back
// through the database as well and are published a second time; the
// second wake-up finds nothing new in the store and costs one read, which
// is cheaper than telling this node's notifications from the others'.
func startEventRelay(db store, bus sipsim.EventBus, log *slog.Logger) (stop func()) {
	pg, ok := db.(*postgres.DB)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pg.ListenEvents(ctx, log, func(accountID int64, callID string) {
			log.Debug("event stored, waking this node's streams", "account_id", accountID, "call_id", callID)
			bus.Publish(&sipsim.CallEvent{AccountID: accountID, CallID: callID})
		})
	}()
	return func() {
		cancel()
		<-done
	}
}
