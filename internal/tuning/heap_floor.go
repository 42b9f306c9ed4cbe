package tuning

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The runtime's measures the next collection's start is computed from:
// it starts when the heap has grown by GOGC% of the live heap plus the
// stacks and globals the collector scanned.
var gcBaseMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// HeapFloor lets the heap grow to floor bytes before the collector runs,
// for as long as Go's default (a collection each time the heap doubles)
// would run it sooner: after each collection the GC percentage is set so
// that the next one starts when the heap reaches floor, or at Go's
// default when twice the live heap is already more than floor. Memory
// is bounded by the larger of the two; GOMEMLIMIT still applies on top.
//
// A busy node collects several times less often for a bounded amount of
// memory; a small heap grows at most fivefold between collections. It
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
	live, scanned := gcBase()
	debug.SetGCPercent(percentForFloor(f.floor, live, scanned))
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

// maxPercent bounds the GC percentage: the heap grows at most fivefold
// between collections. A small heap (a node just started, or idle) then
// does not wait for the floor, and a small error in what the runtime
// reports cannot be multiplied into hundreds of megabytes: at start, with
// 1 MB live, an unbounded percentage let the heap reach 928 MB before
// the first collection.
const maxPercent = 400

// percentForFloor is the GC percentage that starts the next collection
// when the heap reaches floor, given the live heap and the bytes the
// percentage applies to (the live heap, scanned stacks and globals): the
// runtime's goal is live + base×GOGC/100. Never below Go's default of
// 100, never above maxPercent.
func percentForFloor(floor, live, base uint64) int {
	if base == 0 || floor <= live+base {
		return 100
	}
	return max(100, int(min((floor-live)*100/base, maxPercent)))
}

// gcBase reads the live heap and the base of the GC percentage as of the
// last collection.
func gcBase() (live, base uint64) {
	s := make([]metrics.Sample, len(gcBaseMetrics))
	for i, name := range gcBaseMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var v [3]uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return v[0], v[0] + v[1] + v[2]
}
