package rig

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Child is a process a benchmark started: sipsim, SIPp, or this program
// again in another role. It gets SIGTERM if the benchmark dies without
// stopping it (kill -9 included), so that none is left behind.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// StartChild starts cmd; closers (its log file) are closed once it has
// exited.
func StartChild(cmd *exec.Cmd, closers ...io.Closer) (*Child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		closeAll(closers)
		return nil, err
	}
	return watch(cmd, closers), nil
}

// StartSelf starts this program again with args, and returns it with the
// first line it printed (where it listens). Its stderr is this one's.
func StartSelf(args ...string) (*Child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	// Read before Wait starts: Wait closes the pipe once the child exits.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	c := watch(cmd, nil)
	if err != nil {
		c.Stop(5 * time.Second)
		return nil, "", fmt.Errorf("%s %s did not start: %w", self, strings.Join(args, " "), err)
	}
	return c, strings.TrimSpace(line), nil
}

func watch(cmd *exec.Cmd, closers []io.Closer) *Child {
	c := &Child{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		closeAll(closers)
		close(c.done)
	}()
	return c
}

func closeAll(closers []io.Closer) {
	for _, c := range closers {
		c.Close()
	}
}

// Stop ends the child with SIGTERM, as an operator would, and with
// SIGKILL if it has not exited after grace. Stopping twice is harmless.
func (c *Child) Stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// Done is closed once the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Alive reports whether the child is still running.
func (c *Child) Alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// PID is the child's process id, for reading it in /proc.
func (c *Child) PID() int { return c.cmd.Process.Pid }
