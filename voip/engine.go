// Package voip is SIPSIM's telephony engine and the only package that speaks
// SIP (through sipgo): the registrar with digest auth, the two legs of a
// click-to-call, and, through voip/media, the RTP relay between them. It
// implements sipsim.Telephony.
package voip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/voip/media"
)

// Config is what the engine needs from the outside.
type Config struct {
	Logger *slog.Logger
	Now    func() time.Time

	// SIPAddr is where to listen for UDP and TCP, e.g. "0.0.0.0:5060".
	SIPAddr string
	// PublicAddr is the IP or host name put in Via, Contact and SDP.
	PublicAddr string
	// Realm is the digest realm of the default account (AccountID): the
	// realm of phones whose requests name no account's SIP domain.
	Realm     string
	AccountID int64
	// Accounts finds the account whose SIP domain a phone registers to
	// or calls from (its realm and its phones); nil serves the default
	// account only.
	Accounts sipsim.AccountStore

	// Trunk is the carrier's SIP URI, e.g. "sip:127.0.0.1:5090".
	Trunk         string
	TrunkUsername string
	TrunkPassword string

	Media         *media.Allocator
	Phones        sipsim.PhoneStore
	Registrations sipsim.RegistrationStore

	// MediaTimeout ends a bridged call when a side sends no RTP for this long.
	MediaTimeout time.Duration

	// Recordings stores the recordings of calls planned with Record; nil
	// records nothing.
	Recordings sipsim.RecordingStore

	// Password guessing: after AuthFailureLimit failed authentications
	// (default 10) from one IP address within AuthFailureWindow (default 1
	// minute), every request from that address is dropped unanswered for
	// AuthBanDuration (default 10 minutes). Other addresses are unaffected.
	// AuthTrackedSources (default 10,000) bounds how many addresses are
	// remembered; when full, the least recently seen is forgotten.
	AuthFailureLimit   int
	AuthFailureWindow  time.Duration
	AuthBanDuration    time.Duration
	AuthTrackedSources int

	// Floods: each source (IPv4 address, IPv6 /64) may send
	// SourceRequestRate requests a second (default 200; negative: no
	// limit), up to SourceRequestBurst at once (default twice the rate).
	// The rest is dropped unanswered, and a TCP connection that carries
	// it is closed. The trunk's addresses are exempt. RateTrackedSources
	// (default 10,000) bounds how many sources are remembered. See
	// ratelimit.go for why the defaults fit a large office behind one NAT.
	SourceRequestRate  float64
	SourceRequestBurst int
	RateTrackedSources int

	// DigestAlgorithms are offered to phones, one challenge each, most
	// preferred first (default MD5 only: see defaultDigestAlgorithms).
	// Answers in an algorithm not offered are refused.
	DigestAlgorithms []string

	// NodeID is this process's cluster node (sipsim.Node.ID), stored with
	// each registration it takes, so that calls for the phone run here.
	NodeID string
}

// guardLimits are the ban thresholds, defaults filled in.
func (c Config) guardLimits() guardLimits {
	l := guardLimits{failures: 10, window: time.Minute, ban: 10 * time.Minute, sources: 10_000}
	if c.AuthFailureLimit > 0 {
		l.failures = c.AuthFailureLimit
	}
	if c.AuthFailureWindow > 0 {
		l.window = c.AuthFailureWindow
	}
	if c.AuthBanDuration > 0 {
		l.ban = c.AuthBanDuration
	}
	if c.AuthTrackedSources > 0 {
		l.sources = c.AuthTrackedSources
	}
	return l
}

// Engine runs the SIP stack.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	client   *sipgo.Client
	trunk    sip.Uri
	digest   *digestServer
	tap      provisionalTap
	guard    *sourceGuard  // bans addresses that keep failing authentication
	screen   *screen       // drops requests from banned addresses, scanners and floods
	noise    *sipNoise     // keeps peers' garbage out of sipgo's log
	requests requestCounts // requests that reached a handler, by method

	// trunkSources is where the carrier's requests come from.
	trunkSources []netip.AddrPort

	// Filled in by Listen.
	port    int
	udpAddr sip.Addr // local address of the UDP listener, so UDP requests leave from it
	ready   atomic.Bool

	// dialogs maps the ID of every established dialog we created to it, so
	// that an incoming BYE finds its leg; inbound does the same for the
	// dialogs of handset calls, which we answer.
	dialogs sync.Map // string -> *sipgo.DialogClientSession
	inbound sync.Map // string -> *sipgo.DialogServerSession

	// handsets routes calls dialled on phones (SetHandsetRouter); uas and
	// uasTCP answer them over UDP and TCP.
	handsets sipsim.HandsetRouter
	uas      *sipgo.DialogUA
	uasTCP   *sipgo.DialogUA
}

