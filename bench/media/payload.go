package main

import (
	"encoding/binary"
)

// Every packet is what a G.711 phone sends every 20 ms: a 12-byte RTP
// header (PT 0, PCMU) and 160 bytes of payload. The payload is not audio
// but a record the receiver checks, so that a relay cannot cheat by
// dropping, reordering or rewriting it unseen:
//
//	0..3    magic "SBMD"
//	4..7    the sending leg's id
//	8..11   the sender's own packet counter (loss is counted from it:
//	        the RTP sequence number is the relay's to rewrite)
//	12..19  send time, Unix nanoseconds (see timestamps.go)
//	20..159 filler derived from the leg id, checked byte for byte
const (
	rtpHeaderLen  = 12
	payloadLen    = 160 // 20 ms of 8 kHz G.711
	packetLen     = rtpHeaderLen + payloadLen
	samplesPerPkt = 160
	fillerStart   = 20
)

var magic = [4]byte{'S', 'B', 'M', 'D'}

// writePacket fills pkt (packetLen bytes) with leg l's next packet.
func writePacket(pkt []byte, l *leg, sendNs int64) {
	pkt[0] = 0x80 // version 2, no padding, extension or CSRC
	pkt[1] = 0    // PCMU
	if l.counter == 0 {
		pkt[1] |= 0x80 // marker on a stream's first packet
	}
	binary.BigEndian.PutUint16(pkt[2:], l.rtpSeq)
	binary.BigEndian.PutUint32(pkt[4:], l.rtpTS)
	binary.BigEndian.PutUint32(pkt[8:], l.ssrc)
	p := pkt[rtpHeaderLen:]
	copy(p, magic[:])
	binary.BigEndian.PutUint32(p[4:], l.id)
	binary.BigEndian.PutUint32(p[8:], l.counter)
	binary.BigEndian.PutUint64(p[12:], uint64(sendNs))
	for i := fillerStart; i < payloadLen; i++ {
		p[i] = fillerByte(l.id, i)
	}
	l.counter++
	l.rtpSeq++
	l.rtpTS += samplesPerPkt
}

func fillerByte(id uint32, i int) byte { return byte(id*131 + uint32(i)*7) }

// received is what the receiver reads from a packet that passed its checks.
type received struct {
	sender  uint32
	counter uint32
	sendNs  int64
}

// packetVerdict says what a datagram that reached a generator socket was.
type packetVerdict int

const (
	packetOurs    packetVerdict = iota // one of our streams, intact
	packetForeign                      // RTP that is not ours: the relay's ringback before the answer
	packetCorrupt                      // ours, but changed on the way, or not RTP at all
)

// readPacket checks a datagram and decodes our record from it.
func readPacket(pkt []byte) (received, packetVerdict) {
	if len(pkt) < rtpHeaderLen || pkt[0]>>6 != 2 {
		return received{}, packetCorrupt
	}
	p := pkt[rtpHeaderLen:]
	if len(p) < 4 || [4]byte(p[:4]) != magic {
		return received{}, packetForeign
	}
	if len(pkt) != packetLen || pkt[1]&0x7f != 0 {
		return received{}, packetCorrupt
	}
	r := received{
		sender:  binary.BigEndian.Uint32(p[4:]),
		counter: binary.BigEndian.Uint32(p[8:]),
		sendNs:  int64(binary.BigEndian.Uint64(p[12:])),
	}
	for i := fillerStart; i < payloadLen; i++ {
		if p[i] != fillerByte(r.sender, i) {
			return received{}, packetCorrupt
		}
	}
	return r, packetOurs
}
