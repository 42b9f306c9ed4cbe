// Package media relays the RTP of a click-to-call between its two legs: side
// A faces the employee's phone, side B faces the carrier.
//
// It forwards packets instead of re-packetising them (as diago's Bridge
// does): each packet read on one side is written to the other side at once,
// with only the RTP header rewritten, so the relay adds no pacing delay and
// allocates nothing per packet. The header rewrite gives each side one
// continuous stream (our SSRC, sequence numbers and timestamps) even when
// what feeds it changes: generated ringback, then the carrier's early media,
// then the carrier's answered stream with a new SSRC.
//
// Each side learns its peer's address from SDP and then latches onto the
// source of the first packet it receives (symmetric RTP): phones behind NAT
// get their audio back on the address they send from, and packets from any
// other source are dropped.
//
// The package imports the standard library only; the SIP side (package voip)
// feeds it addresses and codecs taken from SDP.
package media
