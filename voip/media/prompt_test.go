package media

import (
	"bytes"
	"math"
	"runtime"
	"testing"
	"time"
)

// sine returns n samples of a loud 1 kHz tone, which spans most G.711
// segments.
func sine(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(20000 * math.Sin(2*math.Pi*1000*float64(i)/8000)))
	}
	return s
}

// ramp returns n samples rising by one from -n/2. While n stays within a few
// thousand, G.711's steps are finer than a frame's span, so every frame
// encodes differently and a received packet tells which frame it carries.
func ramp(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(i - n/2)
	}
	return s
}

func encoder(c Codec) func(int16) byte {
	if c == PCMA {
		return LinearToALaw
	}
	return LinearToULaw
}

// encodedFrames returns the payloads a phone using c must receive for
// samples: 160 code words each, the last frame padded with silence.
func encodedFrames(c Codec, samples []int16) [][]byte {
	enc := encoder(c)
	var frames [][]byte
	for start := 0; start < len(samples); start += 160 {
		f := audio(160, enc(0))
		for i, s := range samples[start:min(start+160, len(samples))] {
			f[i] = enc(s)
		}
		frames = append(frames, f)
	}
	return frames
}

// recvBefore reads p's packets until one carries payload, and returns it
// with the packet before it (prev if it is the first read). Unlike
// recvUntil, it gives up after limit packets: a generator that never stops
// would keep the wait going for ever.
func recvBefore(t *testing.T, p *peer, prev packet, payload []byte, limit int) (before, found packet) {
	t.Helper()
	before = prev
	for range limit {
		got, _ := p.recv()
		if bytes.Equal(got.payload, payload) {
			return before, got
		}
		before = got
	}
	t.Fatalf("none of %d packets carries %x...", limit, payload[:4])
	return
}

func recvN(p *peer, n int) []packet {
	p.t.Helper()
	got := make([]packet, n)
	for i := range got {
		got[i], _ = p.recv()
	}
	return got
}

// follows checks that p continues the stream after prev: the same SSRC, the
// next sequence number and timestamp, marked only if it starts a source.
func follows(t *testing.T, what string, prev, p packet, marked bool) {
	t.Helper()
	if p.ssrc != prev.ssrc || p.seq != prev.seq+1 || p.ts != prev.ts+160 || p.marker != marked {
		t.Errorf("%s: ssrc %#x seq %d ts %d marker %v after ssrc %#x seq %d ts %d: want the same stream, +1, +160, marker %v",
			what, p.ssrc, p.seq, p.ts, p.marker, prev.ssrc, prev.seq, prev.ts, marked)
	}
}

// checkPrompt checks that got, the packets of a prompt, carry frames in c,
// in order, as a new source of the phone's stream: after prev if the stream
// had a packet before.
func checkPrompt(t *testing.T, c Codec, got []packet, frames [][]byte, prev *packet) {
	t.Helper()
	if len(got) != len(frames) {
		t.Fatalf("%d prompt packets, want %d", len(got), len(frames))
	}
	for i, p := range got {
		if p.pt != c.PayloadType || !bytes.Equal(p.payload, frames[i]) {
			t.Errorf("packet %d of the prompt: pt %d payload %x..., want frame %d in %s (%x...)", i, p.pt, p.payload[:4], i, c.Name, frames[i][:4])
		}
		switch {
		case i > 0:
			follows(t, "prompt packet", got[i-1], p, false)
		case prev != nil:
			follows(t, "first prompt packet", *prev, p, true)
		case !p.marker:
			t.Error("the first prompt packet has no marker bit")
		}
	}
}

