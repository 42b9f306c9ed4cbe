package voip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// sessionDesc is the part of an SDP body a packet relay needs: where to send
// audio and which payload types the peer chose.
type sessionDesc struct {
	addr   netip.AddrPort
	codecs []sdpCodec // audio codecs in the peer's order of preference
	dtmfPT int        // telephone-event payload type, -1 if absent
}

type sdpCodec struct {
	pt   uint8
	name string // upper case, e.g. "PCMU"
	rate int
}

// staticPT names the RFC 3551 static payload types we may meet without an
// rtpmap line.
var staticPT = map[uint8]sdpCodec{0: {0, "PCMU", 8000}, 8: {8, "PCMA", 8000}}

var errNoAudio = errors.New("sdp: no usable audio stream")

// parseSDP reads the first audio stream of an SDP body.
func parseSDP(body []byte) (sessionDesc, error) {
	d := sessionDesc{dtmfPT: -1}
	var sessionIP, mediaIP string
	var port int
	var pts []uint8
	rtpmap := map[uint8]sdpCodec{}
	inAudio, seenAudio := false, false
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			if seenAudio {
				inAudio = false
				continue
			}
			f := strings.Fields(val)
			if len(f) < 4 || f[0] != "audio" || !strings.HasPrefix(f[2], "RTP/AVP") {
				inAudio = false
				continue
			}
			p, err := strconv.Atoi(f[1])
			if err != nil || p < 0 || p > 65535 {
				return d, fmt.Errorf("sdp: bad media port %q", f[1])
			}
			port, inAudio, seenAudio = p, true, true
			for _, s := range f[3:] {
				if v, err := strconv.ParseUint(s, 10, 7); err == nil {
					pts = append(pts, uint8(v))
				}
			}
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" {
				continue
			}
			ip, _, _ := strings.Cut(f[2], "/")
			if inAudio {
				mediaIP = ip
			} else if !seenAudio {
				sessionIP = ip
			}
		case 'a':
			if !inAudio || !strings.HasPrefix(val, "rtpmap:") {
				continue
			}
			ptStr, enc, ok := strings.Cut(strings.TrimPrefix(val, "rtpmap:"), " ")
			v, err := strconv.ParseUint(ptStr, 10, 7)
			if !ok || err != nil {
				continue
			}
			name, rest, _ := strings.Cut(enc, "/")
			rateStr, _, _ := strings.Cut(rest, "/")
			rate, _ := strconv.Atoi(rateStr)
			rtpmap[uint8(v)] = sdpCodec{uint8(v), strings.ToUpper(name), rate}
		}
	}
	if !seenAudio {
		return d, errNoAudio
	}
	ipStr := mediaIP
	if ipStr == "" {
		ipStr = sessionIP
	}
	ip, err := netip.ParseAddr(ipStr)
	if err != nil {
		return d, fmt.Errorf("sdp: bad connection address %q", ipStr)
	}
	d.addr = netip.AddrPortFrom(ip, uint16(port))
	for _, pt := range pts {
		c, ok := rtpmap[pt]
		if !ok {
			c, ok = staticPT[pt]
		}
		if !ok {
			continue
		}
		if c.name == "TELEPHONE-EVENT" {
			if d.dtmfPT < 0 {
				d.dtmfPT = int(pt)
			}
			continue
		}
		d.codecs = append(d.codecs, c)
	}
	return d, nil
}

// firstCodec returns the first codec of d that we relay (G.711).
func (d sessionDesc) firstCodec() (sdpCodec, bool) {
	for _, c := range d.codecs {
		if (c.name == "PCMU" || c.name == "PCMA") && c.rate == 8000 {
			return c, true
		}
	}
	return sdpCodec{}, false
}

// dtmfPT is the payload type we offer for RFC 4733 telephone-event.
const offerDTMFPT = 101

// buildOffer writes an SDP offer for one audio stream at ip:port with the
// given codecs (plus telephone-event for DTMF pass-through).
func buildOffer(ip netip.Addr, port int, sessionID int64, codecs []sdpCodec) []byte {
	return buildSDP(ip, port, sessionID, codecs, offerDTMFPT)
}

// buildAnswer answers an offer with one codec, and telephone-event under
// the offer's own payload type when it had one (RFC 3264 6.1: an answer
// keeps the offer's payload type numbers).
func buildAnswer(ip netip.Addr, port int, sessionID int64, codec sdpCodec, dtmfPT int) []byte {
	return buildSDP(ip, port, sessionID, []sdpCodec{codec}, dtmfPT)
}

// buildSDP writes a description of one audio stream; dtmfPT < 0 leaves out
// telephone-event.
func buildSDP(ip netip.Addr, port int, sessionID int64, codecs []sdpCodec, dtmfPT int) []byte {
	family := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		family = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=sipsim %d %d IN %s %s\r\ns=SIPSIM\r\nc=IN %s %s\r\nt=0 0\r\n", sessionID, sessionID, family, ip, family, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", port)
	for _, c := range codecs {
		fmt.Fprintf(&b, " %d", c.pt)
	}
	if dtmfPT >= 0 {
		fmt.Fprintf(&b, " %d", dtmfPT)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.pt, c.name, c.rate)
	}
	if dtmfPT >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", dtmfPT, dtmfPT)
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}
