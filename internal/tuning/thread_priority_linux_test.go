package tuning

import (
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/sipsim/sipsim/internal/proctest"
)

// threadNice reads the nice value of thread tid of this process, as ps
// and top show it.
func threadNice(t *testing.T, tid int) int {
	t.Helper()
	nices, err := proctest.ThreadNices(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return nices[tid]
}

// lowered is what fn saw of its thread under GoLowered.
type lowered struct{ tid, nice int }

// runLowered runs GoLowered(steps) with an fn that reports its thread,
// then waits for fn to end (and so its thread).
func runLowered(t *testing.T, steps int) lowered {
	t.Helper()
	seen := make(chan lowered, 1)
	release := make(chan struct{})
	if err := GoLowered(steps, func() {
		tid := syscall.Gettid()
		seen <- lowered{tid, threadNice(t, tid)}
		<-release
	}); err != nil {
		t.Fatal(err)
	}
	l := <-seen
	close(release)
	return l
}

func TestGoLowered(t *testing.T) {
	runtime.LockOSThread() // so that this goroutine's readings are of one thread
	defer runtime.UnlockOSThread()
	me := syscall.Gettid()
	before := threadNice(t, me)
	got := runLowered(t, 5)
	if want := min(before+5, MaxNice); got.nice != want {
		t.Errorf("fn's thread runs at nice %d, want %d", got.nice, want)
	}
	if got.tid == os.Getpid() {
		t.Errorf("fn runs on the main thread")
	}
	if after := threadNice(t, me); after != before {
		t.Errorf("the caller's thread went from nice %d to %d; only fn's thread may change", before, after)
	}
}

// A goroutine that lands on the main thread keeps it while another takes
// fn over on a thread of its own.
func TestGoLoweredLeavesTheMainThread(t *testing.T) {
	var held int // the thread the first goroutine was on, taken as the main one
	isMain := onMainThread
	onMainThread = func() bool {
		if held == 0 {
			held = syscall.Gettid()
			return true
		}
		return isMain() // the next goroutine may land on the real one
	}
	defer func() { onMainThread = isMain }()
	got := runLowered(t, 3)
	if held == 0 || got.tid == held {
		t.Errorf("fn ran on thread %d, the one taken as main (%d); want another", got.tid, held)
	}
	if base := threadNice(t, os.Getpid()); got.nice != min(base+3, MaxNice) {
		t.Errorf("fn's thread runs at nice %d, want %d", got.nice, min(base+3, MaxNice))
	}
	if n := threadNice(t, held); n != threadNice(t, os.Getpid()) {
		t.Errorf("the thread taken as main was left at nice %d", n)
	}
}

func TestGoLoweredRefusesOutOfRange(t *testing.T) {
	for _, steps := range []int{0, -1, MaxNice + 1} {
		if err := GoLowered(steps, func() { t.Errorf("fn ran with %d steps", steps) }); err == nil {
			t.Errorf("GoLowered(%d) = nil, want an error", steps)
		}
	}
}
