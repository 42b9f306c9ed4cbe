package tuning

import (
	"fmt"
	"runtime"
	"syscall"
)

const defaultBackgroundNice = 5

// LowerThreadPriority locks the calling goroutine to its thread and lowers
// that thread's priority by steps of nice (its nice value rises by steps,
// at most to MaxNice; the rest of the process keeps its own). The
// goroutine must never unlock the thread: Go then ends the thread with the
// goroutine, so no other goroutine ever runs at the lower priority.
// Threads Go creates while this one is locked are made by another, so
// they do not inherit its priority either.
func LowerThreadPriority(steps int) error {
	if steps < 1 || steps > MaxNice {
		return fmt.Errorf("thread priority: %d steps of nice, want 1 to %d", steps, MaxNice)
	}
	runtime.LockOSThread()
	tid := syscall.Gettid()
	// The system call answers 20 - nice (glibc's getpriority turns it
	// back into the nice value; the syscall package does not).
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err == nil {
		// On Linux PRIO_PROCESS with a thread id sets that thread alone.
		err = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-raw+steps, MaxNice))
	}
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("thread priority: %w", err)
	}
	return nil
}
