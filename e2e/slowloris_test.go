package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowConn is a client that sends its request a byte at a time and never
// finishes it (slowloris), and keeps what the server answers.
type slowConn struct {
	conn   net.Conn
	closed chan struct{} // closed once the server ended the connection
	mu     sync.Mutex
	got    bytes.Buffer
}

// startSlowConn connects, sends prefix at once, then trickles the rest of
// the request one byte per pace until the server closes the connection;
// rest is long enough never to end within the test.
func startSlowConn(t *testing.T, addr, prefix, rest string, pace time.Duration) *slowConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte(prefix)); err != nil {
		t.Fatal(err)
	}
	s := &slowConn{conn: conn, closed: make(chan struct{})}
	go func() {
		defer close(s.closed)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			s.mu.Lock()
			s.got.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return // EOF or reset: the server let go
			}
		}
	}()
	go func() {
		tick := time.NewTicker(pace)
		defer tick.Stop()
		for i := 0; i < len(rest); i++ {
			if _, err := conn.Write([]byte{rest[i]}); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-s.closed:
				return
			}
		}
	}()
	return s
}

// answer is what the server sent before closing, "" for nothing.
func (s *slowConn) answer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

// waitClosed waits for the server to close the connection.
func (s *slowConn) waitClosed(t *testing.T, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(timeout):
		t.Fatalf("%s: the server still holds the connection after %v", what, timeout)
	}
}

// The server's read limits, set on its http.Server (cmd/sipsim/serve.go):
// headers must arrive within 10 s and a whole request within 30 s, however
// steadily its bytes trickle. The waits below are generous multiples.
const (
	headerDeadlineWait = 60 * time.Second
	bodyDeadlineWait   = 120 * time.Second
)

// Clients that send their request a byte at a time, headers or body,
// cannot hold the server: it closes their connections once the read
// limits pass, a slow body gets 408 in the error envelope, and normal
// requests on other connections are served all along.
func TestSlowClientsCannotHoldTheServer(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverConfig{})
	token := srv.createToken(allScopes)
	api := newAPIClient(t, srv, token)

	var slowHeaders, slowBodies []*slowConn
	for range 20 {
		slowHeaders = append(slowHeaders, startSlowConn(t, srv.HTTPAddr,
			"", "GET /healthz HTTP/1.1\r\nHost: sipsim\r\nX-Slow: "+strings.Repeat("a", 4000), 250*time.Millisecond))
	}
	for range 5 {
		body := `{"name": "` + strings.Repeat("b", 4000) + `"}`
		headers := fmt.Sprintf("POST /api/v2/tags HTTP/1.1\r\nHost: sipsim\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", token, len(body))
		// The headers go at once, the body a byte at a time.
		slowBodies = append(slowBodies, startSlowConn(t, srv.HTTPAddr, headers, body, 250*time.Millisecond))
	}

	// Served while the slow clients hold their connections.
	for i := range 3 {
		var tag struct{ ID int64 }
		api.must(http.StatusCreated, http.MethodPost, "/api/v2/tags", map[string]string{"name": fmt.Sprintf("lead-%d", i)}, &tag)
		api.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/tags/%d", tag.ID), nil, nil)
	}

	for i, s := range slowHeaders {
		s.waitClosed(t, headerDeadlineWait, fmt.Sprintf("slow headers #%d", i))
	}
	for i, s := range slowBodies {
		s.waitClosed(t, bodyDeadlineWait, fmt.Sprintf("slow body #%d", i))
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(s.answer())), nil)
		if err != nil {
			t.Fatalf("slow body #%d: the server closed without an answer: %v; got %q", i, err, s.answer())
		}
		raw, _ := io.ReadAll(resp.Body)
		var env envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("slow body #%d: %d %s: not an envelope", i, resp.StatusCode, raw)
		}
		assertErrorEnvelope(t, resp.StatusCode, env, http.StatusRequestTimeout, "/api/v2/tags", "request body was not received in time")
	}

	// Nothing of the slow bodies was stored; the server still serves.
	var tags []struct{ Name string }
	api.must(http.StatusOK, http.MethodGet, "/api/v2/tags", nil, &tags)
	if len(tags) != 3 {
		t.Errorf("tags after the slow clients: %+v, want only the 3 normal ones", tags)
	}
}

// Headers over the server's 64 KiB limit are refused with 431 before any
// handler runs.
func TestOversizedHeadersAreRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverConfig{})
	req, err := http.NewRequest(http.MethodGet, srv.URL("/healthz"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Big", strings.Repeat("h", 100<<10))
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("GET /healthz with 100 KiB of headers = %d, want 431", resp.StatusCode)
	}
	if !healthy(srv.URL("/healthz")) {
		t.Errorf("the server is not healthy after the oversized request")
	}
}
