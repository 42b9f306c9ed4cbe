package voip

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// capture is a slog.Handler that keeps every record from level up.
type capture struct {
	level slog.Level
	mu    *sync.Mutex
	recs  *[]capturedRecord
	attrs []slog.Attr
}

type capturedRecord struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func newCapture(level slog.Level) *capture {
	return &capture{level: level, mu: &sync.Mutex{}, recs: &[]capturedRecord{}}
}

func (c *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.level }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := capturedRecord{level: r.Level, message: r.Message, attrs: make(map[string]string)}
	add := func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true }
	for _, a := range c.attrs {
		add(a)
	}
	r.Attrs(add)
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.recs = append(*c.recs, rec)
	return nil
}

func (c *capture) WithAttrs(attrs []slog.Attr) slog.Handler {
	d := *c
	d.attrs = append(append([]slog.Attr{}, c.attrs...), attrs...)
	return &d
}

func (c *capture) WithGroup(string) slog.Handler { return c }

// records are the records kept from level up whose message contains msg.
func (c *capture) records(level slog.Level, msg string) []capturedRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []capturedRecord
	for _, r := range *c.recs {
		if r.level >= level && strings.Contains(r.message, msg) {
			out = append(out, r)
		}
	}
	return out
}

// lines are the records from level up, one line each.
func (c *capture) lines(level slog.Level) []string {
	var out []string
	for _, r := range c.records(level, "") {
		line := r.level.String() + " " + r.message
		for k, v := range r.attrs {
			line += " " + k + "=" + v
		}
		out = append(out, line)
	}
	return out
}

const summaryMessage = "sip: ignored malformed or unexpected messages"

// maxDemotedData bounds the "data" of a demoted record: the bytes kept,
// quoted (at most 4 characters a byte), and their count.
const maxDemotedData = 4*maxLoggedData + 64

func TestNoiseIsDemotedAndSummarisedOncePerInterval(t *testing.T) {
	clock := newFakeClock()
	logs := newCapture(slog.LevelDebug)
	noise := newSIPNoise(clock.Now, slog.New(logs), time.Minute)
	sipgoLog := noise.logger(slog.New(logs)).With("caller", "Transport<UDP>")

	for range 1000 {
		sipgoLog.Error("failed to parse", "data", strings.Repeat("\x01garbage", 8000), "error", "not a SIP message")
	}
	sipgoLog.Error("Read connection error", "error", "the listener broke") // ours: stays an ERROR
	if got := logs.lines(slog.LevelWarn); len(got) != 1 || !strings.Contains(got[0], "the listener broke") {
		t.Fatalf("WARN and above: %q, want only the listener's error", got)
	}
	summaries := logs.records(slog.LevelInfo, summaryMessage)
	if len(summaries) != 1 || summaries[0].attrs["unparsable"] != "1" {
		t.Fatalf("summaries after the first noise: %+v, want one, reporting it at once", summaries)
	}
	demoted := logs.records(slog.LevelDebug, "failed to parse")
	if len(demoted) != 1000 || demoted[0].level != slog.LevelDebug || demoted[0].attrs["caller"] != "Transport<UDP>" {
		t.Fatalf("%d demoted records (first %+v), want 1,000 at DEBUG keeping their attributes", len(demoted), demoted[0])
	}
	if n := len(demoted[0].attrs["data"]); n > maxDemotedData {
		t.Fatalf("a demoted record keeps %d characters of the 64 KB datagram", n)
	}

	clock.Advance(59 * time.Second)
	sipgoLog.Warn("SIP request handler not found", "method", "SUBSCRIBE")
	if n := len(logs.records(slog.LevelInfo, summaryMessage)); n != 1 {
		t.Fatalf("%d summaries within the minute, want 1", n)
	}
	clock.Advance(time.Second)
	sipgoLog.Error("failed to parse", "data", "x", "error", "not a SIP message")
	summaries = logs.records(slog.LevelInfo, summaryMessage)
	if len(summaries) != 2 || summaries[1].attrs["unparsable"] != "1000" || summaries[1].attrs["unsupported_methods"] != "1" {
		t.Fatalf("summaries a minute on: %+v, want a second with the 1,000 unparsable and the SUBSCRIBE", summaries)
	}

	// With the log at INFO, nothing of the noise but the summary is written.
	quiet := newCapture(slog.LevelInfo)
	noise = newSIPNoise(clock.Now, slog.New(quiet), time.Minute)
	for range 100 {
		noise.logger(slog.New(quiet)).Error("failed to parse", "data", "x")
	}
	if got := quiet.lines(slog.LevelDebug); len(got) != 1 {
		t.Fatalf("lines at INFO: %q, want the summary only", got)
	}
}

