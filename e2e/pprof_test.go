package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// --pprof-addr serves Go's profiler on its own address, for whoever
// profiles the server; the API's address never serves it.
func TestProfilerOnlyWhereAsked(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	srv := startServer(t, serverConfig{Flags: []string{"--pprof-addr", addr}})

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + addr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on --pprof-addr = %d, want 200 with the profiles listed", code)
	}
	if code, body := get("http://" + addr + "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile = %d, want 200", code)
	}
	if code, _ := get("http://" + srv.HTTPAddr + "/debug/pprof/"); code == http.StatusOK {
		t.Errorf("the API's address serves the profiler (status %d)", code)
	}
}
