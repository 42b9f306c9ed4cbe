package voip

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// testdata/torture holds the messages of RFC 4475 (SIP torture tests),
// written out with CRLF line ends: valid/ has the well-formed but
// tortuous ones (section 3.1.1), invalid/ the malformed ones and those
// that break transaction or application rules (3.1.2 to 3.4), plus a few
// of what scanners and fuzzers send: NUL bytes (nulbytes), a negative
// CSeq and Expires (negcseq), a 30 KB header line (hugehdr), 600 Via
// headers (manyvia), a 2 GB Content-Length (hugecl), a truncated
// Authorization (badauth), headers that never end (noend), random bytes
// (garbage).

type tortureMessage struct {
	name string // "valid/wsinv"
	data []byte
}

func tortureMessages(t testing.TB) []tortureMessage {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "torture", "*", "*.sip"))
	if err != nil || len(paths) < 15 {
		t.Fatalf("torture messages missing: %d found (%v)", len(paths), err)
	}
	var out []tortureMessage
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join("testdata", "torture"), p)
		out = append(out, tortureMessage{name: strings.TrimSuffix(filepath.ToSlash(rel), ".sip"), data: data})
	}
	return out
}

// mustAnswer is what a caller gets for the torture requests that carry a
// usable request, however odd their syntax: OPTIONS is answered, unknown
// methods refused, REGISTER challenged (401) and INVITE challenged (407)
// before anything else is looked at. dblreq is two requests in one read.
// The other messages may be answered 400 or dropped: either is fine as
// long as the engine keeps serving.
var mustAnswer = map[string][]int{
	"valid/dblreq":       {401, 407},
	"valid/esc01":        {407},
	"valid/esc02":        {405},
	"valid/escnull":      {401},
	"valid/intmeth":      {405},
	"valid/longreq":      {407},
	"valid/lwsdisp":      {200},
	"valid/mpart01":      {405},
	"valid/semiuri":      {200},
	"valid/transports":   {200},
	"invalid/badauth":    {401},
	"invalid/baddate":    {407},
	"invalid/cparam01":   {401},
	"invalid/cparam02":   {401},
	"invalid/escruri":    {407},
	"invalid/invut":      {407},
	"invalid/regaut01":   {401},
	"invalid/regbadct":   {401},
	"invalid/regescrt":   {401},
	"invalid/sdp01":      {407},
	"invalid/unksm2":     {401},
	"invalid/mismatch02": {405},
}

// TestTortureMessagesLeaveTheEngineServing replays every torture message
// at a running engine, over UDP and over TCP (one engine each, so that a
// message repeated on the other transport is not taken for a
// retransmission). After each, the engine must still answer OPTIONS; at
// the end its goroutines must be back near where they started.
//
// Over TCP the answers come back on the connection and are checked.
// Over UDP they go, as RFC 3261 18.2.2 says, to the port in the message's
// Via, which the test cannot listen on, so UDP checks survival only.
func TestTortureMessagesLeaveTheEngineServing(t *testing.T) {
	router := &countingRouter{}
	udpEngine, tcpEngine := startEngineWith(t, nil, router), startEngineWith(t, nil, router)
	udpProbe, tcpProbe := newRawUA(t, "127.0.0.1", udpEngine.e), newRawUA(t, "127.0.0.1", tcpEngine.e)
	serving := func(t *testing.T, probe *rawUA) {
		t.Helper()
		if res := probe.exchange(probe.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS: %s", res.StartLine())
		}
	}
	serving(t, udpProbe)
	serving(t, tcpProbe)
	baseline := settledGoroutines()

	msgs := tortureMessages(t)
	sender := newRawUA(t, "127.0.0.2", udpEngine.e)
	replays := make([]*tcpReplay, len(msgs))
	for i, m := range msgs {
		t.Run("udp/"+m.name, func(t *testing.T) {
			sender.send(m.data)
			serving(t, udpProbe)
		})
		t.Run("tcp/"+m.name, func(t *testing.T) {
			replays[i] = startTCPReplay(t, tcpEngine.e, m.data, len(mustAnswer[m.name]))
			serving(t, tcpProbe)
		})
	}
	// The connections stay open until every message has been taken in:
	// when a TCP request's connection is gone, sipgo dials the host its
	// Via names to answer (see the report on #5), and these Vias name
	// hosts off this machine.
	for i, m := range msgs {
		t.Run("tcp-answers/"+m.name, func(t *testing.T) {
			if replays[i] == nil {
				t.Fatal("not replayed")
			}
			answers := replays[i].finish()
			var codes []int
			for _, a := range answers {
				codes = append(codes, a.StatusCode)
				assertNoBanner(t, m.name, a)
			}
			if want := mustAnswer[m.name]; want != nil {
				slices.Sort(codes)
				if !slices.Equal(codes, want) {
					t.Errorf("answers %v, want %v", codes, want)
				}
			}
			if bytes.HasPrefix(m.data, []byte("SIP/2.0 ")) && len(answers) > 0 {
				t.Errorf("a response was answered: %v", codes)
			}
			method, _, _ := bytes.Cut(m.data, []byte(" "))
			for _, c := range codes {
				if c/100 == 2 && string(method) != "OPTIONS" {
					t.Errorf("%s accepted (%d) without credentials", method, c)
				}
			}
		})
	}
	if n := router.calls.Load(); n != 0 {
		t.Errorf("%d torture INVITEs reached the router", n)
	}
	settles(t, "goroutines back near their baseline", func() bool { return settledGoroutines() <= baseline+20 })
}

// tcpReplay is a torture message sent on its own TCP connection.
type tcpReplay struct {
	conn *net.TCPConn
	got  []byte
}

// startTCPReplay writes data on a new connection and reads until want
// final answers have come (the engine answers from its own goroutine).
func startTCPReplay(t *testing.T, e *Engine, data []byte, want int) *tcpReplay {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(e.Port())))
	if err != nil {
		t.Fatal(err)
	}
	r := &tcpReplay{conn: c.(*net.TCPConn)}
	t.Cleanup(func() { r.conn.Close() })
	if _, err := r.conn.Write(data); err != nil {
		t.Fatal(err)
	}
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 65535)
	for len(parseAnswers(r.got)) < want {
		n, err := r.conn.Read(buf)
		r.got = append(r.got, buf[:n]...)
		if err != nil {
			break
		}
	}
	return r
}

// finish closes the sending side and returns every answer, including
// what came after the expected ones, once the engine closes its side.
func (r *tcpReplay) finish() []*sip.Response {
	r.conn.CloseWrite()
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, _ := io.ReadAll(r.conn)
	r.conn.Close()
	return parseAnswers(append(r.got, rest...))
}

// parseAnswers splits a TCP stream of bodiless responses.
func parseAnswers(stream []byte) []*sip.Response {
	var out []*sip.Response
	for _, raw := range bytes.SplitAfter(stream, []byte("\r\n\r\n")) {
		if msg, err := sip.ParseMessage(raw); err == nil {
			if res, ok := msg.(*sip.Response); ok && !res.IsProvisional() {
				out = append(out, res)
			}
		}
	}
	return out
}

// settledGoroutines is the goroutine count after a garbage collection.
func settledGoroutines() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// settles polls cond for up to a minute: long enough for sipgo's
// transaction timers (32 s) to let go of what a test left behind.
func settles(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
