package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// sippConfig is one SIPp process: a scenario from sipp/, where it listens,
// and what it is given.
type sippConfig struct {
	Name        string // "phone", "carrier": labels logs
	Scenario    string // file name under sipp/
	OOCScenario string // out-of-call scenario (-oocsf), optional
	Remote      string // host:port to send to; empty for a UAS
	Port        int    // local SIP port
	MediaPort   int    // -mp: RTP port (SIPp also uses MediaPort+2)
	// Vars fills scenarios written as Go templates ({{.Caller}}...).
	Vars map[string]string
	// Files are written to the working directory (rtp_stream audio).
	Files map[string][]byte
	Args  []string // further options: -m, -d, -rtp_echo...
}

// sippProc is a running SIPp, ended at cleanup. Its traces stay in Dir and
// are printed when the test fails.
type sippProc struct {
	t    testing.TB
	name string
	Dir  string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	code int
}

func startSIPp(t testing.TB, cfg sippConfig) *sippProc {
	t.Helper()
	requirePeers(t, "sipp")
	dir, err := os.MkdirTemp(t.TempDir(), cfg.Name+"-")
	if err != nil {
		t.Fatal(err)
	}
	renderScenario(t, cfg.Scenario, dir, cfg.Vars)
	args := []string{}
	if cfg.Remote != "" {
		args = append(args, cfg.Remote)
	}
	args = append(args, "-sf", cfg.Scenario)
	if cfg.OOCScenario != "" {
		renderScenario(t, cfg.OOCScenario, dir, cfg.Vars)
		args = append(args, "-oocsf", cfg.OOCScenario)
	}
	for name, b := range cfg.Files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args = append(args,
		"-i", "127.0.0.1", "-mi", "127.0.0.1",
		"-p", fmt.Sprint(cfg.Port), "-mp", fmt.Sprint(cfg.MediaPort),
		"-nostdin",
		"-trace_msg", "-message_file", "messages.log",
		"-trace_err", "-error_file", "errors.log",
		"-trace_screen", "-screen_file", "screen.log",
	)
	args = append(args, cfg.Args...)

	p := &sippProc{t: t, name: cfg.Name, Dir: dir, out: &lockedBuffer{}, done: make(chan struct{}), code: -1}
	p.cmd = exec.Command("sipp", args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start sipp %s: %v", cfg.Name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("sipp %s: sipp %s\n%s", p.name, strings.Join(args, " "), p.report())
		}
	})
	return p
}

// renderScenario copies a scenario into dir, filling template fields.
func renderScenario(t testing.TB, name, dir string, vars map[string]string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, vars); err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wait waits for SIPp to exit by itself and returns its exit code (0: every
// call succeeded, 1: some failed). Running past timeout fails the test.
func (p *sippProc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.t.Fatalf("sipp %s still running after %v", p.name, timeout)
		return -1
	}
}

func (p *sippProc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// report gathers SIPp's screen, errors and message trace for a failure.
func (p *sippProc) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- exit code: %d\n--- output:\n%s\n", p.code, tail(p.out.String(), 6000))
	for _, f := range []string{"errors.log", "messages.log"} {
		data, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s:\n%s\n", f, tail(string(data), 30000))
	}
	return b.String()
}

// oocNote is how SIPp's error log tells that an out-of-call scenario was
// used: information, not an error.
var oocNote = regexp.MustCompile(`\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: Received out-of-call \w+ message, using the out-of-call scenario`)

// errors returns SIPp's error log without the notes that are not errors.
func (p *sippProc) errors() string {
	data, _ := os.ReadFile(filepath.Join(p.Dir, "errors.log"))
	s := strings.ReplaceAll(string(data), "The following events occurred:", "")
	return strings.TrimSpace(oocNote.ReplaceAllString(s, ""))
}

// sipMsg is one message from SIPp's trace.
type sipMsg struct {
	Sent      bool
	FirstLine string
	Text      string
}

// messages parses SIPp's message trace (-trace_msg).
func (p *sippProc) messages() []sipMsg {
	data, _ := os.ReadFile(filepath.Join(p.Dir, "messages.log"))
	var msgs []sipMsg
	for _, block := range strings.Split(string(data), "----------------------------------------------- ") {
		head, body, ok := strings.Cut(block, "\n\n")
		if !ok {
			continue
		}
		lines := strings.Split(head, "\n")
		if len(lines) < 2 {
			continue
		}
		m := sipMsg{Sent: strings.Contains(lines[1], "message sent"), Text: strings.TrimSpace(body)}
		m.FirstLine, _, _ = strings.Cut(m.Text, "\n")
		m.FirstLine = strings.TrimSpace(m.FirstLine)
		msgs = append(msgs, m)
	}
	return msgs
}

// received returns the requests of a method that SIPp received.
func (p *sippProc) received(method string) []sipMsg {
	var out []sipMsg
	for _, m := range p.messages() {
		if !m.Sent && strings.HasPrefix(m.FirstLine, method+" ") {
			out = append(out, m)
		}
	}
	return out
}

// receivedResponses returns the status codes SIPp received, in order.
func (p *sippProc) receivedResponses() []string {
	var out []string
	for _, m := range p.messages() {
		if !m.Sent && strings.HasPrefix(m.FirstLine, "SIP/2.0 ") {
			code, _, _ := strings.Cut(strings.TrimPrefix(m.FirstLine, "SIP/2.0 "), " ")
			out = append(out, code)
		}
	}
	return out
}

// header returns the first value of a header in a SIP message's text.
func (m sipMsg) header(name string) string {
	for _, line := range strings.Split(m.Text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// receivedRequests lists the methods of the requests SIPp received, in
// order, for failure messages.
func (p *sippProc) receivedRequests() []string {
	var out []string
	for _, m := range p.messages() {
		if !m.Sent && !strings.HasPrefix(m.FirstLine, "SIP/2.0") {
			method, _, _ := strings.Cut(m.FirstLine, " ")
			out = append(out, method)
		}
	}
	return out
}
