package media

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
)

// freeRange finds n consecutive even ports on loopback that nobody holds
// right now, and returns the range [lo, lo+2(n-1)].
func freeRange(t *testing.T, n int) (lo, hi int) {
	t.Helper()
	for base := 50000; base < 60000; base += 2 * n {
		var held []*net.UDPConn
		for p := base; p < base+2*n; p += 2 {
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(p))))
			if err != nil {
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if len(held) == n {
			return base, base + 2*(n-1)
		}
	}
	t.Fatal("no free port range on loopback")
	return 0, 0
}

func ports(b *Bridge) []int {
	p := []int{b.LocalPort(A), b.LocalPort(B)}
	slices.Sort(p)
	return p
}

func TestAllocatorHandsOutEvenPortsInRange(t *testing.T) {
	lo, hi := freeRange(t, 4)
	a, err := NewAllocator(loopback, lo-1, hi+1) // odd bounds: only the even ports inside count
	if err != nil {
		t.Fatal(err)
	}
	b1, err := a.NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	b2, err := a.NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	got := append(ports(b1), ports(b2)...)
	slices.Sort(got)
	if want := []int{lo, lo + 2, lo + 4, lo + 6}; !slices.Equal(got, want) {
		t.Errorf("two bridges got ports %v, want %v", got, want)
	}
}

func TestAllocatorExhaustsCleanly(t *testing.T) {
	lo, hi := freeRange(t, 3)
	a, err := NewAllocator(loopback, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	// One port left: the second bridge cannot get two.
	if b, err := a.NewBridge(nil); !errors.Is(err, ErrNoPorts) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("NewBridge on a full range: %v, want ErrNoPorts", err)
	}
	// It gave back the one port it got: once the first bridge is closed,
	// nothing is held.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.inUse) != 0 {
		t.Errorf("ports %v still held with no bridge open", a.inUse)
	}
}

func TestAllocatorReusesPortsAfterClose(t *testing.T) {
	lo, hi := freeRange(t, 2)
	a, err := NewAllocator(loopback, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		b, err := a.NewBridge(nil)
		if err != nil {
			t.Fatalf("bridge %d: %v", i, err)
		}
		if got := ports(b); !slices.Equal(got, []int{lo, hi}) {
			t.Errorf("bridge %d got ports %v, want %v", i, got, []int{lo, hi})
		}
		if _, err := a.NewBridge(nil); !errors.Is(err, ErrNoPorts) {
			t.Errorf("bridge %d: a second bridge on a full range: %v, want ErrNoPorts", i, err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAllocatorSkipsPortsHeldByOthers(t *testing.T) {
	lo, hi := freeRange(t, 3)
	other, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(lo+2))))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, err := NewAllocator(loopback, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.NewBridge(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := ports(b); !slices.Equal(got, []int{lo, lo + 4}) {
		t.Errorf("ports %v, want %v (skipping %d)", got, []int{lo, lo + 4}, lo+2)
	}
}

func TestNewAllocatorRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name     string
		ip       netip.Addr
		min, max int
	}{
		{"no address", netip.Addr{}, 10000, 20000},
		{"inverted range", loopback, 20000, 10000},
		{"port zero", loopback, 0, 10},
		{"above 65535", loopback, 60000, 70000},
		{"no even port", loopback, 10001, 10001},
	}
	for _, tt := range tests {
		if _, err := NewAllocator(tt.ip, tt.min, tt.max); err == nil {
			t.Errorf("%s: NewAllocator(%v, %d, %d) succeeded", tt.name, tt.ip, tt.min, tt.max)
		}
	}
}
