package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// SIPp's -trace_msg file: each message follows a line of 47 dashes, a
// space and the local wall-clock time with microseconds, then a line
// saying whether it was sent or received, then the message itself.
const (
	traceSeparator = "----------------------------------------------- "
	traceTimeShape = "2006-01-02 15:04:05.000000"
)

// SIPp stamps a message when its event loop handles it, not when the
// kernel took it in, and two SIPp processes stamp the two ends of the
// PDD: below about 0.1 ms the figures carry that noise, and a PDD can
// even come out slightly negative. It is the same for every system
// measured.

// wireTimes are the on-the-wire instants of one SIPp's trace, by the
// server's call id (X-Sipsim-Call-Id), first occurrence only: a
// retransmission is not when the message first went out.
type wireTimes struct {
	InviteIn map[string]time.Time // INVITE received
	OKOut    map[string]time.Time // 200 OK to that INVITE sent
}

// traceMessage is the part of one traced message the benchmark reads.
type traceMessage struct {
	at       time.Time
	headed   bool // the sent/received line is read
	sent     bool
	first    string
	callID   string // SIP Call-ID
	cseq     string
	serverID string // X-Sipsim-Call-Id
}

// readWireTimes parses a SIPp message trace. The 200 OK carries no
// X-Sipsim-Call-Id; it is tied to its INVITE by the SIP Call-ID.
func readWireTimes(path string) (wireTimes, error) {
	w := wireTimes{InviteIn: map[string]time.Time{}, OKOut: map[string]time.Time{}}
	f, err := os.Open(path)
	if err != nil {
		return w, err
	}
	defer f.Close()
	byCallID := map[string]string{}
	var m *traceMessage
	flush := func() {
		if m == nil {
			return
		}
		switch {
		case !m.sent && strings.HasPrefix(m.first, "INVITE ") && m.serverID != "":
			byCallID[m.callID] = m.serverID
			if _, seen := w.InviteIn[m.serverID]; !seen {
				w.InviteIn[m.serverID] = m.at
			}
		case m.sent && strings.HasPrefix(m.first, "SIP/2.0 200") && strings.HasSuffix(m.cseq, " INVITE"):
			id := byCallID[m.callID]
			if _, seen := w.OKOut[id]; id != "" && !seen {
				w.OKOut[id] = m.at
			}
		}
		m = nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if stamp, ok := strings.CutPrefix(line, traceSeparator); ok {
			flush()
			at, err := time.ParseInLocation(traceTimeShape, strings.TrimSpace(stamp), time.Local)
			if err != nil {
				return w, fmt.Errorf("%s: bad trace time %q", path, stamp)
			}
			m = &traceMessage{at: at}
			continue
		}
		if m == nil {
			continue
		}
		switch {
		case !m.headed:
			m.headed = true
			m.sent = strings.Contains(line, "message sent")
		case m.first == "" && line != "":
			m.first = line
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			value = strings.TrimSpace(value)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "call-id", "i":
				m.callID = value
			case "cseq":
				m.cseq = value
			case "x-sipsim-call-id":
				m.serverID = value
			}
		}
	}
	flush()
	return w, sc.Err()
}