// expectRingbackAfter checks that the tone follows last, from its beginning,
// as a new source of the same stream.
func expectRingbackAfter(t *testing.T, phone *peer, c Codec, last packet) {
	t.Helper()
	got := recvN(phone, 10)
	follows(t, "first packet of the tone", last, got[0], true)
	if want := encodedFrames(c, ringbackTone[:160])[0]; !bytes.Equal(got[0].payload, want) {
		t.Errorf("the packet after the prompt is not the tone's first frame: %x...", got[0].payload[:4])
	}
	var tone []float64
	for i, p := range got {
		if i > 0 {
			follows(t, "ringback packet", got[i-1], p, false)
		}
		tone = append(tone, decode(c, p.payload)...)
	}
	if s := toneShare(tone, 425, 8000); s < 0.9 {
		t.Errorf("share of energy at 425 Hz after the prompt = %.3f, want > 0.9", s)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

// generators counts the goroutines running a bridge's generator.
func generators() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("media.(*Bridge).generate("))
}

// playing returns the prompt side A plays, nil if none.
func playing(b *Bridge) *prompt {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.prompt
}

// promptSent returns how many packets of p reached A's socket.
func promptSent(b *Bridge, p *prompt) int {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return p.sent
}

// promptTick returns how many packet times of p the generator has gone
// through, sent or skipped; -1 once p no longer plays.
func promptTick(b *Bridge, p *prompt) int {
	sd := &b.sides[A]
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.gen == nil || sd.gen.playing != p || sd.prompt != p {
		return -1
	}
	return sd.gen.tick
}

func TestPromptPlaysSamplesInPhoneCodec(t *testing.T) {
	for _, codec := range []Codec{PCMU, PCMA} {
		t.Run(codec.Name, func(t *testing.T) {
			c := newCall(t, testAllocator(t), codec, PCMU, -1, -1)
			samples := sine(3*160 + 37) // the last frame is short
			done := c.bridge.PlayPrompt(samples)

			var got []packet
			for range 4 {
				p, from := c.phone.recv()
				if from != c.portA() {
					t.Fatalf("prompt came from %v, want the bridge's A port %v", from, c.portA())
				}
				got = append(got, p)
			}
			checkPrompt(t, codec, got, encodedFrames(codec, samples), nil)

			// What the phone hears is the input, within G.711's
			// quantisation error, then silence.
			var heard []float64
			for _, p := range got {
				heard = append(heard, decode(codec, p.payload)...)
			}
			for i, v := range heard {
				want := 0
				if i < len(samples) {
					want = int(samples[i])
				}
				if abs(int(v)-want) > abs(want)/16+16 {
					t.Errorf("sample %d: phone hears %v, want about %d", i, v, want)
				}
			}

			waitClosed(t, done, "the prompt's channel closes after its last packet")
			eventually(t, "the generator ends with nothing left to play", func() bool { return generators() == 0 })
		})
	}
}

func TestRingbackWaitsForThePromptToEnd(t *testing.T) {
	samples := ramp(5 * 160)
	frames := encodedFrames(PCMA, samples)

	t.Run("ringback before the prompt", func(t *testing.T) {
		c := newCall(t, testAllocator(t), PCMA, PCMU, -1, -1)
		c.bridge.PlayRingback()
		prev, _ := c.phone.recv()
		done := c.bridge.PlayPrompt(samples)
		// The tone goes on until the generator's next tick.
		before, first := recvBefore(t, c.phone, prev, frames[0], 10)
		got := append([]packet{first}, recvN(c.phone, len(frames)-1)...)
		checkPrompt(t, PCMA, got, frames, &before)
		waitClosed(t, done, "the prompt ends")
		expectRingbackAfter(t, c.phone, PCMA, got[len(got)-1])
	})

	t.Run("ringback during the prompt", func(t *testing.T) {
		c := newCall(t, testAllocator(t), PCMA, PCMU, -1, -1)
		done := c.bridge.PlayPrompt(samples)
		c.bridge.PlayRingback()
		got := recvN(c.phone, len(frames))
		checkPrompt(t, PCMA, got, frames, nil)
		waitClosed(t, done, "the prompt ends")
		expectRingbackAfter(t, c.phone, PCMA, got[len(got)-1])
	})

	t.Run("ringback stopped during the prompt", func(t *testing.T) {
		c := newCall(t, testAllocator(t), PCMA, PCMU, -1, -1)
		done := c.bridge.PlayPrompt(samples)
		c.bridge.PlayRingback()
		c.bridge.StopRingback()
		checkPrompt(t, PCMA, recvN(c.phone, len(frames)), frames, nil)
		waitClosed(t, done, "the prompt ends")
		eventually(t, "the generator ends", func() bool { return generators() == 0 })
		if n := c.bridge.Stats().Ringback; n != 0 {
			t.Errorf("%d ringback packets sent after StopRingback", n)
		}
	})
}

