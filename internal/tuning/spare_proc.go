package tuning

import "runtime"

// SpareProc runs Go code on one P more than Go would by default (the
// CPUs the process may use): a goroutine made runnable by the network
// then finds a P free while the others run long stretches of work, and
// the operating system shares the cores among the threads. It returns a
// function that puts the number back.
func SpareProc() (restore func()) {
	before := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(before + 1)
	return func() { runtime.GOMAXPROCS(before) }
}
