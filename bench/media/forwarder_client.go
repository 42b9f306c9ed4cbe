package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// forwarderProc is the running minimal forwarder, seen from the generator.
type forwarderProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startForwarder starts this program again as the forwarder.
func startForwarder() (*forwarderProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "--forwarder")
	cmd.Stderr = os.Stderr
	// The forwarder dies with the benchmark, even on kill -9.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &forwarderProc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}, nil
}

func (f *forwarderProc) pid() int { return f.cmd.Process.Pid }

// add opens n calls in the forwarder and returns their port pairs.
func (f *forwarderProc) add(n int) ([][2]int, error) {
	if _, err := fmt.Fprintf(f.stdin, "add %d\n", n); err != nil {
		return nil, err
	}
	ports := make([][2]int, 0, n)
	for f.out.Scan() {
		if f.out.Text() == "ok" {
			if len(ports) != n {
				return nil, fmt.Errorf("forwarder opened %d calls, want %d", len(ports), n)
			}
			return ports, nil
		}
		var p [2]int
		if _, err := fmt.Sscanf(f.out.Text(), "%d %d", &p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("forwarder said %q: %w", f.out.Text(), err)
		}
		ports = append(ports, p)
	}
	return nil, fmt.Errorf("forwarder exited: %v", f.out.Err())
}

// stop ends the forwarder (closing stdin is its signal) and waits for it.
func (f *forwarderProc) stop() {
	f.stdin.Close()
	_ = f.cmd.Wait()
}
