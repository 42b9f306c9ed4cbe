package tuning

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentForFloor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		floor, live, base uint64
		want              int
	}{
		{512 * mib, 100 * mib, 100 * mib, 400}, // 412 would reach 512 MiB: bounded
		{512 * mib, 100 * mib, 128 * mib, 321}, // stacks and globals count: 100 + 128×3.21 = 511
		{512 * mib, 10 * mib, 110 * mib, 400},  // thousands of goroutines' stacks, little heap: bounded
		{512 * mib, 120 * mib, 130 * mib, 301}, // bench/caps at 200/s, steady
		{512 * mib, 256 * mib, 256 * mib, 100}, // doubling already reaches the floor
		{512 * mib, 400 * mib, 400 * mib, 100}, // past it: Go's default
		{512 * mib, 0, 0, 100},                 // nothing measured yet
		{512 * mib, 1, 1, 400},                 // a few bytes live: bounded
	} {
		if got := percentForFloor(c.floor, c.live, c.base); got != c.want {
			t.Errorf("percentForFloor(%d MiB, %d B live, %d B base) = %d, want %d", c.floor/mib, c.live, c.base, got, c.want)
		}
	}
}

// gcPercent reads the GC percentage (the runtime only tells it when it
// is set).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// After each collection the percentage is the one that puts the next at
// the floor; once stopped, the percentage from before comes back and
// later collections leave it alone.
func TestHeapFloorFollowsCollections(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	const floor = 1 << 30
	stop := HeapFloor(floor)

	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		live, base := gcBase()
		want := percentForFloor(floor, live, base)
		got := gcPercent()
		if got == want && got > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a collection GC percent = %d, want %d (live heap %d B, base %d B)", got, want, live, base)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}

	stop()
	if got := gcPercent(); got != 150 {
		t.Fatalf("after stop GC percent = %d, want the 150 from before", got)
	}
	runtime.GC()
	runtime.GC() // the finalizer armed before stop has had its turn
	time.Sleep(50 * time.Millisecond)
	if got := gcPercent(); got != 150 {
		t.Fatalf("a collection after stop set GC percent to %d", got)
	}
}

func TestSpareProc(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	restore := SpareProc()
	if got := runtime.GOMAXPROCS(0); got != before+1 {
		t.Fatalf("GOMAXPROCS = %d, want %d", got, before+1)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("GOMAXPROCS after restore = %d, want %d", got, before)
	}
}
