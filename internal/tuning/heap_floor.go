package tuning

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// liveHeapMetric is the heap the last collection found reachable.
const liveHeapMetric = "/gc/heap/live:bytes"

// HeapFloor lets the heap grow to floor bytes before the collector runs,
// for as long as Go's default (a collection each time the heap doubles)
// would run it sooner: after each collection the GC percentage is set so
// that the next one starts when the heap reaches floor, or at Go's
// default when twice the live heap is already more than floor. Memory
// is bounded by the larger of the two; GOMEMLIMIT still applies on top.
//
// A busy node collects several times less often for a bounded amount of
// memory; an idle one may hold up to floor before it collects. It
// returns a function that puts the GC percentage back and stops.
func HeapFloor(floor uint64) (stop func()) {
	f := &heapFloor{floor: floor, before: debug.SetGCPercent(100)}
	f.afterGC()
	return f.stop
}

type heapFloor struct {
	floor  uint64
	before int // the GC percentage before HeapFloor

	mu      sync.Mutex
	stopped bool
}

// afterGC sets the GC percentage for the live heap now, and arms itself
// to run again after the next collection: a finalizer runs once the
// collector has found its object unreachable, that is, after each cycle.
func (f *heapFloor) afterGC() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	debug.SetGCPercent(percentForFloor(f.floor, liveHeap()))
	// Large enough not to be batched with other tiny objects, whose
	// finalizers may never run.
	sentinel := new([16]uintptr)
	runtime.SetFinalizer(sentinel, func(*[16]uintptr) { go f.afterGC() })
}

func (f *heapFloor) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped {
		f.stopped = true
		debug.SetGCPercent(f.before)
	}
}

// percentForFloor is the GC percentage that starts the next collection
// when the heap reaches floor, given live bytes: never below Go's
// default of 100.
func percentForFloor(floor, live uint64) int {
	if live == 0 || floor <= 2*live {
		return 100
	}
	const most = 1 << 20 // a live heap of a few bytes: any large value does
	return int(min(floor*100/live-100, most))
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: liveHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
