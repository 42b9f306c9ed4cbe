package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ,
// which is 100 on every Linux architecture Debian ships.
const clockTick = 10 * time.Millisecond

// procStat is what /proc/PID/stat says about one process.
type procStat struct {
	pgrp int
	cpu  time.Duration // utime + stime + cutime + cstime
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count the fields after its closing parenthesis (field 3 onwards).
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	pgrp, err := strconv.Atoi(fields[2]) // field 5
	if err != nil {
		return procStat{}, err
	}
	var ticks int64
	for _, f := range fields[11:15] { // fields 14-17: utime stime cutime cstime
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return procStat{}, err
		}
		ticks += n
	}
	return procStat{pgrp: pgrp, cpu: time.Duration(ticks) * clockTick}, nil
}

// groupMembers lists the processes of a process group.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(pid); err == nil && st.pgrp == pgid {
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
		st, err := readProcStat(pid)
		if err != nil {
			continue // exited between the listing and now
		}
		total += st.cpu
	}
	return total, nil
}

// udpDrops is the number of datagrams the kernel dropped for the UDP
// socket bound to 127.0.0.1:port (the last column of /proc/net/udp), full
// receive buffers mostly: where a lost message was lost.
func udpDrops(port int) (int, error) {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, err
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	total := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 || f[1] != local {
			continue
		}
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return 0, err
		}
		total += n
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
