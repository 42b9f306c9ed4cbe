package media

import (
	"bufio"
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// Recording format: 8 kHz, 16-bit signed little-endian PCM, two channels:
// the employee (what side A's peer sends) on the left, the customer (side
// B's peer) on the right.
const (
	recRate     = 8000
	recChannels = 2
	recFrame    = recRate / 50 // samples in 20 ms: the unit of alignment and writing
	// recLag is how far behind real time the writer stays, so a packet that
	// arrives a little late (jitter) still lands in its place.
	recLag = 10 * recFrame
	// recRing is each side's buffer of samples not yet written, in samples.
	recRing = 50 * recFrame
	// recResync is how far the RTP timestamps may place a packet from its
	// arrival time before the side is anchored again: beyond it the sender
	// restarted its stream (new SSRC, timestamp jump) rather than jittered.
	recResync    = recRate
	wavHeaderLen = 44
)

// Recorder writes a call's audio as a stereo WAV file. Each side's first
// packet is placed at its arrival time and the next ones by their RTP
// timestamps, so the two channels stay in step even when one side is quiet,
// loses packets or sends a late burst: a gap becomes silence. Output is
// written in 20 ms frames, recLag behind real time.
//
// The bridge's readers feed it; a mutex serialises them. Decoding and
// writing go to a buffered writer, so a packet costs one short critical
// section and no allocation.
type Recorder struct {
	mu      sync.Mutex
	dst     io.WriteSeeker
	w       *bufio.Writer
	start   time.Time // sample 0; set by the first packet
	started bool
	written int64      // stereo samples written
	pos     [2]int64   // end of each side's audio so far
	anchor  [2]anchor  // how each side's RTP timestamps map to samples
	ring    [2][]int16 // samples in [written, written+recRing), by index mod recRing
	scratch []byte     // one frame of interleaved output
	now     func() time.Time
	err     error
	closed  bool
}

// NewRecorder starts a WAV file on w (its header is completed by Close,
// hence the Seeker).
func NewRecorder(w io.WriteSeeker) (*Recorder, error) {
	r := &Recorder{
		dst:     w,
		w:       bufio.NewWriterSize(w, 64<<10),
		scratch: make([]byte, recFrame*recChannels*2),
		now:     time.Now,
	}
	for i := range r.ring {
		r.ring[i] = make([]int16, recRing)
	}
	if _, err := r.w.Write(wavHeader(0)); err != nil {
		return nil, err
	}
	return r, nil
}

// Seconds returns the duration recorded so far.
func (r *Recorder) Seconds() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(r.written) / recRate
}

// anchor ties a side's RTP timestamp to a sample position.
type anchor struct {
	set bool
	ts  uint32
	pos int64
}

// write adds the G.711 payload of one packet that side s's peer sent, coded
// with payload type pt, with RTP timestamp ts. It never allocates.
func (r *Recorder) write(s Side, pt uint8, ts uint32, payload []byte) {
	var decode func(byte) int16
	switch pt {
	case PCMU.PayloadType:
		decode = ULawToLinear
	case PCMA.PayloadType:
		decode = ALawToLinear
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	now := r.now()
	n := int64(len(payload))
	if !r.started {
		// Sample 0 is the first sample of the first packet.
		r.start, r.started = now.Add(-time.Duration(n)*time.Second/recRate), true
	}
	// The packet's last sample is "now".
	arrival := max(int64(now.Sub(r.start))*recRate/int64(time.Second)-n, 0)
	a := &r.anchor[s]
	// The signed difference survives the timestamp's wrap-around.
	p := a.pos + int64(int32(ts-a.ts))
	if !a.set || p < arrival-recResync || p > arrival+recResync {
		*a = anchor{set: true, ts: ts, pos: max(arrival, r.written)}
		p = a.pos
	}
	if need := p + n - recRing; need > r.written {
		r.flush(need)
	}
	ring := r.ring[s]
	for i, c := range payload {
		// Samples whose place is already written came too late: dropped.
		if j := p + int64(i); j >= r.written {
			ring[j%recRing] = decode(c)
		}
	}
	r.pos[s] = max(r.pos[s], p+n)
	// Write what both sides have had their chance to fill.
	horizon := arrival + n - recLag
	r.flush(min(max(r.pos[A], horizon), max(r.pos[B], horizon)) / recFrame * recFrame)
}

// flush writes the samples before to, silence where a side sent none. Call
// with mu held.
func (r *Recorder) flush(to int64) {
	for r.written < to && r.err == nil {
		k := min(to-r.written, recFrame)
		out := r.scratch[:k*recChannels*2]
		for i := range k {
			j := (r.written + i) % recRing
			binary.LittleEndian.PutUint16(out[4*i:], uint16(r.ring[A][j]))
			binary.LittleEndian.PutUint16(out[4*i+2:], uint16(r.ring[B][j]))
			r.ring[A][j], r.ring[B][j] = 0, 0
		}
		if _, err := r.w.Write(out); err != nil {
			r.err = err
			return
		}
		r.written += k
	}
}

// Close writes what is buffered, completes the WAV header and returns the
// recording's duration in seconds. It does not close the underlying writer.
// Packets written after Close are ignored.
func (r *Recorder) Close() (float64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return float64(r.written) / recRate, r.err
	}
	r.closed = true
	r.flush(max(r.pos[A], r.pos[B]))
	if r.err != nil {
		return 0, r.err
	}
	if err := r.w.Flush(); err != nil {
		return 0, err
	}
	if _, err := r.dst.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := r.dst.Write(wavHeader(r.written * recChannels * 2)); err != nil {
		return 0, err
	}
	if _, err := r.dst.Seek(0, io.SeekEnd); err != nil {
		return 0, err
	}
	return float64(r.written) / recRate, nil
}

// wavHeader is the canonical 44-octet RIFF/WAVE header for dataLen octets
// of the recording format.
func wavHeader(dataLen int64) []byte {
	if dataLen > 1<<32-1-36 {
		dataLen = 1<<32 - 1 - 36 // a longer file still plays; players read on
	}
	h := make([]byte, wavHeaderLen)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataLen))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(h[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(h[22:], recChannels)
	binary.LittleEndian.PutUint32(h[24:], recRate)
	binary.LittleEndian.PutUint32(h[28:], recRate*recChannels*2) // byte rate
	binary.LittleEndian.PutUint16(h[32:], recChannels*2)         // block align
	binary.LittleEndian.PutUint16(h[34:], 16)                    // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataLen))
	return h
}

// Record starts recording the call's audio into r from now on: each packet
// either peer sends is decoded into its channel. Call it when the target
// answers.
func (b *Bridge) Record(r *Recorder) { b.rec.Store(r) }

// StopRecording detaches the recorder, if any, and returns it; packets read
// afterwards are no longer recorded. Close the recorder next.
func (b *Bridge) StopRecording() *Recorder { return b.rec.Swap(nil) }