func TestPromptHoldsBackEarlyMediaUntilItEnds(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	samples := ramp(50 * 160) // 1 s: time for the carrier's packets to be read
	frames := encodedFrames(PCMU, samples)
	done := c.bridge.PlayPrompt(samples)
	c.bridge.ForwardEarlyMedia()
	got := []packet{}
	first, _ := c.phone.recv()
	got = append(got, first)

	for i := range 3 {
		c.carrier.send(c.portB(), packet{seq: 100 + uint16(i), ts: 16000 + 160*uint32(i), ssrc: 0xCA, payload: audio(160, 0xEE)})
	}
	eventually(t, "the carrier's 3 packets are dropped", func() bool { return c.bridge.Stats().BToA.Dropped == 3 })
	if isClosed(done) {
		t.Fatal("the prompt ended before the test could send early media during it")
	}

	got = append(got, recvN(c.phone, len(frames)-1)...)
	checkPrompt(t, PCMU, got, frames, nil)
	waitClosed(t, done, "the prompt ends")

	// Now the carrier's early media flows, continuing the stream.
	c.carrier.send(c.portB(), packet{seq: 103, ts: 16480, ssrc: 0xCA, payload: audio(160, 0xEF)})
	p, _ := c.phone.recv()
	if !bytes.Equal(p.payload, audio(160, 0xEF)) {
		t.Fatalf("after the prompt the phone got payload %x..., want the carrier's early media", p.payload[:4])
	}
	follows(t, "early media after the prompt", got[len(got)-1], p, true)
	eventually(t, "B to A stats show 3 dropped and 1 forwarded", func() bool {
		st := c.bridge.Stats().BToA
		return st.Dropped == 3 && st.Forwarded == 1
	})
}

func TestPromptAfterEarlyMediaLeavesNoRingback(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.ForwardEarlyMedia()
	c.carrier.send(c.portB(), packet{seq: 1, ts: 160, ssrc: 0xCA, payload: audio(160, 0x33)})
	early, _ := c.phone.recv()

	samples := ramp(3 * 160)
	frames := encodedFrames(PCMU, samples)
	done := c.bridge.PlayPrompt(samples)
	c.bridge.PlayRingback() // B's media already reached A: no tone
	got := recvN(c.phone, len(frames))
	checkPrompt(t, PCMU, got, frames, &early)
	waitClosed(t, done, "the prompt ends")

	c.carrier.send(c.portB(), packet{seq: 2, ts: 320, ssrc: 0xCA, payload: audio(160, 0x34)})
	p, _ := c.phone.recv()
	if !bytes.Equal(p.payload, audio(160, 0x34)) {
		t.Fatalf("after the prompt the phone got payload %x..., want the carrier's next packet", p.payload[:4])
	}
	follows(t, "early media after the prompt", got[len(got)-1], p, true)
	if n := c.bridge.Stats().Ringback; n != 0 {
		t.Errorf("%d ringback packets sent although early media had reached the phone", n)
	}
}

