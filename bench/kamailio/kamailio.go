package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"text/template"
	"time"
)

//go:embed kamailio.cfg
var kamailioConfig string

// kamailioSettings fill kamailio.cfg.
type kamailioSettings struct {
	Dir         string // runtime files: the kamcmd control socket
	SIPPort     int    // UDP, for phones and the carrier
	HTTPPort    int    // TCP, JSON-RPC over HTTP for the CRM
	CarrierPort int    // the carrier SIPp's UDP port
	Password    string // every phone's digest password
	Children    int    // UDP worker processes
	TCPChildren int    // TCP (HTTP) worker processes
}

// kamailio is a running Kamailio: a main process and the workers it
// forks, all in one process group of their own so that every one of them
// can be counted and stopped.
type kamailio struct {
	cfg  kamailioSettings
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startKamailio writes the configuration, checks it with `kamailio -c`
// (a typo should fail the setup, not every call) and starts Kamailio in
// the foreground, as this user, logging to kamailio.log in s.Dir.
func startKamailio(s kamailioSettings) (*kamailio, error) {
	var cfg bytes.Buffer
	if err := template.Must(template.New("kamailio.cfg").Option("missingkey=error").Parse(kamailioConfig)).Execute(&cfg, s); err != nil {
		return nil, err
	}
	file := filepath.Join(s.Dir, "kamailio.cfg")
	if err := os.WriteFile(file, cfg.Bytes(), 0o640); err != nil {
		return nil, err
	}
	if out, err := exec.Command("kamailio", "-c", "-f", file).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kamailio -c: %w\n%s", err, tail(string(out), 2000))
	}
	k := &kamailio{cfg: s, log: filepath.Join(s.Dir, "kamailio.log"), done: make(chan struct{})}
	out, err := os.Create(k.log)
	if err != nil {
		return nil, err
	}
	// -DD: stay in the foreground but fork workers; -E: log to stderr.
	// -m 512: shared memory (transactions, dialogs, locations) with room
	// to spare, so that it is never what limits the rate.
	k.cmd = exec.Command("kamailio", "-DD", "-E", "-f", file, "-m", "512", "-M", "16")
	k.cmd.Dir = s.Dir
	k.cmd.Stdout, k.cmd.Stderr = out, out
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := k.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start kamailio: %w", err)
	}
	go func() {
		_ = k.cmd.Wait()
		out.Close()
		close(k.done)
	}()
	return k, nil
}

// stop sends SIGTERM to the main process, which stops its workers; any
// worker still there a few seconds later is killed with its group.
// Stopping twice is harmless.
func (k *kamailio) stop() {
	pgid := k.cmd.Process.Pid
	select {
	case <-k.done:
	default:
		_ = k.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-k.done:
		case <-time.After(5 * time.Second):
		}
	}
	if len(groupMembers(pgid)) > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

func (k *kamailio) alive() bool {
	select {
	case <-k.done:
		return false
	default:
		return true
	}
}

func (k *kamailio) logTail() string {
	b, _ := os.ReadFile(k.log)
	return tail(string(b), 3000)
}

// cpuTime is the CPU Kamailio has used so far, workers included.
func (k *kamailio) cpuTime() (time.Duration, error) {
	return groupCPU(k.cmd.Process.Pid)
}

// controlSocket is the address kamcmd takes with -s, for looking at a
// running benchmark's Kamailio by hand.
func (k *kamailio) controlSocket() string {
	return "unix:" + filepath.Join(k.cfg.Dir, "kamailio_ctl")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
