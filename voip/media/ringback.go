package media

import (
	"encoding/binary"
	"math"
	"time"
)

// Ringback tone as ITU-T E.180 recommends it for most countries: 425 Hz,
// 1 s on, 4 s off, sent as 20 ms G.711 packets.
const (
	ringbackHz       = 425
	ringbackRate     = 8000                       // G.711 samples per second
	ringbackFrame    = ringbackRate / 50          // samples per 20 ms packet
	ringbackInterval = 20 * time.Millisecond      // one packet per frame
	ringbackOn       = 50                         // packets of tone: 1 s
	ringbackCadence  = 250                        // packets per cycle: 5 s
	ringbackLevel    = 5000                       // peak, about -13 dBm0
	toneFrames       = 2                          // 425 Hz fits 17 whole periods in 2 frames
	toneSamples      = toneFrames * ringbackFrame // one seamless loop of the tone
)

// ringbackTone is the tone as linear samples, looped frame by frame.
var ringbackTone = func() (t [toneSamples]int16) {
	for i := range t {
		t[i] = int16(math.Round(ringbackLevel * math.Sin(2*math.Pi*ringbackHz*float64(i)/ringbackRate)))
	}
	return t
}()

// ringback is one run of the generator; closing stop ends it.
type ringback struct{ stop chan struct{} }

// stopRingback ends the generator sending to this side, if any. Call with mu
// held: once it returns, no generated packet follows.
func (sd *side) stopRingback() {
	if sd.gen != nil {
		close(sd.gen.stop)
		sd.gen = nil
	}
}

// PlayRingback sends a generated ringback tone to A, in A's codec (PCMU or
// PCMA; nothing is sent for another codec), one packet every 20 ms, until StopRingback, Connect, Close, or the first packet
// forwarded from B once ForwardEarlyMedia was called. It does nothing if the
// tone already plays, after Connect, or once B's media has reached A. If A's
// address is not known yet (SetRemote), the tone starts when it is.
func (b *Bridge) PlayRingback() {
	b.ctl.Lock()
	defer b.ctl.Unlock()
	if b.closed || b.connected {
		return
	}
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen != nil || sd.fed {
		return
	}
	g := &ringback{stop: make(chan struct{})}
	sd.gen = g
	sd.gens++
	b.wg.Add(1)
	go b.ring(g, generatorSource+sd.gens)
}

// StopRingback stops the generated ringback; no generated packet is sent
// once it returns.
func (b *Bridge) StopRingback() {
	sd := &b.sides[A]
	sd.mu.Lock()
	sd.stopRingback()
	sd.mu.Unlock()
}

// ring is the generator's goroutine, paced by a ticker. source keys its
// stream in A's outgoing stream.
func (b *Bridge) ring(g *ringback, source uint64) {
	defer b.wg.Done()
	ticker := time.NewTicker(ringbackInterval)
	defer ticker.Stop()
	pkt := make([]byte, rtpHeaderLen+ringbackFrame)
	for tick := 0; ; tick++ {
		if !b.sendRingback(g, source, pkt, tick) {
			return
		}
		select {
		case <-g.stop:
			return
		case <-ticker.C:
		}
	}
}

// sendRingback sends the tick'th packet of the tone to A, and reports false
// once g no longer owns A's stream.
func (b *Bridge) sendRingback(g *ringback, source uint64, pkt []byte, tick int) bool {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen != g {
		return false
	}
	var encode func(int16) byte
	switch sd.media.codec.PayloadType {
	case PCMU.PayloadType:
		encode = LinearToULaw
	case PCMA.PayloadType:
		encode = LinearToALaw
	}
	if !sd.canSend() || encode == nil {
		return true // nowhere to send yet, or a codec we cannot generate
	}
	payload := pkt[rtpHeaderLen:]
	if tick%ringbackCadence < ringbackOn {
		frame := ringbackTone[(tick%toneFrames)*ringbackFrame:]
		for i := range payload {
			payload[i] = encode(frame[i])
		}
	} else {
		silence := encode(0)
		for i := range payload {
			payload[i] = silence
		}
	}
	seq, ts, switched := sd.out.next(source, uint16(tick), uint32(tick*ringbackFrame), ringbackFrame)
	var marker byte
	if switched {
		marker = 0x80
	}
	pkt[0] = rtpVersion << 6
	pkt[1] = marker | sd.media.codec.PayloadType
	binary.BigEndian.PutUint16(pkt[2:], seq)
	binary.BigEndian.PutUint32(pkt[4:], ts)
	binary.BigEndian.PutUint32(pkt[8:], sd.out.ssrc)
	if _, err := sd.conn.WriteToUDPAddrPort(pkt, sd.peer); err == nil {
		b.ringbackSent.Add(1)
	}
	return true
}
