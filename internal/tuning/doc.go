// Package tuning sets the Go runtime up for a server whose work is
// signalling with a latency budget: the post-dial delay (the customer
// dialled after the employee answers) is a few hundred microseconds of
// work, and its tail is set by what else holds the process's Ps when a
// SIP answer arrives. Traces of bench/caps at 200 calls/s on two cores
// showed the slow answers waiting while one P ran a garbage collector
// mark worker for milliseconds and the other ran the SQLite writer
// (pure Go, modernc.org/sqlite): fewer collections and one P more than
// there are cores (the operating system then shares the cores, and a
// thread woken by the network gets one in its turn) shortened that tail
// (docs/benchmarks.md, "Session 4"). Running the writer on a thread of
// lower priority (GoLowered) then took most of what was left
// ("Session 5").
//
// An operator's GOGC or GOMAXPROCS in the environment always wins over
// what this package would choose.
package tuning
