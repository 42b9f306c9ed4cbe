package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

// A client that asks for a large response and reads none of it (a
// slow-read attack, or a client that vanished without closing) is dropped
// once a write makes no progress for WriteIdleTimeout, instead of holding
// its connection and handler for ever; other clients are served meanwhile.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	a := newTestAPIWith(t, func(c *Config) { c.WriteIdleTimeout = 200 * time.Millisecond })
	// Far more than the kernel buffers of both ends can hold.
	const size = 64 << 20
	f := &sipsim.AudioFile{AccountID: 1, Name: "long", ContentType: sipsim.AudioFileContentType}
	if err := a.audio.CreateAudioFile(t.Context(), f, make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 8) // client addresses of the connections the server closed
	srv := httptest.NewUnstartedServer(a.h)
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- c.RemoteAddr().String()
		}
	}
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /api/v2/audio-files/%d/content HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n\r\n", f.ID, tokAll)

	// The stuck download does not stop another client.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz beside the stuck download: %v, %v", resp, err)
	}
	resp.Body.Close()

	deadline := time.After(30 * time.Second)
	for gone := false; !gone; {
		select {
		case addr := <-closed:
			gone = addr == conn.LocalAddr().String()
		case <-deadline:
			t.Fatal("the server still holds the connection of a client that reads nothing, 30 s on")
		}
	}
}
