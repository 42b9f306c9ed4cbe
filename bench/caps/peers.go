package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

var (
	//go:embed agent_answer.xml
	agentScenario string
	//go:embed carrier_answer_hangup.xml
	carrierScenario string
)

// sipp is one running SIPp UAS. It traces every message it sends and
// receives to messages.log, with microsecond wall-clock stamps: that file
// is where the on-the-wire latencies come from. Its statistics go to
// stat.csv every second, which is where its failed calls are read.
type sipp struct {
	Name string
	Dir  string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startSIPp runs scenario (a template filled with vars) as a UAS on
// 127.0.0.1:port, in a directory of its own under parent.
func startSIPp(parent, name, scenario string, vars any, port, mediaPort int) (*sipp, error) {
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, err
	}
	var xml bytes.Buffer
	if err := template.Must(template.New(name).Option("missingkey=error").Parse(scenario)).Execute(&xml, vars); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "scenario.xml"), xml.Bytes(), 0o640); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		return nil, err
	}
	s := &sipp{Name: name, Dir: dir, Port: port, done: make(chan struct{})}
	s.cmd = exec.Command("sipp", "-sf", "scenario.xml",
		"-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(port), "-mp", strconv.Itoa(mediaPort),
		// The default 64 KiB socket buffer drops datagrams at these rates.
		"-buff_size", "4194304",
		"-nostdin",
		"-trace_msg", "-message_file", "messages.log",
		"-trace_err", "-error_file", "errors.log",
		"-trace_stat", "-stf", "stat.csv", "-fd", "1",
	)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// SIPp gets SIGTERM if the benchmark dies without stopping it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start sipp %s: %w", name, err)
	}
	go func() {
		_ = s.cmd.Wait()
		out.Close()
		close(s.done)
	}()
	// SIPp binds its port at once; give it a moment and check it is alive.
	select {
	case <-s.done:
		b, _ := os.ReadFile(filepath.Join(dir, "output.log"))
		// SIPp says why at the top, then prints its empty screen.
		return nil, fmt.Errorf("sipp %s exited at start:\n%s", name, head(string(b), 1500))
	case <-time.After(300 * time.Millisecond):
	}
	return s, nil
}

// stop ends SIPp with SIGTERM, on which it writes out its traces and
// exits. Stopping twice is harmless.
func (s *sipp) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *sipp) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// failedCalls reads SIPp's cumulative failed-call counter from the last
// line of its statistics file.
func (s *sipp) failedCalls() (int, error) {
	f, err := os.Open(filepath.Join(s.Dir, "stat.csv"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var header, last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if header == "" {
			header = sc.Text()
		} else {
			last = sc.Text()
		}
	}
	if last == "" {
		return 0, fmt.Errorf("sipp %s: no statistics yet", s.Name)
	}
	col := -1
	for i, name := range strings.Split(header, ";") {
		if name == "FailedCall(C)" {
			col = i
		}
	}
	fields := strings.Split(last, ";")
	if col < 0 || col >= len(fields) {
		return 0, fmt.Errorf("sipp %s: no FailedCall(C) in stat.csv", s.Name)
	}
	return strconv.Atoi(fields[col])
}

func (s *sipp) messagesPath() string { return filepath.Join(s.Dir, "messages.log") }

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
