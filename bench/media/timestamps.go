package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Arrival times come from the kernel (SO_TIMESTAMPNS: when the datagram
// reached the generator's socket), not from when the generator's reader
// got round to it: jitter is then the relay's and the path's, not the
// generator's own scheduling on a busy machine. The kernel stamps with
// CLOCK_REALTIME, so send times are wall-clock nanoseconds too.

// enableTimestamps asks the kernel to stamp every datagram conn receives.
func enableTimestamps(conn *net.UDPConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// oobLen holds one control message carrying a struct timespec.
const oobLen = 64

// readStamped reads one datagram and its arrival time in Unix
// nanoseconds (now, if the kernel gave none).
func readStamped(conn *net.UDPConn, buf, oob []byte) (n int, src netip.AddrPort, arrival int64, err error) {
	n, oobn, _, src, err := conn.ReadMsgUDPAddrPort(buf, oob)
	if err != nil {
		return 0, src, 0, err
	}
	if ns, ok := timestampNs(oob[:oobn]); ok {
		return n, src, ns, nil
	}
	return n, src, time.Now().UnixNano(), nil
}

// timestampNs finds SCM_TIMESTAMPNS in control messages without
// allocating (syscall.ParseSocketControlMessage would, per packet): each
// message is a 16-byte header (length, level, type) and its data, here a
// timespec of two 64-bit words, on a little-endian 64-bit Linux.
func timestampNs(oob []byte) (int64, bool) {
	for len(oob) >= 16 {
		l := int(binary.LittleEndian.Uint64(oob))
		level := int32(binary.LittleEndian.Uint32(oob[8:]))
		typ := int32(binary.LittleEndian.Uint32(oob[12:]))
		if l < 16 || l > len(oob) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SCM_TIMESTAMPNS && l >= 32 {
			sec := int64(binary.LittleEndian.Uint64(oob[16:]))
			nsec := int64(binary.LittleEndian.Uint64(oob[24:]))
			return sec*1e9 + nsec, true
		}
		oob = oob[(l+7)&^7:]
	}
	return 0, false
}
