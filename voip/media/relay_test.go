package media

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestRTPPayloadBounds(t *testing.T) {
	base := packet{pt: 0, seq: 1, ts: 2, ssrc: 3, payload: []byte{1, 2, 3, 4}}.marshal()
	withCSRC := append([]byte{0x81}, base[1:rtpHeaderLen]...)
	withCSRC = append(withCSRC, 0, 0, 0, 9, 1, 2, 3, 4)
	withExt := append([]byte{0x90}, base[1:rtpHeaderLen]...)
	withExt = append(withExt, 0xBE, 0xDE, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD, 1, 2, 3, 4)
	withPad := append([]byte{0xA0}, base[1:]...)
	withPad = append(withPad, 0, 0, 3)
	tests := []struct {
		name       string
		pkt        []byte
		start, end int
		ok         bool
	}{
		{"plain", base, 12, 16, true},
		{"CSRC", withCSRC, 16, 20, true},
		{"extension", withExt, 20, 24, true},
		{"padding", withPad, 12, 16, true},
		{"too short", base[:11], 0, 0, false},
		{"version 1", append([]byte{0x40}, base[1:]...), 0, 0, false},
		{"CSRCs past the end", append([]byte{0x8F}, base[1:]...), 0, 0, false},
		{"extension past the end", append([]byte{0x90}, base[1:]...), 0, 0, false},
		{"padding past the start", append(append([]byte{0xA0}, base[1:]...), 200), 0, 0, false},
		{"zero padding count", append(append([]byte{0xA0}, base[1:]...), 0), 0, 0, false},
	}
	for _, tt := range tests {
		start, end, ok := rtpPayload(tt.pkt)
		if start != tt.start || end != tt.end || ok != tt.ok {
			t.Errorf("%s: rtpPayload = %d, %d, %v, want %d, %d, %v", tt.name, start, end, ok, tt.start, tt.end, tt.ok)
		}
	}
}

func TestRelayMapsPayloadTypes(t *testing.T) {
	phone := media{codec: PCMU, dtmfPT: 101}
	tests := []struct {
		name   string
		to     media
		inPT   uint8
		wantPT uint8
		ok     bool
	}{
		{"codec kept", media{PCMU, 96}, 0, 0, true},
		{"telephone-event renumbered", media{PCMU, 96}, 101, 96, true},
		{"telephone-event without peer support", media{PCMU, -1}, 101, 0, false},
		{"transcoded to A-law", media{PCMA, 101}, 0, 8, true},
		{"payload type not negotiated", media{PCMU, 101}, 8, 0, false},
		{"RTCP on the RTP port", media{PCMU, 101}, 200 & 0x7f, 0, false},
	}
	for _, tt := range tests {
		o := newOutStream(0x5555, 1, 1)
		pkt := packet{pt: tt.inPT, seq: 9, ts: 9, ssrc: 7, payload: []byte{0xFF, 0xFF}}.marshal()
		ok := relay(pkt, phone, tt.to, &o)
		if ok != tt.ok {
			t.Errorf("%s: relay ok = %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if ok && pkt[1]&0x7f != tt.wantPT {
			t.Errorf("%s: PT %d, want %d", tt.name, pkt[1]&0x7f, tt.wantPT)
		}
	}
}

func TestRelayDoesNotAllocate(t *testing.T) {
	o := newOutStream(1, 1, 1)
	from, to := media{PCMU, 101}, media{PCMA, 96}
	pkt := packet{pt: 0, ssrc: 7, payload: make([]byte, 160)}.marshal()
	seq := uint16(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		binary.BigEndian.PutUint16(pkt[2:], seq)
		pkt[1] = 0 // the previous run rewrote it to PCMA
		relay(pkt, from, to, &o)
	})
	if allocs != 0 {
		t.Errorf("relay allocates %v times per packet, want 0", allocs)
	}
}

// FuzzRelay feeds arbitrary datagrams to the rewrite: it must never panic,
// and whatever it accepts must leave as well-formed RTP of our stream with
// the payload's size unchanged.
func FuzzRelay(f *testing.F) {
	f.Add(packet{pt: 0, seq: 1, ts: 160, ssrc: 9, payload: bytes.Repeat([]byte{0xFF}, 160)}.marshal())
	f.Add(packet{pt: 101, marker: true, seq: 2, ts: 320, ssrc: 9, payload: []byte{1, 0x8a, 0, 160}}.marshal())
	f.Add(append([]byte{0x91, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 0, 0, 2, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 5))
	f.Add(append([]byte{0xA0, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0xD5, 0xD5, 0, 2))
	f.Add([]byte{})
	f.Add([]byte{0x80})
	pairs := []struct{ from, to media }{
		{media{PCMU, 101}, media{PCMU, 96}},
		{media{PCMU, 101}, media{PCMA, -1}},
		{media{PCMA, -1}, media{PCMU, 101}},
		{media{Codec{Name: "X", PayloadType: 99}, 101}, media{PCMU, 101}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range pairs {
			o := newOutStream(0xC0FFEE, 10, 20)
			pkt := append([]byte(nil), data...)
			if !relay(pkt, p.from, p.to, &o) {
				continue
			}
			if len(pkt) != len(data) {
				t.Fatalf("relay changed the length from %d to %d", len(data), len(pkt))
			}
			start, end, ok := rtpPayload(pkt)
			inStart, inEnd, _ := rtpPayload(data)
			if !ok || end-start != inEnd-inStart {
				t.Fatalf("relayed packet malformed or resized: % x", pkt)
			}
			if ssrc := binary.BigEndian.Uint32(pkt[8:]); ssrc != 0xC0FFEE {
				t.Fatalf("relayed SSRC %#x, want ours", ssrc)
			}
			if pt := int(pkt[1] & 0x7f); pt != int(p.to.codec.PayloadType) && pt != p.to.dtmfPT {
				t.Fatalf("relayed PT %d, which the receiver did not negotiate", pt)
			}
		}
	})
}
