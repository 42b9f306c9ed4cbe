package media

// prompt is one recorded message played to side A (a "preroll": what the
// employee hears on answering, before or while the customer is dialled).
// The generator sends it in its packets of ringbackFrame samples, the same
// 20 ms at 8 kHz as the tone.
type prompt struct {
	samples []int16       // 8 kHz mono linear PCM, only read
	done    chan struct{} // closed when the prompt ends, whichever way
	sent    int           // packets that reached A's socket; under A's mu
}

// frames returns how many packets the prompt takes, the last one padded.
func (p *prompt) frames() int {
	return (len(p.samples) + ringbackFrame - 1) / ringbackFrame
}

// frame returns the samples of packet i: ringbackFrame of them, fewer for
// the last.
func (p *prompt) frame(i int) []int16 {
	start := i * ringbackFrame
	return p.samples[start:min(start+ringbackFrame, len(p.samples))]
}

// PlayPrompt plays samples (8 kHz mono linear PCM) to side A in A's codec
// (PCMU or PCMA), one 20 ms packet at a time (the last frame padded with
// silence), as part of the one stream A receives: same SSRC, sequence
// numbers and timestamps going on, the marker bit on its first packet. The
// returned channel is closed when the whole prompt has been sent, or when
// the prompt is cut short: StopPrompt, Connect, Close, or another
// PlayPrompt, which replaces it. Once any of those returns, the channel is
// closed and no packet of the prompt follows.
//
// The employee must hear the whole prompt, so it has A to itself while it
// plays: the ringback tone (PlayRingback, before or during the prompt) waits
// and starts when the prompt ends, and B's early media (ForwardEarlyMedia)
// is dropped until then.
//
// Pacing starts at once, whether A can be sent to or not: a frame that falls
// due while A's address is not known yet (SetRemote), or while A's codec is
// neither PCMU nor PCMA, is skipped rather than delayed, so a prompt of n
// frames always ends n-1 ticks of 20 ms after its first frame was due. That
// first frame is due at once, or at the generator's next tick if the
// ringback tone already plays.
//
// An empty prompt plays nothing, and neither does one after Connect or
// Close: the channel is closed at once. samples is only read, and must not
// change until the channel is closed.
func (b *Bridge) PlayPrompt(samples []int16) <-chan struct{} {
	p := &prompt{samples: samples, done: make(chan struct{})}
	b.ctl.Lock()
	defer b.ctl.Unlock()
	if len(samples) == 0 || b.closed || b.connected {
		close(p.done)
		return p.done
	}
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.stopPrompt()
	sd.prompt = p
	b.startGenerator(sd)
	return p.done
}

// StopPrompt cuts the prompt short, if one plays. A ringback tone that
// waited for it starts at the generator's next tick.
func (b *Bridge) StopPrompt() {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.stopPrompt()
	sd.retireIdleGenerator()
}

// stopPrompt ends the prompt playing on this side, if any, and closes its
// channel; the generator, if left with nothing to play, is the caller's to
// retire. Call with mu held: once it returns, no packet of the prompt
// follows.
func (sd *side) stopPrompt() {
	if sd.prompt != nil {
		close(sd.prompt.done)
		sd.prompt = nil
	}
}
