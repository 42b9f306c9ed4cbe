package media

import "encoding/binary"

// RTP fixed header (RFC 3550 section 5.1): V(2) P X CC(4) | M PT(7) |
// sequence(16) | timestamp(32) | SSRC(32), then CSRCs and an optional
// extension before the payload.
const (
	rtpVersion   = 2
	rtpHeaderLen = 12
)

// rtpPayload checks that pkt is a well-formed RTP packet and returns the
// bounds of its payload (CSRC list, header extension and padding excluded).
func rtpPayload(pkt []byte) (start, end int, ok bool) {
	if len(pkt) < rtpHeaderLen || pkt[0]>>6 != rtpVersion {
		return 0, 0, false
	}
	start = rtpHeaderLen + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 { // extension: profile(16), length in words(16), words
		if len(pkt) < start+4 {
			return 0, 0, false
		}
		start += 4 + 4*int(binary.BigEndian.Uint16(pkt[start+2:]))
	}
	end = len(pkt)
	if pkt[0]&0x20 != 0 { // padding: the last octet counts the padding octets
		pad := int(pkt[len(pkt)-1])
		if pad == 0 {
			return 0, 0, false
		}
		end -= pad
	}
	if start > end {
		return 0, 0, false
	}
	return start, end, true
}

// media is what one side negotiated, as the relay needs it.
type media struct {
	codec  Codec
	dtmfPT int // telephone-event payload type, -1 if not negotiated
}

// relay rewrites pkt, an RTP packet received from a side that negotiated
// from, in place into the packet to send to a side that negotiated to, as
// part of the stream out. It reports false when the packet must be dropped:
// malformed, a payload type the sender did not negotiate, or a DTMF event
// the receiver cannot take. It never allocates.
func relay(pkt []byte, from, to media, out *outStream) bool {
	start, end, ok := rtpPayload(pkt)
	if !ok {
		return false
	}
	pt := pkt[1] & 0x7f
	marker := pkt[1] & 0x80
	var outPT uint8
	samples := 0
	switch {
	case pt == from.codec.PayloadType:
		outPT = to.codec.PayloadType
		if outPT != pt {
			// The legs chose different G.711 laws: convert, same size.
			table := transcoder(pt, outPT)
			if table == nil {
				return false
			}
			payload := pkt[start:end]
			for i, c := range payload {
				payload[i] = table[c]
			}
		}
		if isG711(pt) {
			samples = end - start
		}
	case from.dtmfPT >= 0 && int(pt) == from.dtmfPT:
		// RFC 4733 events keep their payload; only the number the
		// receiver negotiated for telephone-event changes.
		if to.dtmfPT < 0 || to.dtmfPT > 127 {
			return false
		}
		outPT = uint8(to.dtmfPT)
	default:
		return false
	}
	seq := binary.BigEndian.Uint16(pkt[2:])
	ts := binary.BigEndian.Uint32(pkt[4:])
	ssrc := binary.BigEndian.Uint32(pkt[8:])
	outSeq, outTS, switched := out.next(uint64(ssrc), seq, ts, samples)
	if switched {
		marker = 0x80
	}
	pkt[1] = marker | outPT
	binary.BigEndian.PutUint16(pkt[2:], outSeq)
	binary.BigEndian.PutUint32(pkt[4:], outTS)
	binary.BigEndian.PutUint32(pkt[8:], out.ssrc)
	return true
}
