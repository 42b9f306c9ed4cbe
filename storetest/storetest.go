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
}

// OpenFunc returns a new, empty store (apart from the default account)
// whose clock is now, and arranges for it to be closed when t ends.
type OpenFunc func(t *testing.T, now func() time.Time) Store

// Run runs the whole contract against stores made by open. Each test opens
// its own store.
func Run(t *testing.T, open OpenFunc) {
	t.Run("Phones", func(t *testing.T) { testPhones(t, open) })
	t.Run("Registrations", func(t *testing.T) { testRegistrations(t, open) })
	t.Run("Calls", func(t *testing.T) { testCalls(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
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
