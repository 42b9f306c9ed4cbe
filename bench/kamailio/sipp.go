package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

var (
	//go:embed agent.xml
	agentScenario string
	//go:embed carrier.xml
	carrierScenario string
)

// scenarioSettings fill the SIPp scenarios.
type scenarioSettings struct {
	HoldMS int64 // how long the carrier keeps a call up before its BYE
}

// sipp is one running SIPp UAS, in a directory of its own. It writes its
// cumulative statistics to stat.csv every second: that is where the
// benchmark reads how many calls it completed and failed.
type sipp struct {
	name string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startSIPp runs scenario (a template filled with vars) as a UAS on
// 127.0.0.1:port. recvTimeout fails a call that waits longer than that for
// any message, so that a lost one shows up as a failure, not as a call
// that never ends.
func startSIPp(parent, name, scenario string, vars scenarioSettings, port, mediaPort int, recvTimeout time.Duration) (*sipp, error) {
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
	s := &sipp{name: name, dir: dir, done: make(chan struct{})}
	s.cmd = exec.Command("sipp", "-sf", "scenario.xml",
		"-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", strconv.Itoa(port), "-mp", strconv.Itoa(mediaPort),
		// The default 64 KiB socket buffer drops datagrams at these rates.
		"-buff_size", "4194304",
		"-recv_timeout", strconv.FormatInt(recvTimeout.Milliseconds(), 10),
		"-nostdin",
		"-trace_err", "-error_file", "errors.log",
		"-trace_stat", "-stf", "stat.csv", "-fd", "1",
	)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = out, out
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
	// SIPp binds its ports at once: a moment later it is either up or gone.
	select {
	case <-s.done:
		b, _ := os.ReadFile(filepath.Join(dir, "output.log"))
		return nil, fmt.Errorf("sipp %s exited at start:\n%s", name, tail(string(b), 2000))
	case <-time.After(300 * time.Millisecond):
	}
	return s, nil
}

// stop ends SIPp with SIGTERM. Stopping twice is harmless.
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

// cpuTime is the CPU SIPp has used so far.
func (s *sipp) cpuTime() (time.Duration, error) {
	st, err := readProcStat(s.cmd.Process.Pid)
	return st.cpu, err
}

// callCounts are SIPp's cumulative counters of ended calls.
type callCounts struct {
	Successful, Failed int
}

func (c callCounts) minus(o callCounts) callCounts {
	return callCounts{c.Successful - o.Successful, c.Failed - o.Failed}
}

// counts reads the last line of stat.csv.
func (s *sipp) counts() (callCounts, error) {
	f, err := os.Open(filepath.Join(s.dir, "stat.csv"))
	if err != nil {
		return callCounts{}, err
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
		return callCounts{}, err
	}
	if last == "" {
		return callCounts{}, fmt.Errorf("sipp %s: no statistics yet", s.name)
	}
	columns := strings.Split(header, ";")
	fields := strings.Split(last, ";")
	value := func(name string) (int, error) {
		for i, c := range columns {
			if c == name && i < len(fields) {
				return strconv.Atoi(fields[i])
			}
		}
		return 0, fmt.Errorf("sipp %s: no %s in stat.csv", s.name, name)
	}
	var c callCounts
	if c.Successful, err = value("SuccessfulCall(C)"); err != nil {
		return c, err
	}
	c.Failed, err = value("FailedCall(C)")
	return c, err
}

func (s *sipp) errorsTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "errors.log"))
	return tail(string(b), 1500)
}

var (
	// eventStamp starts each event in SIPp's errors.log (events are not
	// always on lines of their own): a date, a time, a Unix time.
	eventStamp = regexp.MustCompile(`\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: `)
	// callID is any Call-ID in an event, quoted or not.
	callID = regexp.MustCompile(`'?[^ ',']+@127\.0\.0\.1'?`)
)

// failureKinds counts the kinds of events in SIPp's errors.log (Call-IDs
// and the messages' text left out), most frequent first, as lines.
func (s *sipp) failureKinds(limit int) []string {
	b, err := os.ReadFile(filepath.Join(s.dir, "errors.log"))
	if err != nil {
		return nil
	}
	text := string(b)
	counts := map[string]int{}
	stamps := eventStamp.FindAllStringIndex(text, -1)
	for i, at := range stamps {
		end := len(text)
		if i+1 < len(stamps) {
			end = stamps[i+1][0]
		}
		event, _, _ := strings.Cut(text[at[1]:end], "\n")
		if i := strings.Index(event, "received '"); i >= 0 {
			first, _, _ := strings.Cut(event[i+len("received '"):], " ")
			event = event[:i] + "received " + first
		}
		counts[callID.ReplaceAllString(event, "X")]++
	}
	kinds := slices.Collect(maps.Keys(counts))
	slices.SortFunc(kinds, func(a, b string) int { return counts[b] - counts[a] })
	var lines []string
	for _, k := range kinds[:min(limit, len(kinds))] {
		lines = append(lines, fmt.Sprintf("%6d  %s", counts[k], tail(k, 200)))
	}
	return lines
}
