package main

import "net"

// registerWorkers is how many phones register at once, each from a
// loopback socket of its own as separate phones would.
const registerWorkers = 16

func loopbackSockets(n int) ([]net.PacketConn, error) {
	conns := make([]net.PacketConn, 0, n)
	for range n {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []net.PacketConn) {
	for _, c := range conns {
		c.Close()
	}
}
