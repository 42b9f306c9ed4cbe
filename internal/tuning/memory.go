package tuning

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// CapToMemory is floor, but no more than a quarter of the memory this
// process may use (the cgroup's limit, else the machine's): on a small
// machine the floor must not be what exhausts it. The files are the
// kernel's; where they cannot be read, floor is kept.
func CapToMemory(floor uint64) uint64 {
	mem := cgroupLimit("/sys/fs/cgroup/memory.max")
	if total := memTotal("/proc/meminfo"); total > 0 && (mem == 0 || total < mem) {
		mem = total
	}
	if mem == 0 {
		return floor
	}
	return min(floor, mem/4)
}

// cgroupLimit reads a cgroup v2 memory.max: a byte count, or "max" (no
// limit, 0 here).
func cgroupLimit(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// memTotal reads MemTotal from a /proc/meminfo, in bytes.
func memTotal(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
