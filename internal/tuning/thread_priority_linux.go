package tuning

import (
	"fmt"
	"runtime"
	"syscall"
)

const defaultBackgroundNice = 5

// onMainThread reports whether the calling goroutine, locked to its
// thread, is on the process's main thread. A variable so that a test can
// take the path a goroutine on the main thread takes.
var onMainThread = func() bool { return syscall.Gettid() == syscall.Getpid() }

// GoLowered runs fn on a new goroutine locked to a thread of its own whose
// priority is lower by steps of nice (its nice value rises by steps, at
// most to MaxNice; the rest of the process keeps its own). It returns once
// fn has started, or the error that kept it from starting. The goroutine
// never unlocks the thread: Go ends the thread with fn, so no other
// goroutine ever runs at the lower priority, and while it is locked Go
// starts its new threads from another, so they do not inherit it either.
//
// The thread is never the main one: ps shows the main thread's priority
// as the process's, and Go never ends that thread. A goroutine that finds
// itself there keeps it while a new goroutine, which then cannot be put
// on it, takes fn over.
func GoLowered(steps int, fn func()) error {
	if steps < 1 || steps > MaxNice {
		return fmt.Errorf("thread priority: %d steps of nice, want 1 to %d", steps, MaxNice)
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if onMainThread() {
			started <- GoLowered(steps, fn)
			runtime.UnlockOSThread()
			return
		}
		if err := lowerThisThread(steps); err != nil {
			runtime.UnlockOSThread()
			started <- fmt.Errorf("thread priority: %w", err)
			return
		}
		started <- nil
		fn()
	}()
	return <-started
}

// lowerThisThread raises the calling thread's nice value by steps.
func lowerThisThread(steps int) error {
	tid := syscall.Gettid()
	// The system call answers 20 - nice (glibc's getpriority turns it
	// back into the nice value; the syscall package does not).
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return err
	}
	// On Linux PRIO_PROCESS with a thread id sets that thread alone.
	return syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-raw+steps, MaxNice))
}
