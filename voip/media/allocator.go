package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// ErrNoPorts is returned (wrapped) by Allocator.NewBridge when every RTP port
// of the range is in use: the node is at its call capacity.
var ErrNoPorts = errors.New("media: no free RTP port")

// Allocator hands out the local RTP sockets of bridges: even ports of a
// configured range on a configured address, round-robin, so a port just
// released is not reused at once (late packets of the old call would reach
// the new one). Ports held by a bridge, or bound by another process, are
// skipped. The odd port above each is left for RTCP by convention, but the
// relay does not bind it: RTCP is not forwarded.
//
// An Allocator is safe for concurrent use.
type Allocator struct {
	ip       netip.Addr
	network  string // "udp4" or "udp6", so received addresses match SDP ones
	min, max int    // even bounds of the usable range

	mu    sync.Mutex
	next  int
	inUse map[int]bool

	totals totals // the packet counters of every bridge it made
}

// NewAllocator returns an allocator of the even ports in [minPort, maxPort] on
// bindIP (which may be unspecified, 0.0.0.0, to listen on every interface).
// Its family is the peers': an IPv4 bindIP relays to IPv4 SDP addresses
// only. It binds nothing yet.
func NewAllocator(bindIP netip.Addr, minPort, maxPort int) (*Allocator, error) {
	if !bindIP.IsValid() {
		return nil, errors.New("media: RTP bind address is not set")
	}
	if minPort < 1 || maxPort > 65535 || minPort > maxPort {
		return nil, fmt.Errorf("media: RTP port range %d-%d is not within 1-65535", minPort, maxPort)
	}
	lo, hi := minPort+minPort%2, maxPort-maxPort%2
	if lo > hi {
		return nil, fmt.Errorf("media: RTP port range %d-%d holds no even port", minPort, maxPort)
	}
	ip := bindIP.Unmap()
	network := "udp6"
	if ip.Is4() {
		network = "udp4"
	}
	return &Allocator{ip: ip, network: network, min: lo, max: hi, next: lo, inUse: map[int]bool{},
		totals: totals{live: map[*Bridge]struct{}{}}}, nil
}

// listen binds the next free port of the range.
func (a *Allocator) listen() (*net.UDPConn, int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := (a.max-a.min)/2 + 1
	for range n {
		p := a.next
		a.next += 2
		if a.next > a.max {
			a.next = a.min
		}
		if a.inUse[p] {
			continue
		}
		addr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.ip, uint16(p)))
		conn, err := net.ListenUDP(a.network, addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			continue // another process has it
		}
		if err != nil {
			return nil, 0, fmt.Errorf("media: bind RTP port: %w", err)
		}
		a.inUse[p] = true
		return conn, p, nil
	}
	return nil, 0, fmt.Errorf("%w in %d-%d on %s", ErrNoPorts, a.min, a.max, a.ip)
}

// release makes port available again once its socket is closed.
func (a *Allocator) release(port int) {
	a.mu.Lock()
	delete(a.inUse, port)
	a.mu.Unlock()
}
