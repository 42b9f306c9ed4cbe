// Package storetest is the contract test suite every store passes (SQLite
// now, PostgreSQL later), so that no behaviour exists in one backend only.
//
// Beyond the method comments of the sipsim store interfaces, the suite pins
// down what callers rely on:
//   - CreatePhone, UpdatePhone, CreateCall, UpdateCall, SaveRegistration and
//     CreateToken stamp CreatedAt/UpdatedAt from the clock the store was
//     opened with, and set them on the value passed in.
//   - Times come back as the same instants at microsecond precision (the
//     suite's clock only ever reads whole microseconds).
//   - Nil pointers and a nil Group come back nil; set ones come back set.
//   - A binding is live while now is before its ExpiresAt.
//   - Event ids grow in the order events are stored, across calls.
//   - Deleting a phone keeps its calls.
//   - CreateTag, UpdateTag, CreateWebhook and BeginIdempotent stamp their
//     times from the store's clock; RecordAttempt stamps the delivery's
//     UpdatedAt.
//   - Calls: CreatedAfter is inclusive and CreatedBefore exclusive, so
//     consecutive windows neither overlap nor leave a gap; Limit <= 0 means
//     25. Call, Calls, ActiveCall, RecentCall and ActiveCalls load tags,
//     ordered by name; UpdateCall sets c.Tags to the call's stored tags.
//   - CreateCall and UpdateCall set ev.Call to the store's snapshot of the
//     call as saved (store timestamps, tags at that moment), whatever the
//     caller put there, and Events and CallEvents return it unchanged later.
//   - A delivery is due at its event's time. RecordAttempt changes only a
//     pending delivery (a finished one keeps its status) but always logs.
//   - Expired idempotency keys (ExpiresAt at or before the store's clock)
//     count as absent. FinishIdempotent on a key not in flight is
//     ENOTFOUND.
//   - Heartbeat stamps HeartbeatAt from the store's clock. A node is dead
//     once its heartbeat is at or before staleBefore, or once removed;
//     calls carry their node (NodeID) and dispatch options through every
//     write and read, and each dispatched call, and each orphaned call's
//     end, is taken by exactly one of several concurrent callers.
//   - CreateAudioFile stamps CreatedAt from the store's clock and sets
//     SizeBytes to the content's length; only phones of the file's own
//     account make DeleteAudioFile refuse.
//   - A call's NodeID fences it: UpdateCall writes only a call still run
//     by c.NodeID (ECONFLICT otherwise), and EndOrphanedCall, closing a
//     dead node's call once, clears it, so that node's late writes are
//     refused. EndUnclaimedCall ends a dispatched call no node has claimed
//     yet; of it and ClaimDispatchedCalls exactly one wins.
package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// Store is everything a backend implements.
type Store interface {
	sipsim.PhoneStore
	sipsim.RegistrationStore
	sipsim.CallStore
	sipsim.TokenStore
	sipsim.EventStore
	sipsim.TagStore
	sipsim.WebhookStore
	sipsim.IdempotencyStore
	sipsim.AudioFileStore
	sipsim.AccountStore
	sipsim.NodeStore
	sipsim.ListVersionStore
	MetricCounter
}

// MetricCounter is what metrics read of a store at scrape time: counts
// that take one indexed or bounded query each.
type MetricCounter interface {
	// LiveRegistrationCount returns how many bindings the node nodeID
	// took that have not expired at now.
	LiveRegistrationCount(ctx context.Context, nodeID string, now time.Time) (int, error)
	// PendingDeliveryCount returns how many webhook deliveries, of every
	// account, are pending.
	PendingDeliveryCount(ctx context.Context) (int, error)
}

// OtherAccountID is a second account every store under test has, so that
// the suite can check that accounts never see each other's data.
const OtherAccountID = sipsim.DefaultAccountID + 1

// OpenFunc returns a new store whose clock is now, and arranges for it to
// be closed when t ends. The store is empty apart from two accounts,
// sipsim.DefaultAccountID and OtherAccountID (the store interfaces cannot
// create accounts: the backend's test creates the second one).
type OpenFunc func(t *testing.T, now func() time.Time) Store

// Run runs the whole contract against stores made by open. Each test opens
// its own store.
func Run(t *testing.T, open OpenFunc) {
	t.Run("Phones", func(t *testing.T) { testPhones(t, open) })
	t.Run("Registrations", func(t *testing.T) { testRegistrations(t, open) })
	t.Run("Calls", func(t *testing.T) { testCalls(t, open) })
	t.Run("CallLimits", func(t *testing.T) { testCallLimits(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("OAuthClients", func(t *testing.T) { testOAuthClients(t, open) })
	t.Run("CallHistory", func(t *testing.T) { testCallHistory(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("Tags", func(t *testing.T) { testTags(t, open) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, open) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open) })
	t.Run("AudioFiles", func(t *testing.T) { testAudioFiles(t, open) })
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("Nodes", func(t *testing.T) { testNodes(t, open) })
	t.Run("MetricCounts", func(t *testing.T) { testMetricCounts(t, open) })
	t.Run("ListVersions", func(t *testing.T) { testListVersions(t, open) })
	t.Run("ConcurrentTokenReads", func(t *testing.T) { testConcurrentTokenReads(t, open) })
	t.Run("TokenAndListVersion", func(t *testing.T) { testTokenAndListVersion(t, open) })
}

// env is one test's store and the clock it was opened with.
type env struct {
	s     Store
	clock *Clock
	ctx   context.Context
}

func newEnv(t *testing.T, open OpenFunc) *env {
	t.Helper()
	c := NewClock(time.Date(2024, 1, 15, 10, 30, 0, 123456000, time.UTC))
	return &env{s: open(t, c.Now), clock: c, ctx: t.Context()}
}

// Clock is a controllable clock. It moves only when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d and returns the new reading.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// wantCode fails t unless err carries the sipsim error code code and, when
// msgPart is not empty, a message containing it.
func wantCode(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	if got := sipsim.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if msg := sipsim.ErrorMessage(err); !strings.Contains(msg, msgPart) {
		t.Fatalf("error message = %q, want it to contain %q", msg, msgPart)
	}
}

// must fails t on any error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantEqual fails t when got and want differ (times compared as instants).
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

func ptr[T any](v T) *T { return &v }
