package voip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// peer is a real SIP user agent on a loopback socket, playing the
// employee's phone or the carrier in integration tests. It answers INVITEs
// as its behaviour says and records what it received.
type peer struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	client *sipgo.Client
	cache  *sipgo.DialogServerCache
	port   int
	rtp    *net.UDPConn // where its SDP says to send audio
	echoed atomic.Int64 // RTP packets echoed by echoRTP

	behave func(d *sipgo.DialogServerSession) // answers an INVITE

	mu      sync.Mutex
	invites []*sip.Request
	byes    []*sip.Request
	cancels int
}

func newPeer(t *testing.T, behave func(p *peer, d *sipgo.DialogServerSession)) *peer {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-peer"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rtp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, ua: ua, client: client, port: port, rtp: rtp,
		cache: sipgo.NewDialogServerCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port}})}
	p.behave = func(d *sipgo.DialogServerSession) { behave(p, d) }
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.invites = append(p.invites, req)
		p.mu.Unlock()
		d, err := p.cache.ReadInvite(req, tx)
		if err != nil {
			t.Errorf("peer: read invite: %v", err)
			return
		}
		defer d.Close()
		p.behave(d)
		<-d.Context().Done()
		// sipgo answers CANCEL in the transaction layer (200, then 487)
		// and ends the dialog with this cause.
		if errors.Is(context.Cause(d.Context()), sip.ErrTransactionCanceled) {
			p.mu.Lock()
			p.cancels++
			p.mu.Unlock()
		}
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.cache.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.byes = append(p.byes, req)
		p.mu.Unlock()
		if err := p.cache.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	go srv.ServeUDP(pc)
	t.Cleanup(func() {
		ua.Close()
		pc.Close()
		rtp.Close()
	})
	return p
}

// sdp is the peer's answer: PCMU at its RTP socket.
func (p *peer) sdp() []byte {
	port := p.rtp.LocalAddr().(*net.UDPAddr).Port
	return buildOffer(netip.MustParseAddr("127.0.0.1"), port, 1, []sdpCodec{staticPT[0]})
}

func (p *peer) counts() (invites, byes, cancels int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.invites), len(p.byes), p.cancels
}

func (p *peer) lastInvite() *sip.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.invites) == 0 {
		return nil
	}
	return p.invites[len(p.invites)-1]
}

// register sends REGISTER for user to the engine, answering the digest
// challenge with password, and returns the final response.
func (p *peer) register(engine *Engine, user, password string, expires int) *sip.Response {
	p.t.Helper()
	uri := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: engine.Port()}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: engine.Port()})
	req.AppendHeader(&sip.ToHeader{Address: uri})
	from := &sip.FromHeader{Address: uri, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("register: %v", err)
	}
	if res.StatusCode != 401 {
		return res
	}
	if password == "" {
		return res
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil {
		p.t.Fatalf("register with auth: %v", err)
	}
	return res
}

// Behaviours.

// answers sends 180 and the 200 back to back: the engine must still see
// the ringing (sipgo alone may deliver the 180 after the 200 and drop it).
func answers(p *peer, d *sipgo.DialogServerSession) {
	_ = d.Respond(180, "Ringing", nil)
	_ = d.RespondSDP(p.sdp())
}

func ringsForever(p *peer, d *sipgo.DialogServerSession) {
	_ = d.Respond(180, "Ringing", nil)
}

func rejects(code int) func(p *peer, d *sipgo.DialogServerSession) {
	return func(p *peer, d *sipgo.DialogServerSession) {
		_ = d.Respond(code, fmt.Sprintf("Code %d", code), nil)
	}
}

// hangsUpAfter answers, then sends BYE after the delay.
func hangsUpAfter(delay time.Duration) func(p *peer, d *sipgo.DialogServerSession) {
	return func(p *peer, d *sipgo.DialogServerSession) {
		answers(p, d)
		go func() {
			select {
			case <-time.After(delay):
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = d.Bye(ctx)
			case <-d.Context().Done():
			}
		}()
	}
}