// userAgentName is the only name sipgo may put in what we send (a From it
// fills in). sipgo sends no Server or User-Agent header, and there is no
// version anywhere: a banner only helps scanners pick exploits.
const userAgentName = "SIPSIM"

// New builds an engine; Listen starts it.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MediaTimeout == 0 {
		cfg.MediaTimeout = 30 * time.Second
	}
	algorithms, err := digestAlgorithms(cfg.DigestAlgorithms)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, now: cfg.Now, digest: newDigestServer(cfg.Now, 5*time.Minute, algorithms)}
	if cfg.Trunk != "" {
		if err := sip.ParseUri(cfg.Trunk, &e.trunk); err != nil {
			return nil, fmt.Errorf("trunk URI %q: %w", cfg.Trunk, err)
		}
		e.trunkSources = trunkSources(e.trunk, cfg.Logger)
	}
	// The carrier's addresses are never banned nor rate-limited: a few
	// forged datagrams must not cut every call's trunk leg.
	var trunkIPs []netip.Addr
	for _, s := range e.trunkSources {
		trunkIPs = append(trunkIPs, s.Addr())
	}
	e.guard = newSourceGuard(cfg.Now, cfg.Logger, cfg.guardLimits(), trunkIPs)
	e.screen = &screen{guard: e.guard, limiter: newSourceLimiter(cfg.Now, cfg.Logger, cfg.rateLimits(), trunkIPs), next: e.tap.filter}
	e.noise = newSIPNoise(cfg.Now, cfg.Logger, time.Minute)
	sipLog := e.noise.logger(cfg.Logger)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(userAgentName), sipgo.WithUserAgentHostname(cfg.PublicAddr),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(e.screen.filter), sip.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(e.noise.unmatchedResponse)))
	if err != nil {
		return nil, err
	}
	e.ua = ua
	if e.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return nil, err
	}
	e.srv.OnRegister(e.requests.counted(sip.REGISTER, e.handleRegister))
	e.srv.OnBye(e.requests.counted(sip.BYE, e.handleBye))
	e.srv.OnInvite(e.requests.counted(sip.INVITE, e.handleInvite))
	e.srv.OnAck(e.requests.counted(sip.ACK, e.handleAck))
	e.srv.OnOptions(e.requests.counted(sip.OPTIONS, e.handleOptions))
	return e, nil
}

// Listen binds UDP and TCP on the SIP address and serves until ctx ends.
// With port 0 the UDP port is picked first and TCP binds the same one.
func (e *Engine) Listen(ctx context.Context) error {
	pc, ln, err := listenUDPAndTCP(e.cfg.SIPAddr)
	if err != nil {
		return err
	}
	_, portStr, _ := net.SplitHostPort(pc.LocalAddr().String())
	e.port, _ = strconv.Atoi(portStr)
	lhost, _, _ := net.SplitHostPort(pc.LocalAddr().String())
	e.udpAddr = sip.Addr{IP: net.ParseIP(lhost), Port: e.port, Hostname: lhost}
	if e.client, err = sipgo.NewClient(e.ua, sipgo.WithClientLogger(e.log), sipgo.WithClientHostname(e.cfg.PublicAddr), sipgo.WithClientPort(e.port)); err != nil {
		pc.Close()
		ln.Close()
		return err
	}
	// Handsets get our Contact in answers; in-dialog requests go back to
	// where the INVITE came from (phones behind NAT).
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "sipsim", Host: e.cfg.PublicAddr, Port: e.port}}
	e.uas = &sipgo.DialogUA{Client: e.client, ContactHDR: contact, RewriteContact: true}
	tcpContact := contact
	tcpContact.Address.UriParams = sip.NewParams()
	tcpContact.Address.UriParams.Add("transport", "tcp")
	e.uasTCP = &sipgo.DialogUA{Client: e.client, ContactHDR: tcpContact, RewriteContact: true}
	go func() {
		if err := e.srv.ServeUDP(pc); err != nil && ctx.Err() == nil {
			e.log.Error("sip udp serve", "err", err)
		}
	}()
	go func() {
		// ServeTCP only returns when the listener closes.
		err := e.srv.ServeTCP(ln)
		if ctx.Err() == nil {
			e.log.Error("sip tcp serve", "err", err)
		}
	}()
	// Requests leave from the UDP listener (see invite), which sipgo only
	// finds once ServeUDP has put it in its pool: wait for that, or a call
	// placed at once would try to bind the listening port a second time.
	udpKey := pc.LocalAddr().String()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if c, err := e.ua.TransportLayer().GetConnection("udp", udpKey); err == nil && c != nil {
			break
		}
		if time.Now().After(deadline) {
			pc.Close()
			ln.Close()
			return fmt.Errorf("sip udp listener %s did not start", udpKey)
		}
	}
	e.ready.Store(true)
	e.log.Info("sip listening", "udp", pc.LocalAddr().String(), "tcp", ln.Addr().String(), "public_addr", e.cfg.PublicAddr)
	go func() {
		<-ctx.Done()
		e.ready.Store(false)
		pc.Close()
		ln.Close()
		e.ua.Close()
	}()
	return nil
}