func TestConnectCutsThePrompt(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	samples := ramp(50 * 160)
	frames := encodedFrames(PCMU, samples)
	done := c.bridge.PlayPrompt(samples)
	c.bridge.PlayRingback()
	prev, _ := c.phone.recv()
	if !bytes.Equal(prev.payload, frames[0]) {
		t.Fatal("the phone's first packet is not the prompt's")
	}

	c.bridge.Connect()
	if !isClosed(done) {
		t.Fatal("the prompt's channel is open after Connect returned")
	}
	// Prompt packets sent before Connect may still be queued at the phone;
	// from the carrier's first packet on, only the carrier's arrive.
	answer := audio(160, 0x44)
	c.carrier.send(c.portB(), packet{seq: 500, ts: 8000, ssrc: 0xBEEF, payload: answer})
	last, first := recvBefore(t, c.phone, prev, answer, 50)
	follows(t, "answered audio after the prompt", last, first, true)
	prev = first
	for i := range 3 {
		payload := audio(160, 0x45+byte(i))
		c.carrier.send(c.portB(), packet{seq: 501 + uint16(i), ts: 8160 + 160*uint32(i), ssrc: 0xBEEF, payload: payload})
		p, _ := c.phone.recv()
		if !bytes.Equal(p.payload, payload) {
			t.Fatalf("after Connect the phone got payload %x..., want the carrier's", p.payload[:4])
		}
		follows(t, "answered audio", prev, p, false)
		prev = p
	}
	if n := c.bridge.Stats().Ringback; n != 0 {
		t.Errorf("%d ringback packets sent: the tone waiting for the prompt must not start after Connect", n)
	}
	eventually(t, "the generator ends", func() bool { return generators() == 0 })

	if again := c.bridge.PlayPrompt(samples); !isClosed(again) {
		t.Error("PlayPrompt after Connect returned an open channel")
	}
	if playing(c.bridge) != nil || generators() != 0 {
		t.Error("PlayPrompt after Connect started playing")
	}
}

func TestStopPromptEndsIt(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	c.bridge.StopPrompt() // none plays: harmless
	samples := ramp(50 * 160)
	frames := encodedFrames(PCMU, samples)
	done := c.bridge.PlayPrompt(samples)
	p := playing(c.bridge)
	got := recvN(c.phone, 2)

	c.bridge.StopPrompt()
	if !isClosed(done) {
		t.Fatal("the prompt's channel is open after StopPrompt returned")
	}
	sent := promptSent(c.bridge, p)
	time.Sleep(3 * ringbackInterval)
	if got := promptSent(c.bridge, p); got != sent {
		t.Errorf("prompt packets went from %d to %d after StopPrompt", sent, got)
	}
	eventually(t, "the generator ends", func() bool { return generators() == 0 })

	// The phone got exactly the packets sent before StopPrompt, in order.
	c.bridge.Connect()
	answer := audio(160, 0x44)
	c.carrier.send(c.portB(), packet{seq: 1, ts: 160, ssrc: 0xBEEF, payload: answer})
	for range len(frames) {
		pkt, _ := c.phone.recv()
		if bytes.Equal(pkt.payload, answer) {
			break
		}
		got = append(got, pkt)
	}
	checkPrompt(t, PCMU, got, frames[:sent], nil)
}

func TestPlayPromptReplacesThePlayingOne(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	first := c.bridge.PlayPrompt(ramp(50 * 160))
	prev, _ := c.phone.recv()

	samples := sine(2 * 160)
	frames := encodedFrames(PCMU, samples)
	second := c.bridge.PlayPrompt(samples)
	if !isClosed(first) {
		t.Fatal("the first prompt's channel is open after another replaced it")
	}
	before, start := recvBefore(t, c.phone, prev, frames[0], 10)
	got := append([]packet{start}, recvN(c.phone, len(frames)-1)...)
	checkPrompt(t, PCMU, got, frames, &before)
	waitClosed(t, second, "the second prompt ends")
}

func TestCloseEndsThePrompt(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	done := c.bridge.PlayPrompt(ramp(50 * 160))
	c.phone.recv()
	if err := c.bridge.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !isClosed(done) {
		t.Error("the prompt's channel is open after Close returned")
	}
	// Close waits for the bridge's goroutines, the generator among them.
	if n := generators(); n != 0 {
		t.Errorf("%d generator goroutines run after Close returned", n)
	}
	if again := c.bridge.PlayPrompt(ramp(160)); !isClosed(again) {
		t.Error("PlayPrompt after Close returned an open channel")
	}
	c.bridge.StopPrompt()
	if playing(c.bridge) != nil || generators() != 0 {
		t.Error("PlayPrompt after Close started playing")
	}
}

