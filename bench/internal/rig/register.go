package rig

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Phones register with this small digest client rather than SIPp: SIPp
// 3.6.1 (Debian 12) does not substitute injection-file fields inside
// [authentication username=[field0] ...], and without that every phone
// would need the same user name, which the registrar (user = extension)
// cannot have. The registrar sends a phone's calls to the address its
// REGISTER came from, so a benchmark whose calls SIPp must answer
// registers from a socket on SIPp's port, closes it, then starts SIPp
// there.

// Login is one phone's SIP credentials.
type Login struct {
	Ext      int
	Domain   string // the account's SIP domain, also the digest realm
	Password string
}

// RegisterAll registers every phone once (Expires 3600) over UDP,
// starting at most rate REGISTER transactions per second over the given
// sockets, each socket one phone at a time. It fails on the first phone
// that does not get its 200. The sockets stay open; the caller closes
// them.
func RegisterAll(ctx context.Context, server string, phones []Login, rate int, conns []net.PacketConn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan Login)
	go func() {
		defer close(next)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for _, p := range phones {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case next <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			dst, err := net.ResolveUDPAddr("udp4", server)
			if err != nil {
				cancel(err)
				return
			}
			for p := range next {
				if err := register(conn, dst, p); err != nil {
					cancel(fmt.Errorf("phone %d@%s: %w", p.Ext, p.Domain, err))
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// register is one REGISTER transaction pair: challenged with 401, then
// answered with the digest, which must get 200.
func register(conn net.PacketConn, dst net.Addr, p Login) error {
	callID, tag := token()+"@bench", token()
	res, err := transact(conn, dst, registerRequest(conn, p, callID, tag, 1, ""))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(res, "SIP/2.0 401") {
		return fmt.Errorf("first REGISTER answered %q, want 401", firstLine(res))
	}
	auth, err := digestAnswer(res, p)
	if err != nil {
		return err
	}
	res, err = transact(conn, dst, registerRequest(conn, p, callID, tag, 2, auth))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		return fmt.Errorf("authenticated REGISTER answered %q, want 200", firstLine(res))
	}
	return nil
}

func registerRequest(conn net.PacketConn, p Login, callID, tag string, cseq int, auth string) string {
	local := conn.LocalAddr().String()
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\r\n", p.Domain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n", local, token())
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: <sip:%d@%s>;tag=%s\r\n", p.Ext, p.Domain, tag)
	fmt.Fprintf(&b, "To: <sip:%d@%s>\r\n", p.Ext, p.Domain)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", callID, cseq)
	fmt.Fprintf(&b, "Contact: <sip:%d@%s;transport=udp>\r\nExpires: 3600\r\n", p.Ext, local)
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
	}
	b.WriteString("User-Agent: sipsim-bench-regmem\r\nContent-Length: 0\r\n\r\n")
	return b.String()
}

// transact sends req and returns the first final response with its
// CSeq, retransmitting as UDP needs (every 500 ms, 8 times at most).
func transact(conn net.PacketConn, dst net.Addr, req string) (string, error) {
	cseq := header(req, "CSeq")
	callID := header(req, "Call-ID")
	buf := make([]byte, 8192)
	for range 8 {
		if _, err := conn.WriteTo([]byte(req), dst); err != nil {
			return "", err
		}
		deadline := time.Now().Add(500 * time.Millisecond)
		_ = conn.SetReadDeadline(deadline)
		for {
			n, _, err := conn.ReadFrom(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			} else if err != nil {
				return "", err
			}
			res := string(buf[:n])
			if strings.HasPrefix(res, "SIP/2.0 1") || header(res, "Call-ID") != callID || header(res, "CSeq") != cseq {
				continue // provisional, or a late answer to an earlier request
			}
			return res, nil
		}
	}
	return "", errors.New("no answer to REGISTER after 8 tries")
}

// digestAnswer computes the Authorization value for a 401's MD5
// challenge (RFC 2617 with qop=auth).
func digestAnswer(res string, p Login) (string, error) {
	ch := header(res, "WWW-Authenticate")
	realm, nonce := param(ch, "realm"), param(ch, "nonce")
	if realm == "" || nonce == "" {
		return "", fmt.Errorf("401 without a usable challenge: %q", ch)
	}
	uri := "sip:" + p.Domain
	cnonce, nc := token(), "00000001"
	ha1 := md5hex(fmt.Sprintf("%d:%s:%s", p.Ext, realm, p.Password))
	ha2 := md5hex("REGISTER:" + uri)
	resp := md5hex(strings.Join([]string{ha1, nonce, nc, cnonce, "auth", ha2}, ":"))
	return fmt.Sprintf(`Digest username="%d", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, cnonce="%s", qop=auth, nc=%s`,
		p.Ext, realm, nonce, uri, resp, cnonce, nc), nil
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func token() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// header returns the value of the first header called name.
func header(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// param returns a parameter of a challenge: realm="x" gives x.
func param(challenge, name string) string {
	_, rest, ok := strings.Cut(challenge, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

func firstLine(msg string) string {
	l, _, _ := strings.Cut(msg, "\r\n")
	return l
}
