package main

import "runtime"

// numCPU is the cores the servers share. Neither is given GOMAXPROCS:
// the bare handler runs with Go's default (the cores), sipsim with its own
// (one more, internal/tuning), as each would in production.
func numCPU() int { return runtime.NumCPU() }
