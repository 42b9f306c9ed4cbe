package tuning

import (
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/sipsim/sipsim/internal/proctest"
)

// threadNice reads the calling thread's nice value as ps and top show it.
func threadNice(t *testing.T) int {
	t.Helper()
	nices, err := proctest.ThreadNices(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return nices[syscall.Gettid()]
}

func TestLowerThreadPriority(t *testing.T) {
	runtime.LockOSThread() // so that this goroutine's readings are of one thread
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	lowered := make(chan int)
	go func() {
		if err := LowerThreadPriority(5); err != nil {
			t.Error(err)
			close(lowered)
			return
		}
		lowered <- threadNice(t)
	}()
	got, ok := <-lowered
	if !ok {
		return
	}
	if want := min(before+5, MaxNice); got != want {
		t.Errorf("the lowered thread's nice = %d, want %d", got, want)
	}
	if after := threadNice(t); after != before {
		t.Errorf("the caller's thread went from nice %d to %d; only the lowered goroutine's thread may change", before, after)
	}
}

func TestLowerThreadPriorityRefusesOutOfRange(t *testing.T) {
	for _, steps := range []int{0, -1, MaxNice + 1} {
		if err := LowerThreadPriority(steps); err == nil {
			t.Errorf("LowerThreadPriority(%d) = nil, want an error", steps)
		}
	}
}
