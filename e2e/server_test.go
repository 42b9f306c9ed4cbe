package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverConfig is what a test chooses about the sipsim process; ports and
// the data directory are picked by startServer.
type serverConfig struct {
	// TrunkPort is the carrier's SIP port on 127.0.0.1; 0 means a port
	// where nobody listens.
	TrunkPort int
	// Flags are extra `serve` flags, e.g. "--agent-ring-timeout=3s".
	Flags []string
	// Env are extra environment variables of `serve`, e.g.
	// "SIPSIM_TRUNK_PASSWORD=…": settings that must not show in a process
	// list.
	Env []string
	// Postgres runs the server on a fresh schema of the test PostgreSQL
	// database (see newPostgresSchema) instead of SQLite in its data
	// directory; the administration commands use the same database.
	Postgres bool
	// DBURL, when set, is a PostgreSQL URL the server shares with the
	// other nodes of a cluster test (make it with newPostgresSchema before
	// starting them, so that it is dropped after they stop). It wins over
	// Postgres.
	DBURL string
}

// server is a running `sipsim serve` process. Restart keeps the ports and
// the data directory, as an operator restarting the service would.
type server struct {
	t        testing.TB
	cfg      serverConfig
	DataDir  string
	DBURL    string // --db: the PostgreSQL URL, or "" for SQLite in DataDir
	HTTPAddr string
	SIPPort  int
	RTPPorts string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *lockedBuffer // stdout+stderr of every run, in order
}

// pid is the process id of the running serve.
func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

func startServer(t testing.TB, cfg serverConfig) *server {
	t.Helper()
	if cfg.TrunkPort == 0 {
		cfg.TrunkPort = sipPeerPort(t)
	}
	rtp := freePorts(t, 40)
	s := &server{
		t:        t,
		cfg:      cfg,
		DataDir:  t.TempDir(),
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		SIPPort:  freePort(t),
		RTPPorts: fmt.Sprintf("%d-%d", rtp, rtp+39),
		logs:     &lockedBuffer{},
	}
	switch {
	case cfg.DBURL != "":
		s.DBURL = cfg.DBURL
	case cfg.Postgres:
		s.DBURL = newPostgresSchema(t)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("sipsim logs (%s):\n%s", s.DataDir, tail(s.logs.String(), 60000))
		}
	})
	s.start()
	return s
}

// args are the `serve` arguments; the defaults are those the brief of each
// test relies on, test flags come last so they win.
func (s *server) args() []string {
	a := []string{"serve",
		"--http-addr", s.HTTPAddr,
		"--sip-addr", fmt.Sprintf("127.0.0.1:%d", s.SIPPort),
		"--public-addr", "127.0.0.1",
		"--data-dir", s.DataDir,
		"--trunk", fmt.Sprintf("sip:127.0.0.1:%d", s.cfg.TrunkPort),
		"--rtp-ports", s.RTPPorts,
		// Tests that stop a node with calls in progress need not wait
		// out the default 30 s drain; a test's own flag comes later and
		// wins.
		"--drain-timeout", "5s",
		// The tests' webhook receivers listen on loopback, which
		// deliveries are otherwise refused.
		"--webhook-allow-networks", "127.0.0.0/8,::1/128",
	}
	a = append(a, s.dbFlags()...)
	return append(a, s.cfg.Flags...)
}

// dbFlags point a command at the server's database when it is not the
// SQLite file of the data directory.
func (s *server) dbFlags() []string {
	if s.DBURL == "" {
		return nil
	}
	return []string{"--db", s.DBURL}
}

// start runs the process and waits until GET /healthz answers 200.
func (s *server) start() {
	s.t.Helper()
	cmd := exec.Command(sipsimBin, s.args()...)
	cmd.Env = append(serverEnv(), s.cfg.Env...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	fmt.Fprintf(s.logs, "=== e2e: starting sipsim %s\n", strings.Join(s.args(), " "))
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start sipsim: %v", err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.logs, "=== e2e: sipsim exited: %v\n", err)
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			s.t.Fatalf("sipsim exited before it was healthy")
		default:
		}
		if healthy(s.URL("/healthz")) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sipsim not healthy at %s after 30s", s.URL("/healthz"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func healthy(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// serverEnv is this process's environment without SIPSIM_* settings that
// could point the server elsewhere (a developer's SIPSIM_DB, say); log
// settings are kept so that SIPSIM_LOG_LEVEL=debug works for e2e runs.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SIPSIM_") && !strings.HasPrefix(kv, "SIPSIM_LOG_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// URL is the address of an HTTP path on the server.
func (s *server) URL(path string) string { return "http://" + s.HTTPAddr + path }

// stop sends SIGTERM and waits for the process to end (SIGKILL after 20s).
func (s *server) stop() { s.signal(syscall.SIGTERM, 20*time.Second) }

// kill ends the process with SIGKILL, as a crash would.
func (s *server) kill() { s.signal(syscall.SIGKILL, 10*time.Second) }

// pause freezes the process (SIGSTOP), as a stuck process or a suspended
// VM is frozen: it neither heartbeats nor answers, yet holds its sockets
// and calls. resume (SIGCONT) lets it go on where it was.
func (s *server) pause()  { s.send(syscall.SIGSTOP) }
func (s *server) resume() { s.send(syscall.SIGCONT) }

// send delivers sig to the running process without waiting for it to end.
func (s *server) send(sig syscall.Signal) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(sig)
	}
}

// restart starts the server again after stop or kill.
func (s *server) restart() { s.start() }

func (s *server) signal(sig syscall.Signal, grace time.Duration) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		s.t.Errorf("sipsim did not exit %s after %v; killing it", sig, grace)
		_ = cmd.Process.Kill()
		<-done
	}
}

// createToken runs `sipsim token create` on the server's database and
// returns the secret (stdout's last line).
func (s *server) createToken(scopes string) string {
	s.t.Helper()
	return s.admin("token", "create", "--scopes", scopes, "--name", "e2e")
}

// admin runs a sipsim administration command on the server's database
// and returns the last line it printed on stdout (the token, the account
// id).
func (s *server) admin(args ...string) string {
	s.t.Helper()
	lines := s.adminLines(args...)
	return lines[len(lines)-1]
}

// adminLines is admin's whole stdout, a line each.
func (s *server) adminLines(args ...string) []string {
	s.t.Helper()
	out, errOut := s.adminRun(args...)
	if strings.TrimSpace(out) == "" {
		s.t.Fatalf("sipsim %s printed nothing; stderr:\n%s", strings.Join(args, " "), errOut)
	}
	return strings.Split(strings.TrimSpace(out), "\n")
}

// adminRun runs an administration command and returns what it printed.
func (s *server) adminRun(args ...string) (stdout, stderr string) {
	s.t.Helper()
	cmd := exec.Command(sipsimBin, slices.Concat(args, []string{"--data-dir", s.DataDir}, s.dbFlags())...)
	cmd.Env = serverEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("sipsim %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// lockedBuffer collects a process's output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail keeps the last max bytes of s, cut at a line start.
func tail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[len(s)-max:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "[...]\n" + s
}

// URLHostSIP is the server's SIP address as SIPp's remote host argument.
func (s *server) URLHostSIP() string { return fmt.Sprintf("127.0.0.1:%d", s.SIPPort) }
