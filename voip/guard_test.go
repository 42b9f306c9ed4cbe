package voip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/sipsim/sipsim/storetest"
)

func testGuard(clock *storetest.Clock, capacity int) *sourceGuard {
	return newSourceGuard(clock.Now, slog.New(slog.DiscardHandler),
		guardLimits{failures: 3, window: time.Minute, ban: 10 * time.Minute, sources: capacity}, []netip.Addr{trunkAddr})
}

// trunkAddr is the carrier's address in the guard tests.
var trunkAddr = netip.MustParseAddr("192.0.2.10")

// Failures that claim to come from the carrier (UDP sources are easily
// forged) never ban it: its BYEs and in-dialog requests keep flowing.
func TestGuardNeverBansTheTrunk(t *testing.T) {
	g := testGuard(newFakeClock(), 100)
	for range 50 {
		g.authFailed("192.0.2.10:5060")
	}
	if g.banned(trunkAddr) {
		t.Fatal("the trunk's address was banned")
	}
	if n := g.tracked(); n != 0 {
		t.Fatalf("the trunk's failures were tracked (%d sources)", n)
	}
}

var (
	attacker = netip.MustParseAddr("192.0.2.66")
	neighbor = netip.MustParseAddr("192.0.2.77")
)

func TestGuardBansAfterRepeatedFailuresUntilTheBanEnds(t *testing.T) {
	clock := newFakeClock()
	g := testGuard(clock, 100)

	g.authFailed("192.0.2.66:5060")
	g.authFailed("192.0.2.66:5070") // another port is the same host
	if g.banned(attacker) {
		t.Fatal("banned after 2 failures, limit is 3")
	}
	g.authFailed("192.0.2.77:5060")
	if g.banned(attacker) || g.banned(neighbor) {
		t.Fatal("a failure from another address counted for this one")
	}
	g.authFailed("[::ffff:192.0.2.66]:5060") // IPv4-mapped: still the same host
	if !g.banned(attacker) {
		t.Fatal("not banned after 3 failures within the window")
	}
	if g.banned(neighbor) {
		t.Fatal("the ban spilled over to another address")
	}

	clock.Advance(10*time.Minute - time.Second)
	if !g.banned(attacker) {
		t.Fatal("ban lifted early")
	}
	clock.Advance(2 * time.Second)
	if g.banned(attacker) {
		t.Fatal("ban not lifted after 10 minutes")
	}
	// After the ban the count starts again from zero.
	g.authFailed("192.0.2.66:5060")
	if g.banned(attacker) {
		t.Fatal("banned again by a single failure after the ban ended")
	}
}

func TestGuardFailuresSpreadBeyondTheWindowDoNotBan(t *testing.T) {
	clock := newFakeClock()
	g := testGuard(clock, 100)
	for range 10 {
		g.authFailed("192.0.2.66:5060")
		clock.Advance(31 * time.Second) // at most 2 failures in any minute
		g.authFailed("192.0.2.66:5060")
		clock.Advance(31 * time.Second)
	}
	if g.banned(attacker) {
		t.Fatal("a phone retrying slowly was banned")
	}
}

func TestGuardMemoryIsBoundedUnderAFloodOfAddresses(t *testing.T) {
	clock := newFakeClock()
	g := testGuard(clock, 50)
	for range 3 {
		g.authFailed("192.0.2.66:5060")
	}
	if !g.banned(attacker) {
		t.Fatal("attacker not banned")
	}
	// Thousands of addresses fail once each (a spoofed flood); the banned
	// attacker keeps sending meanwhile.
	for i := range 10_000 {
		g.authFailed(fmt.Sprintf("10.%d.%d.%d:5060", i>>16&0xff, i>>8&0xff, i&0xff))
		if i%10 == 0 && !g.banned(attacker) {
			t.Fatalf("the flood lifted the ban of a source still sending (after %d addresses)", i)
		}
	}
	if n := g.tracked(); n > 50 {
		t.Fatalf("guard remembers %d addresses, cap is 50", n)
	}
}

func TestGuardIgnoresSourcesItCannotParse(t *testing.T) {
	g := testGuard(newFakeClock(), 10)
	for _, s := range []string{"", "garbage", "127.0.0.1", "[::1]"} {
		g.authFailed(s)
	}
	if n := g.tracked(); n != 0 {
		t.Fatalf("guard tracks %d unparsable sources", n)
	}
}

func TestConfigGuardLimitsDefaults(t *testing.T) {
	got := Config{}.guardLimits()
	want := guardLimits{failures: 10, window: time.Minute, ban: 10 * time.Minute, sources: 10_000}
	if got != want {
		t.Fatalf("zero Config gives %+v, want %+v", got, want)
	}
	got = Config{AuthFailureLimit: 3, AuthFailureWindow: time.Second, AuthBanDuration: time.Hour, AuthTrackedSources: 7}.guardLimits()
	want = guardLimits{failures: 3, window: time.Second, ban: time.Hour, sources: 7}
	if got != want {
		t.Fatalf("set Config gives %+v, want %+v", got, want)
	}
}
