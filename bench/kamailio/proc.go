package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// groupMembers lists the processes of a process group.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := rig.ReadProcStat(pid); err == nil && st.PGroup == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// groupCPU sums the CPU time of every process in a process group, with
// the children each has reaped: Kamailio's main process and its workers.
func groupCPU(pgid int) (time.Duration, error) {
	var total time.Duration
	pids := groupMembers(pgid)
	if len(pids) == 0 {
		return 0, fmt.Errorf("no process left in group %d", pgid)
	}
	for _, pid := range pids {
		st, err := rig.ReadProcStat(pid)
		if err != nil {
			continue // exited between the listing and now
		}
		total += st.CPU + st.ChildrenCPU
	}
	return total, nil
}

// loadAverage is the machine's one-minute load average: a busy machine
// (other benchmarks, builds) makes every number here worse.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(string(b), " ")
	return first
}
