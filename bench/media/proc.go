package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// machineBusy reads the CPU time all cores have spent not idle since
// boot, from the first line of /proc/stat (user nice system idle iowait
// irq softirq steal ...), in USER_HZ ticks.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("odd /proc/stat: %q", line)
	}
	var busy int64
	for i, v := range f[1:9] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("odd /proc/stat: %q", line)
		}
		if i != 3 && i != 4 { // idle and iowait
			busy += n
		}
	}
	return time.Duration(busy) * rig.ClockTick, nil
}

// checkFileLimit fails early when the relays could not open their
// sockets: each relay process holds 2 per call, and inherits this
// process's hard limit on open files at best (Go raises its own soft limit
// to the hard one; children get the soft limit the shell set, which
// "ulimit -n" shows).
func checkFileLimit(calls int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if need := uint64(2*calls + 1000); l.Max < need {
		return fmt.Errorf("%d calls need %d open files per relay; the limit is %d (ulimit -n)", calls, need, l.Max)
	}
	return nil
}

// softirqThreads is the CPU time of the kernel's ksoftirqd threads. On
// loopback the kernel delivers a packet in the sender's system call, so
// its cost shows in the sender's stime; when softirq work piles up (a
// busy machine) the kernel hands it to these threads instead, and the
// relay then looks cheaper than it is. Shown so that a reader can tell.
func softirqThreads() time.Duration {
	var total time.Duration
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "ksoftirqd/") {
			continue
		}
		if t, err := rig.CPUTime(pid); err == nil {
			total += t
		}
	}
	return total
}
