package main

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// forwarder is the minimal node's SIP side: for each call it INVITEs the
// agent, and on the agent's 200 ACKs it and INVITEs the carrier with the
// agent's SDP; it ACKs the carrier's 200, relays a BYE from either side
// to the other and answers it. One UDP socket, one map of calls by
// Call-ID, no transaction layer beyond retransmitting its own INVITEs and
// BYEs: the least a forwarding path must do.
type forwarder struct {
	conn  *net.UDPConn
	self  string // host:port in Via and Contact
	agent *net.UDPAddr
	trunk *net.UDPAddr

	mu     sync.Mutex
	calls  map[string]*fwdCall // by either leg's Call-ID
	retx   map[string]*time.Timer
	failed []string
}

// fwdCall is one click-to-call: leg a to the agent, leg b to the carrier.
type fwdCall struct {
	id     string // X-Sipsim-Call-Id
	target string
	a, b   fwdLeg
	ended  bool // a BYE was relayed; done when it is answered
}

type fwdLeg struct {
	callID string
	addr   *net.UDPAddr
	to     string // the remote To header with its tag, from the 200
	uri    string // the remote Contact, the Request-URI of ACK and BYE
	up     bool   // 200 received and ACKed
}

// Retransmission of the node's own requests over UDP (RFC 3261 timer A
// and E, shortened): 500 ms doubling, seven sends at most.
const (
	retxFirst = 500 * time.Millisecond
	retxSends = 7
)

// offerToAgent is the SDP the node offers the agent: no media relay, so
// it points nowhere; the agent's answer goes on to the carrier unchanged.
const offerToAgent = "v=0\r\no=minimal 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

// start places a call: it INVITEs the agent at once.
func (f *forwarder) start(id string, ext int64, target string) {
	c := &fwdCall{id: id, target: target,
		a: fwdLeg{callID: "a-" + id, addr: f.agent, uri: fmt.Sprintf("sip:%d@%s", ext, f.agent)},
		b: fwdLeg{callID: "b-" + id, addr: f.trunk, uri: fmt.Sprintf("sip:%s@%s", target, f.trunk)}}
	f.mu.Lock()
	f.calls[c.a.callID] = c
	f.calls[c.b.callID] = c
	f.mu.Unlock()
	from := fmt.Sprintf("<sip:%s@127.0.0.1>;tag=%s", target, id)
	to := fmt.Sprintf("<sip:%d@127.0.0.1>", ext)
	f.request(c, &c.a, "INVITE", 1, from, to, offerToAgent)
}

// request sends a request of the node on leg l and retransmits it until a
// response for its branch arrives.
func (f *forwarder) request(c *fwdCall, l *fwdLeg, method string, cseq int, from, to, sdp string) {
	branch := "z9hG4bK-" + l.callID + "-" + strings.ToLower(method)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s;rport\r\nMax-Forwards: 70\r\n", method, l.uri, f.self, branch)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:node@%s>\r\n", from, to, l.callID, cseq, method, f.self)
	if method == "INVITE" {
		fmt.Fprintf(&b, "X-Sipsim-Call-Id: %s\r\nContent-Type: application/sdp\r\n", c.id)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(sdp), sdp)
	msg := []byte(b.String())
	// The timer is armed first: the answer may be read before send
	// returns, and must find it to stop it.
	f.retransmit(c, branch, msg, l.addr, retxFirst, retxSends-1)
	f.send(msg, l.addr)
}

func (f *forwarder) retransmit(c *fwdCall, branch string, msg []byte, to *net.UDPAddr, after time.Duration, left int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retx[branch] = time.AfterFunc(after, func() {
		f.mu.Lock()
		_, pending := f.retx[branch]
		delete(f.retx, branch)
		f.mu.Unlock()
		if !pending {
			return
		}
		if left == 0 {
			f.fail(c)
			return
		}
		f.send(msg, to)
		f.retransmit(c, branch, msg, to, 2*after, left-1)
	})
}

// answered stops retransmitting the request a response belongs to.
func (f *forwarder) answered(branch string) {
	f.mu.Lock()
	if t, ok := f.retx[branch]; ok {
		t.Stop()
		delete(f.retx, branch)
	}
	f.mu.Unlock()
}

func (f *forwarder) send(msg []byte, to *net.UDPAddr) { _, _ = f.conn.WriteToUDP(msg, to) }

// fail ends a call as failed; its dialogs are abandoned.
func (f *forwarder) fail(c *fwdCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.calls[c.a.callID]; !ok {
		return
	}
	delete(f.calls, c.a.callID)
	delete(f.calls, c.b.callID)
	f.failed = append(f.failed, c.id)
}

