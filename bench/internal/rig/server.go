package rig

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ServerConfig is what a benchmark chooses about the sipsim process.
type ServerConfig struct {
	Bin     string // the sipsim binary
	DataDir string // --data-dir: SQLite file and recordings
	DBURL   string // --db: a PostgreSQL URL, or "" for SQLite in DataDir
	// Flags are extra `serve` flags; they come last and win.
	Flags []string
	// Env are extra environment variables, e.g. GODEBUG=gctrace=1.
	Env []string
}

// Server is a running `sipsim serve`. Its output goes to serve.log in the
// data directory, which a benchmark may read (the server logs one line per
// HTTP request at the default level, as in production).
type Server struct {
	cfg      ServerConfig
	HTTPAddr string
	SIPPort  int
	LogPath  string
	proc     *Child
}

// StartServer starts `sipsim serve` on loopback ports and waits until GET
// /healthz answers 200. The caller must Stop it.
func StartServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	sipPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	rtp, err := FreePortRange(20)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, HTTPAddr: fmt.Sprintf("127.0.0.1:%d", httpPort), SIPPort: sipPort,
		LogPath: filepath.Join(cfg.DataDir, "serve.log")}
	args := []string{"serve",
		"--http-addr", s.HTTPAddr,
		"--sip-addr", fmt.Sprintf("127.0.0.1:%d", sipPort),
		"--public-addr", "127.0.0.1",
		"--data-dir", cfg.DataDir,
		"--rtp-ports", fmt.Sprintf("%d-%d", rtp, rtp+19),
		"--drain-timeout", "2s",
	}
	args = append(args, s.dbFlags()...)
	args = append(args, cfg.Flags...)
	logFile, err := os.Create(s.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.Bin, args...)
	cmd.Env = append(cleanEnv(), cfg.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if s.proc, err = StartChild(cmd, logFile); err != nil {
		return nil, fmt.Errorf("start sipsim: %w", err)
	}
	if err := s.waitHealthy(ctx, 30*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.proc.Done():
			return fmt.Errorf("sipsim exited before it was healthy; see %s:\n%s", s.LogPath, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if healthy(s.URL("/healthz")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sipsim not healthy after %v:\n%s", limit, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func healthy(url string) bool {
	resp, err := (&http.Client{Timeout: time.Second}).Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.LogPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// URL is the address of an HTTP path on the server.
func (s *Server) URL(path string) string { return "http://" + s.HTTPAddr + path }

// PID is the server's process id, for reading its memory in /proc.
func (s *Server) PID() int { return s.proc.PID() }

// Stop ends the server with SIGTERM, as an operator would, and with
// SIGKILL if it has not exited 20 s later. Stopping twice is harmless.
func (s *Server) Stop() { s.proc.Stop(20 * time.Second) }

func (s *Server) dbFlags() []string {
	if s.cfg.DBURL == "" {
		return nil
	}
	return []string{"--db", s.cfg.DBURL}
}

// Admin runs a sipsim administration command (token create, account
// create) on the server's database and returns the last line it printed.
func Admin(ctx context.Context, cfg ServerConfig, args ...string) (string, error) {
	s := &Server{cfg: cfg}
	cmd := exec.CommandContext(ctx, cfg.Bin, slices.Concat(args, []string{"--data-dir", cfg.DataDir}, s.dbFlags())...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sipsim %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], nil
}

// cleanEnv is this process's environment without SIPSIM_* settings that
// could point the server at another database or address.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIPSIM_") {
			env = append(env, kv)
		}
	}
	return env
}
