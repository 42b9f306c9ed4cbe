package main

import (
	"log/slog"
	"runtime"
	"strconv"
	"sync"

	"github.com/sipsim/sipsim/internal/tuning"
)

// tuned counts the servers running in this process with the runtime
// tuned: the first tunes it, the last puts it back (tests run several).
var tuned struct {
	sync.Mutex
	servers int
	undo    []func()
}

// tuneRuntime sets the runtime up for short signalling latency
// (internal/tuning), leaving alone what the operator set in the
// environment, and returns what undoes it.
func tuneRuntime(heapFloorMiB int, getenv func(string) string, log *slog.Logger) (undo func()) {
	tuned.Lock()
	defer tuned.Unlock()
	floorBytes := tuning.CapToMemory(uint64(heapFloorMiB) << 20)
	useFloor := getenv("GOGC") == "" && heapFloorMiB > 0
	floor := "off"
	switch {
	case getenv("GOGC") != "":
		floor = "off (GOGC is set)"
	case useFloor:
		floor = strconv.FormatUint(floorBytes>>20, 10) + " MiB"
	}
	if tuned.servers == 0 {
		if getenv("GOMAXPROCS") == "" {
			tuned.undo = append(tuned.undo, tuning.SpareProc())
		}
		if useFloor {
			tuned.undo = append(tuned.undo, tuning.HeapFloor(floorBytes))
		}
	}
	tuned.servers++
	log.Info("runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "heap_floor", floor)
	return func() {
		tuned.Lock()
		defer tuned.Unlock()
		if tuned.servers--; tuned.servers == 0 {
			for _, u := range tuned.undo {
				u()
			}
			tuned.undo = nil
		}
	}
}
