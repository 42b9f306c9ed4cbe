package e2e

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// serve tunes Go's runtime for signalling latency (one P more than the
// cores, a heap floor) and says so at start; GOMAXPROCS and GOGC in its
// environment, or --heap-floor-mib 0, leave the matching part to Go.
func TestServeTellsHowItTunedTheRuntime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cfg   serverConfig
		wants []string
	}{
		{"defaults", serverConfig{},
			[]string{fmt.Sprintf("gomaxprocs=%d ", runtime.NumCPU()+1), `heap_floor="`, ` MiB"`}},
		{"operator's environment", serverConfig{Env: []string{"GOMAXPROCS=1", "GOGC=200"}},
			[]string{"gomaxprocs=1 ", `heap_floor="off (GOGC is set)"`}},
		{"floor turned off", serverConfig{Flags: []string{"--heap-floor-mib", "0"}},
			[]string{fmt.Sprintf("gomaxprocs=%d ", runtime.NumCPU()+1), "heap_floor=off"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, c.cfg)
			var line string
			for l := range strings.Lines(srv.logs.String()) {
				if strings.Contains(l, "msg=runtime ") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no runtime line in the log:\n%s", srv.logs.String())
			}
			for _, want := range c.wants {
				if !strings.Contains(line, want) {
					t.Errorf("runtime line %q lacks %q", strings.TrimSpace(line), want)
				}
			}
		})
	}
}
