package e2e

import (
	"strings"
	"testing"

	"github.com/sipsim/sipsim/internal/proctest"
)

// With SQLite, serve runs its writer on one thread of lower priority
// (--sqlite-writer-nice, 5 by default on Linux) and every other thread at
// the process's own: what `ps -L -o tid,ni` shows an operator.
func TestServeRunsTheSQLiteWriterOnALowerPriorityThread(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		flags       []string
		wantLog     string
		wantLowered map[int]int // steps of nice below the process: threads so lowered
	}{
		{"default", nil, "writer_nice=5", map[int]int{5: 1}},
		{"set", []string{"--sqlite-writer-nice", "12"}, "writer_nice=12", map[int]int{12: 1}},
		{"off", []string{"--sqlite-writer-nice", "0"}, "writer_nice=0", map[int]int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverConfig{Flags: c.flags})
			if !strings.Contains(srv.logs.String(), c.wantLog) {
				t.Errorf("the log does not say %q:\n%s", c.wantLog, srv.logs.String())
			}
			lowered := loweredThreads(t, srv.pid())
			if len(lowered) != len(c.wantLowered) {
				t.Fatalf("threads by steps of nice below the process: %v, want %v", lowered, c.wantLowered)
			}
			for steps, n := range c.wantLowered {
				if lowered[steps] != n {
					t.Errorf("threads by steps of nice below the process: %v, want %v", lowered, c.wantLowered)
				}
			}
		})
	}
}

// The writer's priority is SQLite's: with PostgreSQL every thread of serve
// keeps the process's.
func TestServeOnPostgresLowersNoThread(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverConfig{Postgres: true})
	if lowered := loweredThreads(t, srv.pid()); len(lowered) != 0 {
		t.Fatalf("threads of serve on PostgreSQL by steps of nice below the process: %v, want none", lowered)
	}
}

func loweredThreads(t *testing.T, pid int) map[int]int {
	t.Helper()
	lowered, err := proctest.LoweredThreads(pid)
	if err != nil {
		t.Fatal(err)
	}
	return lowered
}
