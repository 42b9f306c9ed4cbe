package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// The bare handler is the yardstick: plain net/http answering each path
// with a fixed JSON body, the very bytes sipsim answered the same path
// with. It runs in a process of its own, as sipsim does, so that both
// servers get the same share of the machine and neither shares a Go
// scheduler with the load generator.

// bareBodies names the files (in the directory given to the child) whose
// contents the bare handler serves, by path.
var bareBodies = map[string]string{
	"/phones": "phones.json",
	"/calls":  "calls.json",
}

// serveBare is the child process: it serves the bodies in dir on a
// loopback port and prints the address on stdout. It runs until SIGTERM,
// which the parent sends when done or when it dies (Pdeathsig).
func serveBare(dir string) error {
	mux := http.NewServeMux()
	for path, file := range bareBodies {
		body, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return err
		}
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// bareServer is the running child.
type bareServer struct {
	Addr string
	proc *rig.Child
}

// startBare starts this program again as the bare handler's process,
// serving the bodies written to dir.
func startBare(ctx context.Context, dir string) (*bareServer, error) {
	proc, addr, err := rig.StartSelf("--bare-child", dir)
	if err != nil {
		return nil, err
	}
	b := &bareServer{Addr: addr, proc: proc}
	if ctx.Err() != nil {
		b.stop()
		return nil, ctx.Err()
	}
	return b, nil
}

func (b *bareServer) URL(path string) string { return "http://" + b.Addr + path }

func (b *bareServer) stop() { b.proc.Stop(5 * time.Second) }
