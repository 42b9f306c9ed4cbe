package rig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// SIPp is a SIPp process playing a UAS scenario on loopback, in a
// directory of its own that holds the scenario, its output (output.log),
// errors (errors.log) and statistics (stat.csv).
type SIPp struct {
	Name string
	Dir  string
	Port int
	*Child
}

// StartSIPp runs scenario (a text/template filled with vars) as a UAS on
// 127.0.0.1:port with media ports from mediaPort, in parent/name. extra
// are more SIPp options (message traces, a receive timeout...).
func StartSIPp(parent, name, scenario string, vars any, port, mediaPort int, extra ...string) (*SIPp, error) {
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
	args := append([]string{"-sf", "scenario.xml",
		"-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(port), "-mp", strconv.Itoa(mediaPort),
		// The default 64 KiB socket buffer drops datagrams at these rates.
		"-buff_size", "4194304",
		"-nostdin",
		"-trace_err", "-error_file", "errors.log",
		"-trace_stat", "-stf", "stat.csv", "-fd", "1",
	}, extra...)
	cmd := exec.Command("sipp", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	child, err := StartChild(cmd, out)
	if err != nil {
		return nil, fmt.Errorf("start sipp %s: %w", name, err)
	}
	// SIPp binds its ports at once: a moment later it is either up or gone.
	select {
	case <-child.Done():
		b, _ := os.ReadFile(filepath.Join(dir, "output.log"))
		// SIPp says why at the top, then prints its empty screen.
		return nil, fmt.Errorf("sipp %s exited at start:\n%s", name, firstBytes(string(b), 2000))
	case <-time.After(300 * time.Millisecond):
	}
	return &SIPp{Name: name, Dir: dir, Port: port, Child: child}, nil
}

// Stop ends SIPp with SIGTERM, on which it writes out its traces and
// exits. Stopping twice is harmless.
func (s *SIPp) Stop() { s.Child.Stop(5 * time.Second) }

func firstBytes(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Counters reads the named columns (e.g. "FailedCall(C)", SIPp's
// cumulative counters) from the last line of stat.csv.
func (s *SIPp) Counters(columns ...string) ([]int, error) {
	f, err := os.Open(filepath.Join(s.Dir, "stat.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var header, last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if header == "" {
			header = sc.Text()
		} else if sc.Text() != "" {
			last = sc.Text()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if last == "" {
		return nil, fmt.Errorf("sipp %s: no statistics yet", s.Name)
	}
	names, fields := strings.Split(header, ";"), strings.Split(last, ";")
	out := make([]int, len(columns))
	for j, want := range columns {
		i := slices.Index(names, want)
		if i < 0 || i >= len(fields) {
			return nil, fmt.Errorf("sipp %s: no %s in stat.csv", s.Name, want)
		}
		if out[j], err = strconv.Atoi(fields[i]); err != nil {
			return nil, fmt.Errorf("sipp %s: %s: %w", s.Name, want, err)
		}
	}
	return out, nil
}