func TestPromptPacesWithoutAddressAndSkipsFrames(t *testing.T) {
	b, err := testAllocator(t).NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	phone := newPeer(t)

	// With nowhere to send, the prompt still runs its course.
	waitClosed(t, b.PlayPrompt(ramp(5*160)), "a prompt to a phone without address ends")

	samples := ramp(50 * 160)
	frames := encodedFrames(PCMU, samples)
	index := map[string]int{}
	for i, f := range frames {
		index[string(f)] = i
	}
	if len(index) != len(frames) {
		t.Fatal("test prompt has two frames alike: packets would not tell which frame they carry")
	}
	done := b.PlayPrompt(samples)
	p := playing(b)
	eventually(t, "the prompt goes past its first frames", func() bool { return promptTick(b, p) >= 5 })
	b.SetRemote(A, phone.addr(), PCMU, -1)

	first, _ := phone.recv()
	k, ok := index[string(first.payload)]
	if !ok {
		t.Fatalf("the phone's first packet %x... is no frame of the prompt", first.payload[:4])
	}
	if k < 5 {
		t.Errorf("the phone's first packet is frame %d, want a later one: frames due without an address are skipped", k)
	}
	got := append([]packet{first}, recvN(phone, len(frames)-1-k)...)
	checkPrompt(t, PCMU, got, frames[k:], nil)
	waitClosed(t, done, "the prompt ends with its last frame")
	if n := promptSent(b, p); n != len(frames)-k {
		t.Errorf("%d packets sent, want %d: the frames from %d on", n, len(frames)-k, k)
	}
}

func TestEmptyPromptEndsAtOnce(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	for _, samples := range [][]int16{nil, {}} {
		if done := c.bridge.PlayPrompt(samples); !isClosed(done) {
			t.Error("an empty prompt's channel is open")
		}
	}
	if playing(c.bridge) != nil || generators() != 0 {
		t.Fatal("an empty prompt started playing")
	}

	// Nor does it disturb the tone.
	c.bridge.PlayRingback()
	prev, _ := c.phone.recv()
	if done := c.bridge.PlayPrompt(nil); !isClosed(done) {
		t.Error("an empty prompt's channel is open")
	}
	for _, p := range recvN(c.phone, 3) {
		follows(t, "ringback after an empty prompt", prev, p, false)
		prev = p
	}
}

// The generator's work per packet allocates nothing, for the tone as for a
// prompt.
func TestGeneratorDoesNotAllocate(t *testing.T) {
	c := newCall(t, testAllocator(t), PCMU, PCMU, -1, -1)
	pkt := make([]byte, rtpHeaderLen+ringbackFrame)
	generatorOf := func() *generator {
		sd := &c.bridge.sides[A]
		sd.mu.Lock()
		defer sd.mu.Unlock()
		return sd.gen
	}

	c.bridge.PlayRingback()
	g := generatorOf()
	if n := testing.AllocsPerRun(200, func() { c.bridge.sendGenerated(g, pkt) }); n != 0 {
		t.Errorf("a ringback packet allocates %v times, want 0", n)
	}
	c.bridge.StopRingback()

	c.bridge.PlayPrompt(make([]int16, 1000*160)) // longer than the runs
	p := playing(c.bridge)
	g = generatorOf()
	sent := promptSent(c.bridge, p)
	if n := testing.AllocsPerRun(200, func() { c.bridge.sendGenerated(g, pkt) }); n != 0 {
		t.Errorf("a prompt packet allocates %v times, want 0", n)
	}
	if promptSent(c.bridge, p) < sent+200 {
		t.Error("the measured runs did not send prompt packets")
	}
}
