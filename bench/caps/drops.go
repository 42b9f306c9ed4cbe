package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// udpDrops is the number of datagrams the kernel dropped, for lack of
// receive buffer, at the loopback UDP sockets bound to ports: the last
// column of /proc/net/udp. A call lost this way shows as a failure; this
// says where it was lost.
func udpDrops(ports ...int) (int, error) {
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
