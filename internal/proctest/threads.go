// Package proctest reads what an operator would read of a process in
// /proc (Linux), for tests that check a process from the outside.
package proctest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ThreadNices returns the nice value of each thread of process pid, by
// thread id (the main thread's is pid): what `ps -L -o tid,ni` shows.
func ThreadNices(pid int) (map[int]int, error) {
	stats, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil || len(stats) == 0 {
		return nil, fmt.Errorf("threads of process %d: %v (%d found)", pid, err, len(stats))
	}
	nices := make(map[int]int, len(stats))
	for _, path := range stats {
		tid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) || (err == nil && len(b) == 0) {
			continue // the thread ended since the listing
		}
		if err != nil {
			return nil, err
		}
		// After the command name's closing parenthesis (the name may
		// hold any character) the fields start at the third, the state;
		// nice is the nineteenth.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 19-2 {
			return nil, fmt.Errorf("%s: %d fields", path, len(fields)+2)
		}
		if nices[tid], err = strconv.Atoi(fields[19-3]); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return nices, nil
}

// LoweredThreads counts the threads of process pid whose priority is
// below its main thread's, by how many steps of nice.
func LoweredThreads(pid int) (map[int]int, error) {
	nices, err := ThreadNices(pid)
	if err != nil {
		return nil, err
	}
	lowered := map[int]int{}
	for tid, nice := range nices {
		if steps := nice - nices[pid]; steps != 0 && tid != pid {
			lowered[steps]++
		}
	}
	return lowered, nil
}
