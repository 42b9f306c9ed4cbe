package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// sipMessage is the little of a SIP message the benchmark's peers read:
// they are answering machines, not SIP stacks.
type sipMessage struct {
	start   string
	headers []string // raw "Name: value" lines, in order
	body    []byte
}

func parseSIP(b []byte) (sipMessage, bool) {
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return sipMessage{}, false
	}
	lines := strings.Split(string(head), "\r\n")
	return sipMessage{start: lines[0], headers: lines[1:], body: body}, true
}

// compact maps RFC 3261 compact header names to full ones.
var compact = map[string]string{"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length", "c": "content-type"}

func headerName(line string) (name, value string, ok bool) {
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", false
	}
	k = strings.ToLower(strings.TrimSpace(k))
	if full, ok := compact[k]; ok {
		k = full
	}
	return k, strings.TrimSpace(v), true
}

// get returns the first value of header name (lower case).
func (m sipMessage) get(name string) string {
	for _, l := range m.headers {
		if k, v, ok := headerName(l); ok && k == name {
			return v
		}
	}
	return ""
}

// method is the request's method, or "" for a response.
func (m sipMessage) method() string {
	if strings.HasPrefix(m.start, "SIP/2.0") {
		return ""
	}
	meth, _, _ := strings.Cut(m.start, " ")
	return meth
}

// response writes a response to request m: Vias, From, Call-ID and CSeq
// copied, To given toTag if it has none, and an SDP body if sdp is set.
func (m sipMessage) response(code int, reason, toTag, contact string, sdp []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, l := range m.headers {
		k, v, ok := headerName(l)
		if !ok {
			continue
		}
		switch k {
		case "via", "from", "call-id", "cseq", "record-route":
			b.WriteString(l + "\r\n")
		case "to":
			if toTag != "" && !strings.Contains(v, ";tag=") {
				l += ";tag=" + toTag
			}
			b.WriteString(l + "\r\n")
		}
	}
	if contact != "" {
		fmt.Fprintf(&b, "Contact: <sip:bench@%s>\r\n", contact)
	}
	if sdp != nil {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(sdp))
	b.Write(sdp)
	return b.Bytes()
}

// sdpAudio reads where an SDP body wants its audio: the connection
// address and the first m=audio port.
func sdpAudio(body []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	port := -1
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "c=IN IP4 "); ok && !ip.IsValid() {
			a, err := netip.ParseAddr(strings.Fields(rest)[0])
			if err != nil {
				return netip.AddrPort{}, err
			}
			ip = a
		}
		if rest, ok := strings.CutPrefix(line, "m=audio "); ok && port < 0 {
			p, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				return netip.AddrPort{}, err
			}
			port = p
		}
	}
	if !ip.IsValid() || port <= 0 {
		return netip.AddrPort{}, fmt.Errorf("no IPv4 audio stream in SDP %q", body)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// answerSDP offers PCMU only, at port.
func answerSDP(port int) []byte {
	return fmt.Appendf(nil, "v=0\r\no=bench %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n", port, port)
}
