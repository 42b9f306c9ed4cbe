package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// gcLine is the heap part of a GODEBUG=gctrace=1 line: heap at the start
// of the collection, at its end, and live after it, in MB.
var gcLine = regexp.MustCompile(`gc (\d+) @.* (\d+)->(\d+)->(\d+) MB`)

// lastLiveHeap returns the live heap (MB) and number of the last garbage
// collection the server logged: the Go heap its data really holds, which
// RSS overstates by what the runtime has freed but not yet returned.
// The server has no metrics endpoint; gctrace is how the runtime tells.
func lastLiveHeap(logPath string) (liveMB, gcNum int, err error) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return 0, 0, err
	}
	all := gcLine.FindAllStringSubmatch(string(b), -1)
	if len(all) == 0 {
		return 0, 0, fmt.Errorf("no gctrace line in %s", logPath)
	}
	last := all[len(all)-1]
	gcNum, _ = strconv.Atoi(last[1])
	liveMB, _ = strconv.Atoi(last[4])
	return liveMB, gcNum, nil
}
