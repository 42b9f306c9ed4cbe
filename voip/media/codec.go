package media

import "strings"

// Codec is an audio codec as negotiated in SDP. The relay only needs its
// static payload type; ClockRate tells how many timestamp units a second
// holds.
type Codec struct {
	Name        string // the SDP encoding name, e.g. "PCMU"
	PayloadType uint8  // the static RTP payload type (RFC 3551)
	ClockRate   int    // RTP timestamp units per second
}

// The codecs SIPSIM negotiates: G.711 µ-law and A-law, static payload types 0
// and 8, 8 kHz.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// CodecByName returns the supported codec with the given SDP encoding name,
// compared case-insensitively ("PCMU", "pcma"); false if it is not one.
func CodecByName(name string) (Codec, bool) {
	for _, c := range []Codec{PCMU, PCMA} {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Codec{}, false
}

// isG711 reports whether payload type pt carries G.711, whose payload is one
// octet per sample: then a packet's sample count is its payload length.
func isG711(pt uint8) bool {
	return pt == PCMU.PayloadType || pt == PCMA.PayloadType
}