// listenUDPAndTCP binds UDP and TCP on the same port. With port 0 the
// kernel picks the UDP port, which another process may hold for TCP: then
// it tries another.
func listenUDPAndTCP(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sip udp listen: %w", err)
		}
		_, got, _ := net.SplitHostPort(pc.LocalAddr().String())
		ln, err := net.Listen("tcp", net.JoinHostPort(host, got))
		if err == nil {
			growUDPBuffers(pc)
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" || attempt == 10 {
			return nil, nil, fmt.Errorf("sip tcp listen: %w", err)
		}
	}
}

// sipUDPBuffer is the receive and send buffer asked for on the SIP UDP
// socket. Linux's default (208 KiB) overflowed at about 550 click-to-calls
// a second (bench/caps: the server's socket dropped datagrams, and phones
// never heard their INVITE); 4 MiB holds a burst several times that. The
// kernel caps it at net.core.rmem_max / wmem_max (docs/operations.md).
const sipUDPBuffer = 4 << 20

func growUDPBuffers(pc net.PacketConn) {
	if u, ok := pc.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(sipUDPBuffer)
		_ = u.SetWriteBuffer(sipUDPBuffer)
	}
}

// Ready reports whether SIP is listening.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Port is the SIP port actually bound.
func (e *Engine) Port() int { return e.port }

func (e *Engine) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"))
	respond(tx, res, e.log)
}

// handleBye ends whichever of our dialogs the BYE belongs to; the leg's
// context is cancelled and the call goroutine hangs up the other side.
func (e *Engine) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err == nil {
		if v, ok := e.dialogs.Load(id); ok {
			if err := v.(*sipgo.DialogClientSession).ReadBye(req, tx); err != nil {
				e.log.Debug("bye", "err", err)
			}
			return
		}
	}
	if d := e.inboundDialog(req); d != nil {
		if err := d.ReadBye(req, tx); err != nil {
			e.log.Debug("bye", "err", err)
		}
		return
	}
	respond(tx, sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil), e.log)
}

// handleAck confirms the 200 we sent a handset; other ACKs (for our
// error answers) are the transaction layer's business.
func (e *Engine) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	if d := e.inboundDialog(req); d != nil {
		if err := d.ReadAck(req, tx); err != nil {
			e.log.Debug("ack", "err", err)
		}
	}
}

// inboundDialog finds the handset dialog an in-dialog request belongs to.
func (e *Engine) inboundDialog(req *sip.Request) *sipgo.DialogServerSession {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	if v, ok := e.inbound.Load(id); ok {
		return v.(*sipgo.DialogServerSession)
	}
	return nil
}

func respond(tx sip.ServerTransaction, res *sip.Response, log *slog.Logger) {
	if err := tx.Respond(res); err != nil && !errors.Is(err, sip.ErrTransactionTerminated) {
		log.Debug("sip respond failed", "err", err, "code", res.StatusCode)
	}
}