// garbageDatagram is the i-th of the malformed or unexpected datagrams a
// peer can send, in turn: random bytes, a broken start line, a request
// without CSeq, a method we do not serve, a response without CSeq, a
// response to no transaction of ours.
func garbageDatagram(u *rawUA, rnd *rand.Rand, i int) []byte {
	switch i % 6 {
	case 0:
		d := make([]byte, 200+rnd.IntN(800))
		for j := range d {
			d[j] = byte(rnd.Uint32())
		}
		d[0] = 0x01 // never "SIP/2.0 ", never all NULs
		return d
	case 1:
		return []byte("INVITE\r\n\r\n")
	case 2:
		req := u.request(sip.OPTIONS, "100")
		req.RemoveHeader("CSeq")
		return []byte(req.String())
	case 3:
		return []byte(u.request(sip.SUBSCRIBE, "100").String())
	default:
		res := sip.NewResponseFromRequest(u.request(sip.INVITE, "100"), sip.StatusOK, "OK", nil)
		if i%6 == 4 {
			res.RemoveHeader("CSeq")
		}
		return []byte(res.String())
	}
}

// TestIntegrationGarbageStaysOutOfTheLog sends 1,000 malformed or
// unexpected datagrams and a few bad TCP connections to a running engine
// and checks that the log holds a summary of them, not a line each:
// nothing at WARN or above, in the engine's log or in slog.Default (where
// sipgo logs when it is given no logger).
func TestIntegrationGarbageStaysOutOfTheLog(t *testing.T) {
	engineLog, defaultLog := newCapture(slog.LevelDebug), newCapture(slog.LevelDebug)
	useDefaultLogger(t, slog.New(defaultLog))
	clock := newFakeClock()
	te := startEngineWith(t, func(c *Config) {
		c.Logger, c.Now = slog.New(engineLog), clock.Now
		c.SourceRequestRate = -1 // every datagram must reach sipgo
	}, nil)
	sender := newRawUA(t, "127.0.0.2", te.e)
	probe := newRawUA(t, "127.0.0.1", te.e)
	rnd := rand.New(rand.NewPCG(1, 2))

	const datagrams = 1000
	want := map[string]uint64{}
	for round := range datagrams / 50 {
		for i := range 50 {
			n := round*50 + i
			sender.send(garbageDatagram(sender, rnd, n))
			want[[]string{"unparsable", "unparsable", "malformed_requests", "unsupported_methods", "malformed_responses", "unmatched_responses"}[n%6]]++
		}
		if res := probe.exchange(probe.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS after %d datagrams: %s", (round+1)*50, res.StartLine())
		}
	}
	// Over TCP: garbage, a scanner the screen shuts out, a peer that
	// resets its connection; three of each.
	engine := net.JoinHostPort("127.0.0.1", itoa(te.e.Port()))
	scanner := probe.request(sip.OPTIONS, "100")
	scanner.AppendHeader(sip.NewHeader("User-Agent", "friendly-scanner"))
	for range 3 {
		for _, data := range []string{"HELLO garbage\r\n\r\n", scanner.String()} {
			conn, err := net.Dial("tcp", engine)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write([]byte(data)); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Read(make([]byte, 1)); err == nil {
				t.Fatalf("%q over TCP got an answer", data)
			}
			conn.Close()
		}
		conn, err := net.Dial("tcp", engine)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte("OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n")); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).SetLinger(0) // close with a reset
		conn.Close()
	}
	want["unparsable"] += 3
	want["screened_connections"] = 3
	want["broken_connections"] = 3

	// sipgo handles requests on goroutines of their own: wait until all
	// are counted (or, if some never are, until the log shows why).
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fmt.Sprint(te.e.noise.totals()) == fmt.Sprint(want) {
			break
		}
	}
	loud := append(engineLog.lines(slog.LevelWarn), defaultLog.lines(slog.LevelWarn)...)
	if len(loud) > 3 {
		t.Fatalf("%d lines at WARN or above for %d pieces of garbage, want a handful at most; the first:\n%s",
			len(loud), datagrams+9, strings.Join(loud[:min(len(loud), 10)], "\n"))
	}
	if got := te.e.noise.totals(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counted %v, want %v", got, want)
	}
	summaries := engineLog.records(slog.LevelInfo, summaryMessage)
	if len(summaries) != 1 {
		t.Fatalf("%d summaries within the first minute, want 1", len(summaries))
	}
	for _, r := range engineLog.records(slog.LevelDebug, "failed to parse") {
		if n := len(r.attrs["data"]); n > maxDemotedData {
			t.Fatalf("a DEBUG line carries %d characters of a datagram", n)
		}
	}

	// A minute on, the next garbage brings the summary of the rest.
	clock.Advance(time.Minute)
	sender.send([]byte("INVITE\r\n\r\n"))
	waitUntil(t, "the second summary", func() bool { return len(engineLog.records(slog.LevelInfo, summaryMessage)) == 2 })
	summaries = engineLog.records(slog.LevelInfo, summaryMessage)
	for kind, n := range want {
		var first, second uint64
		fmt.Sscan(summaries[0].attrs[kind], &first)
		fmt.Sscan(summaries[1].attrs[kind], &second)
		if kind == "unparsable" {
			n++ // the one that brought the summary
		}
		if first+second != n {
			t.Errorf("summaries report %d+%d %s, want %d in all", first, second, kind, n)
		}
	}
}

// useDefaultLogger makes l slog's default logger until the test ends.
func useDefaultLogger(t *testing.T, l *slog.Logger) {
	old, oldWriter, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(l)
	t.Cleanup(func() {
		slog.SetDefault(old)
		// SetDefault pointed the log package at l; point it back.
		log.SetOutput(oldWriter)
		log.SetFlags(oldFlags)
	})
}
