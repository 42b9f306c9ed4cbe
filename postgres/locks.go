package postgres

// Advisory lock keys. The one-key form (bigint) and the two-key form
// (int, int) are separate key spaces in PostgreSQL, so the two cannot
// collide; the numbers spell "SIPSIM" and "EV" in ASCII, to be told apart
// from other applications' locks in pg_locks.
const (
	// migrationLockKey is held for a session while a node migrates.
	migrationLockKey int64 = 0x5349_5053_494d
	// eventLockClass is the first key of an account's event lock; the
	// second is the account (see lockEventsQuery).
	eventLockClass int32 = 0x4556
)

// lockEventsQuery takes an account's event lock (its class, then the
// account): it serializes, until the transaction ends, the transactions
// that insert events for one account, so that event ids become visible in the order
// they grow.
//
// Readers page by id: an SSE stream or a follower asks for the account's
// events with an id above the last it saw. A bigint identity hands out ids
// when rows are inserted, but rows become visible when their transactions
// commit, and with concurrent writers (several nodes, or goroutines of
// one) those orders differ: id 11 can commit while id 10 is still in
// flight, a reader moves past 11, and 10 is never read. Holding this lock
// from before the id is drawn until after the commit makes each event
// transaction draw its ids and commit before the next one of the account
// starts, so every id not yet visible is above every visible one.
//
// The lock is per account because every reader pages within one account;
// accounts do not wait for each other. Ids of different accounts may share
// a lock when they are 2^31 apart, which only serializes a little more.
// The lock is taken as late as possible, just before the event's insert,
// so that it is held only for the insert, the outbox rows and the commit.
const lockEventsQuery = `SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483648)::int)`
