package main

import "runtime"

// numCPU is the GOMAXPROCS the servers start with: both are Go processes
// on this machine with no GOMAXPROCS set.
func numCPU() int { return runtime.NumCPU() }