// done ends a call that completed.
func (f *forwarder) done(c *fwdCall) {
	f.mu.Lock()
	delete(f.calls, c.a.callID)
	delete(f.calls, c.b.callID)
	f.mu.Unlock()
}

// serve reads datagrams until the socket is closed.
func (f *forwarder) serve() {
	buf := make([]byte, 65536)
	for {
		n, from, err := f.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, ok := parseSIP(buf[:n])
		if !ok {
			continue
		}
		if m.isResponse() {
			f.onResponse(m)
		} else {
			f.onRequest(m, from)
		}
	}
}

func (f *forwarder) lookup(callID string) (*fwdCall, *fwdLeg, *fwdLeg) {
	f.mu.Lock()
	c := f.calls[callID]
	f.mu.Unlock()
	switch {
	case c == nil:
		return nil, nil, nil
	case callID == c.a.callID:
		return c, &c.a, &c.b
	default:
		return c, &c.b, &c.a
	}
}

func (f *forwarder) onResponse(m sipMessage) {
	code, method := m.code(), m.method()
	if code >= 200 || method == "INVITE" {
		f.answered(m.branch())
	}
	c, l, other := f.lookup(m.headers["call-id"])
	if c == nil || code < 200 {
		return
	}
	switch {
	case method == "BYE":
		f.done(c)
	case method != "INVITE":
	case code >= 300:
		// A non-2xx final is ACKed in its own transaction, then the
		// call fails; an agent already up is hung up.
		f.ack(c, l, m, m.branch())
		if l == &c.b && c.a.up {
			f.request(c, &c.a, "BYE", 2, f.localFrom(c, &c.a), c.a.to, "")
		}
		f.fail(c)
	default:
		first := !l.up
		l.up, l.to = true, m.headers["to"]
		if u := m.contactURI(); u != "" {
			l.uri = u
		}
		f.ack(c, l, m, "z9hG4bK-"+l.callID+"-ack")
		if first && l == &c.a {
			caller := fmt.Sprintf("<sip:+33100000000@127.0.0.1>;tag=%s", c.id)
			f.request(c, other, "INVITE", 1, caller, fmt.Sprintf("<sip:%s@127.0.0.1>", c.target), m.body)
		}
	}
}

// ack sends the ACK for an INVITE's final response m on leg l.
func (f *forwarder) ack(c *fwdCall, l *fwdLeg, m sipMessage, branch string) {
	msg := fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s;rport\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		l.uri, f.self, branch, m.headers["from"], m.headers["to"], l.callID)
	f.send([]byte(msg), l.addr)
}

// localFrom is the node's From header on leg l, as in its INVITE.
func (f *forwarder) localFrom(c *fwdCall, l *fwdLeg) string {
	if l == &c.a {
		return fmt.Sprintf("<sip:%s@127.0.0.1>;tag=%s", c.target, c.id)
	}
	return fmt.Sprintf("<sip:+33100000000@127.0.0.1>;tag=%s", c.id)
}

func (f *forwarder) onRequest(m sipMessage, from *net.UDPAddr) {
	switch m.method() {
	case "ACK":
		return
	case "BYE":
		f.send(okResponse(m), from)
		c, l, other := f.lookup(m.headers["call-id"])
		if c == nil {
			return // a retransmission after the call ended: answered again
		}
		f.mu.Lock()
		relay := !c.ended && l.up && other.up
		c.ended = true
		f.mu.Unlock()
		if relay {
			f.request(c, other, "BYE", 2, f.localFrom(c, other), other.to, "")
		}
	default:
		f.send([]byte("SIP/2.0 501 Not Implemented\r\nVia: "+m.headers["via"]+"\r\nFrom: "+m.headers["from"]+
			"\r\nTo: "+m.headers["to"]+"\r\nCall-ID: "+m.headers["call-id"]+"\r\nCSeq: "+m.headers["cseq"]+
			"\r\nContent-Length: 0\r\n\r\n"), from)
	}
}

// unfinished lists the calls still up and those that failed.
func (f *forwarder) unfinished() (active, failed []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for callID, c := range f.calls {
		if callID == c.a.callID {
			active = append(active, c.id)
		}
	}
	return active, append([]string(nil), f.failed...)
}

func newForwarder(conn *net.UDPConn, agent, trunk *net.UDPAddr) *forwarder {
	return &forwarder{conn: conn, self: conn.LocalAddr().String(), agent: agent, trunk: trunk,
		calls: map[string]*fwdCall{}, retx: map[string]*time.Timer{}}
}
