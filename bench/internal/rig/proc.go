package rig

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// What the benchmarks read of a process, and of the machine, in /proc.

// ClockTick is the unit of the CPU times in /proc: USER_HZ, 100 on every
// Linux this runs on (sysconf would need cgo to ask).
const ClockTick = 10 * time.Millisecond

// ProcStat is what /proc/PID/stat says of a process that the benchmarks
// use.
type ProcStat struct {
	PGroup int           // process group
	CPU    time.Duration // utime + stime
	// ChildrenCPU is the CPU of the children it has reaped (cutime +
	// cstime).
	ChildrenCPU time.Duration
}

// ReadProcStat reads /proc/PID/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// the fields after its closing parenthesis start at field 3.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var n [5]int64 // fields 5, then 14-17: pgrp, utime, stime, cutime, cstime
	for i, field := range []string{f[2], f[11], f[12], f[13], f[14]} {
		if n[i], err = strconv.ParseInt(field, 10, 64); err != nil {
			return ProcStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return ProcStat{PGroup: int(n[0]), CPU: time.Duration(n[1]+n[2]) * ClockTick,
		ChildrenCPU: time.Duration(n[3]+n[4]) * ClockTick}, nil
}

// CPUTime is the user plus system CPU time a process has used so far.
func CPUTime(pid int) (time.Duration, error) {
	st, err := ReadProcStat(pid)
	return st.CPU, err
}

// CommandCPUTime is the user plus system CPU time used so far by every
// process named name (/proc/PID/comm), such as all of a PostgreSQL
// server's processes ("postgres"): its backends, writers and vacuum
// workers. A process that exited is counted in its parent's reaped
// children's time, which is added too: a backend whose connection closed
// during a step still counts, as PostgreSQL's postmaster reaps its
// backends. (Without it a step in which the pool replaced connections
// read less CPU at its end than at its start.)
func CommandCPUTime(name string) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue // gone since the listing, or another program
		}
		st, err := ReadProcStat(pid)
		if err != nil {
			continue // gone since the listing
		}
		total += st.CPU + st.ChildrenCPU
	}
	return total, nil
}

// RSSBytes is a process's resident set size (VmRSS).
func RSSBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// UDPDrops is the number of datagrams the kernel dropped, for lack of
// receive buffer mostly, at the loopback UDP sockets bound to ports: the
// last column of /proc/net/udp. A message lost this way shows as a
// failure; this says where it was lost.
func UDPDrops(ports ...int) (int, error) {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, p := range ports {
		want[fmt.Sprintf("0100007F:%04X", p)] = true
	}
	total := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 || !want[f[1]] {
			continue
		}
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			return 0, fmt.Errorf("/proc/net/udp: %q", line)
		}
		total += n
	}
	return total, nil
}
