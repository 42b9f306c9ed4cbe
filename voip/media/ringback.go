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

// ringbackAt returns the tick'th frame of the cadence: a frame of the tone
// during the second on, nil (silence) during the four off.
func ringbackAt(tick int) []int16 {
	if tick%ringbackCadence >= ringbackOn {
		return nil
	}
	start := (tick % toneFrames) * ringbackFrame
	return ringbackTone[start : start+ringbackFrame]
}

// PlayRingback sends a generated ringback tone to A, in A's codec (PCMU or
// PCMA; nothing is sent for another codec), one packet every 20 ms, until
// StopRingback, Connect, Close, or the first packet forwarded from B once
// ForwardEarlyMedia was called. It does nothing if the tone already plays,
// after Connect, or once B's media has reached A. If A's address is not
// known yet (SetRemote), the tone starts when it is. While a prompt plays
// (PlayPrompt), the tone waits, and starts from its beginning when the
// prompt ends.
func (b *Bridge) PlayRingback() {
	b.ctl.Lock()
	defer b.ctl.Unlock()
	if b.closed || b.connected {
		return
	}
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.ringing || sd.fed {
		return
	}
	sd.ringing = true
	b.startGenerator(sd)
}

// StopRingback stops the generated ringback, or cancels it if it waits for
// a prompt's end; no packet of the tone is sent once it returns.
func (b *Bridge) StopRingback() {
	sd := &b.sides[A]
	sd.mu.Lock()
	sd.stopRingback()
	sd.mu.Unlock()
}

// stopRingback ends the tone on this side, playing or waiting. Call with mu
// held: once it returns, no packet of the tone follows.
func (sd *side) stopRingback() {
	sd.ringing = false
	sd.retireIdleGenerator()
}

// generator is the goroutine that sends generated audio to side A, one
// packet every ringbackInterval: the prompt while one plays, else the
// ringback tone while it is wanted. One goroutine for both keeps the pacing
// steady when the tone follows a prompt. It ends when neither is wanted;
// closing stop ends it without waiting for its next tick.
type generator struct {
	stop chan struct{}

	// The program it sends now, numbered as a stream of its own. Another
	// program (a new prompt, or the tone after a prompt) takes a new source
	// key, so that A's outgoing stream marks the switch.
	playing *prompt // nil while the tone plays
	source  uint64  // 0 until the first tick
	tick    int     // packets of the program so far, sent or skipped
}

// startGenerator starts A's generator unless it runs. Call with ctl and sd's
// mu held, on an open bridge: ctl orders the WaitGroup's Add before Close's
// Wait.
func (b *Bridge) startGenerator(sd *side) {
	if sd.gen != nil {
		return
	}
	g := &generator{stop: make(chan struct{})}
	sd.gen = g
	b.wg.Add(1)
	go b.generate(g)
}

// retireIdleGenerator ends this side's generator once it has nothing left
// to play. Call with mu held, after clearing what it played.
func (sd *side) retireIdleGenerator() {
	if sd.gen != nil && sd.prompt == nil && !sd.ringing {
		close(sd.gen.stop)
		sd.gen = nil
	}
}

// generate is the generator's goroutine, paced by a ticker.
func (b *Bridge) generate(g *generator) {
	defer b.wg.Done()
	ticker := time.NewTicker(ringbackInterval)
	defer ticker.Stop()
	pkt := make([]byte, rtpHeaderLen+ringbackFrame)
	for b.sendGenerated(g, pkt) {
		select {
		case <-g.stop:
			return
		case <-ticker.C:
		}
	}
}

// sendGenerated sends g's next packet to A, using pkt as its buffer, and
// reports false once g has ended. It does not allocate.
func (b *Bridge) sendGenerated(g *generator, pkt []byte) bool {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen != g {
		return false
	}
	p := sd.prompt
	if g.source == 0 || p != g.playing {
		sd.gens++
		g.playing, g.source, g.tick = p, generatorSource+sd.gens, 0
	}
	if p != nil {
		if sd.writeGenerated(g, p.frame(g.tick), pkt) {
			p.sent++
		}
	} else if sd.writeGenerated(g, ringbackAt(g.tick), pkt) {
		b.ringbackSent.Add(1)
	}
	g.tick++
	if p != nil && g.tick >= p.frames() {
		// The whole prompt went out: a tone that waited for it
		// follows at the next tick, on the same pacing.
		sd.stopPrompt()
		sd.retireIdleGenerator()
	}
	return sd.gen == g
}

// writeGenerated sends frame (at most ringbackFrame samples, padded with
// silence; nil is all silence) as packet g.tick of g's program, in this
// side's codec. It reports false when nothing was sent: no address to send
// to yet, a codec that cannot be generated, or a failed write. Call with mu
// held.
func (sd *side) writeGenerated(g *generator, frame []int16, pkt []byte) bool {
	var encode func(int16) byte
	switch sd.media.codec.PayloadType {
	case PCMU.PayloadType:
		encode = LinearToULaw
	case PCMA.PayloadType:
		encode = LinearToALaw
	}
	if !sd.canSend() || encode == nil {
		return false
	}
	payload := pkt[rtpHeaderLen:]
	for i, sample := range frame {
		payload[i] = encode(sample)
	}
	silence := encode(0)
	for i := len(frame); i < len(payload); i++ {
		payload[i] = silence
	}
	seq, ts, switched := sd.out.next(g.source, uint16(g.tick), uint32(g.tick*ringbackFrame), ringbackFrame)
	var marker byte
	if switched {
		marker = 0x80
	}
	pkt[0] = rtpVersion << 6
	pkt[1] = marker | sd.media.codec.PayloadType
	binary.BigEndian.PutUint16(pkt[2:], seq)
	binary.BigEndian.PutUint32(pkt[4:], ts)
	binary.BigEndian.PutUint32(pkt[8:], sd.out.ssrc)
	_, err := sd.conn.WriteToUDPAddrPort(pkt, sd.peer)
	return err == nil
}
