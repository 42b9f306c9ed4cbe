package media

import "sync/atomic"

// Stats counts a bridge's packets since it was created.
type Stats struct {
	AToB Flow // read on side A (from the phone), toward B
	BToA Flow // read on side B (from the carrier), toward A
	// Ringback counts the packets of generated ringback sent to A.
	Ringback uint64
}

// Flow counts one direction. Every datagram read is either forwarded or
// dropped: once each is handled, Received = Forwarded + Dropped.
type Flow struct {
	Received       uint64 // datagrams read from the source side's socket
	ReceivedBytes  uint64
	Forwarded      uint64 // packets written to the other side
	ForwardedBytes uint64
	// Dropped counts datagrams not forwarded: not RTP, from a source other
	// than the latched one, before forwarding was enabled, early media
	// held back while a prompt plays to A, a payload type not negotiated,
	// or a failed write.
	Dropped uint64
	// Lost counts the sequence numbers skipped by the sources forwarded:
	// packets lost between the peer and us. Packets dropped here are not
	// in it, and a packet overtaken by a newer one counts as lost even if
	// it arrives later.
	Lost uint64
}

// add adds f's counts to t.
func (t *Flow) add(f Flow) {
	t.Received += f.Received
	t.ReceivedBytes += f.ReceivedBytes
	t.Forwarded += f.Forwarded
	t.ForwardedBytes += f.ForwardedBytes
	t.Dropped += f.Dropped
	t.Lost += f.Lost
}

// flowCounters are a Flow updated by the reading goroutine and read by Stats.
type flowCounters struct {
	received, receivedBytes   atomic.Uint64
	forwarded, forwardedBytes atomic.Uint64
	dropped                   atomic.Uint64
}

func (c *flowCounters) snapshot() Flow {
	return Flow{
		Received:       c.received.Load(),
		ReceivedBytes:  c.receivedBytes.Load(),
		Forwarded:      c.forwarded.Load(),
		ForwardedBytes: c.forwardedBytes.Load(),
		Dropped:        c.dropped.Load(),
	}
}
