package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
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
	cmd  *exec.Cmd
	done chan struct{}
}

// startBare starts this program again as the bare handler's process,
// serving the bodies written to dir.
func startBare(ctx context.Context, dir string) (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "--bare-child", dir)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &bareServer{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		_ = cmd.Wait()
		close(b.done)
	}()
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("bare handler did not start: %w", err)
	}
	b.Addr = strings.TrimSpace(line)
	if ctx.Err() != nil {
		b.stop()
		return nil, ctx.Err()
	}
	return b, nil
}

func (b *bareServer) URL(path string) string { return "http://" + b.Addr + path }

func (b *bareServer) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}
