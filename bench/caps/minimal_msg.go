package main

import (
	"strconv"
	"strings"
)

// sipMessage is a parsed SIP datagram, as little as the minimal node
// needs: the start line, headers by lower-case name (first value only)
// and the body.
type sipMessage struct {
	first   string
	headers map[string]string
	body    string
}

// compactNames maps RFC 3261 compact header forms to full names.
var compactNames = map[string]string{"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact", "l": "content-length", "c": "content-type"}

func parseSIP(b []byte) (sipMessage, bool) {
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !ok {
		return sipMessage{}, false
	}
	lines := strings.Split(head, "\r\n")
	m := sipMessage{first: lines[0], headers: make(map[string]string, len(lines)), body: body}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if full, ok := compactNames[name]; ok {
			name = full
		}
		if _, seen := m.headers[name]; !seen {
			m.headers[name] = strings.TrimSpace(value)
		}
	}
	return m, true
}

func (m sipMessage) isResponse() bool { return strings.HasPrefix(m.first, "SIP/2.0 ") }

// code is a response's status code.
func (m sipMessage) code() int {
	if len(m.first) < 11 {
		return 0
	}
	c, _ := strconv.Atoi(m.first[8:11])
	return c
}

// method is the request's method, or for a response the CSeq's.
func (m sipMessage) method() string {
	if m.isResponse() {
		_, method, _ := strings.Cut(m.headers["cseq"], " ")
		return strings.TrimSpace(method)
	}
	method, _, _ := strings.Cut(m.first, " ")
	return method
}

// branch is the top Via's branch parameter.
func (m sipMessage) branch() string {
	_, rest, ok := strings.Cut(m.headers["via"], "branch=")
	if !ok {
		return ""
	}
	b, _, _ := strings.Cut(rest, ";")
	return strings.TrimSpace(b)
}

// contactURI is the URI inside the Contact header's angle brackets.
func (m sipMessage) contactURI() string {
	c := m.headers["contact"]
	if _, rest, ok := strings.Cut(c, "<"); ok {
		c, _, _ = strings.Cut(rest, ">")
	}
	return c
}

// okResponse is the 200 OK answering request m (a BYE), echoing its
// transaction and dialog headers.
func okResponse(m sipMessage) []byte {
	var b strings.Builder
	b.WriteString("SIP/2.0 200 OK\r\n")
	for _, h := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
		b.WriteString(h + ": " + m.headers[strings.ToLower(h)] + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}
