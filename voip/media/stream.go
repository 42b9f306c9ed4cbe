package media

// outStream is the RTP stream the bridge sends toward one side. Its sources
// change during a call (generated ringback, then the carrier's early media,
// then the carrier's answered stream, often with a new SSRC), but the peer
// must see one stream: our SSRC, sequence numbers that go on by one and
// timestamps that go on by one frame, with the marker bit on the first packet
// of each new source so the peer's jitter buffer resynchronises.
//
// Within one source the offsets stay fixed, so the source's own gaps and
// reordering pass through unchanged.
type outStream struct {
	ssrc uint32 // our SSRC toward this side

	started bool
	source  uint64 // the current source: its SSRC, or a generator key
	seqOff  uint16 // added to the source's sequence numbers
	tsOff   uint32 // added to the source's timestamps

	// The source's newest packet, in its numbering and in ours.
	lastInSeq uint16
	lastSeq   uint16
	lastTS    uint32
	frame     uint32 // timestamp units in the newest audio packet

	firstSeq uint16 // numbering of the very first packet (random, RFC 3550)
	firstTS  uint32

	// lost counts the sequence numbers a source skipped: packets lost on
	// the way to us (or so late that a newer one came first).
	lost uint64
}

// Limits from RFC 3550 appendix A.1: a sequence jump of maxDropout or more
// ahead, or more than maxMisorder behind, means the source restarted.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// defaultFrame is one 20 ms frame at 8 kHz: the gap assumed before the first
// audio packet tells the real one.
const defaultFrame = 160

// generatorSource is the first source key of generated audio: keys above the
// 32-bit SSRC space never collide with a real source.
const generatorSource uint64 = 1 << 32

func newOutStream(ssrc uint32, firstSeq uint16, firstTS uint32) outStream {
	return outStream{ssrc: ssrc, firstSeq: firstSeq, firstTS: firstTS, frame: defaultFrame}
}

// next maps a packet of source (sequence number seq, timestamp ts, samples
// timestamp units of audio, 0 for events) to our numbering. switched reports
// the first packet of a new source, which must carry the marker bit.
func (o *outStream) next(source uint64, seq uint16, ts uint32, samples int) (outSeq uint16, outTS uint32, switched bool) {
	if o.started && source == o.source {
		if d := seq - o.lastInSeq; d < maxDropout || d > 1<<16-maxMisorder {
			outSeq, outTS = seq+o.seqOff, ts+o.tsOff
			if d != 0 && d < maxDropout { // newer than anything so far
				o.lost += uint64(d - 1)
				o.lastInSeq, o.lastSeq, o.lastTS = seq, outSeq, outTS
				o.noteFrame(samples)
			}
			return outSeq, outTS, false
		}
	}
	// A new source (or a restarted one) continues where the last left off.
	outSeq, outTS = o.firstSeq, o.firstTS
	if o.started {
		outSeq, outTS = o.lastSeq+1, o.lastTS+o.frame
	}
	o.started, o.source = true, source
	o.seqOff, o.tsOff = outSeq-seq, outTS-ts
	o.lastInSeq, o.lastSeq, o.lastTS = seq, outSeq, outTS
	o.noteFrame(samples)
	return outSeq, outTS, true
}

func (o *outStream) noteFrame(samples int) {
	if samples > 0 {
		o.frame = uint32(samples)
	}
}
