package events

import (
	"slices"
	"sync"
	"testing"

	"github.com/sipsim/sipsim"
)

func ev(id, account int64) *sipsim.CallEvent {
	return &sipsim.CallEvent{ID: id, AccountID: account, Type: sipsim.EventCallCreated}
}

// receive returns the events waiting in ch and whether ch is still open.
func receive(ch <-chan *sipsim.CallEvent) (ids []int64, open bool) {
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return ids, false
			}
			ids = append(ids, e.ID)
		default:
			return ids, true
		}
	}
}

func TestBusRoutesByAccount(t *testing.T) {
	b := NewBus(10)
	one, cancelOne := b.Subscribe(1)
	defer cancelOne()
	two, cancelTwo := b.Subscribe(2)
	defer cancelTwo()
	all, cancelAll := b.Subscribe(0)
	defer cancelAll()

	b.Publish(ev(1, 1))
	b.Publish(ev(2, 2))
	b.Publish(nil) // ignored
	b.Publish(ev(3, 1))

	for _, tt := range []struct {
		name string
		ch   <-chan *sipsim.CallEvent
		want []int64
	}{
		{"account 1", one, []int64{1, 3}},
		{"account 2", two, []int64{2}},
		{"all accounts", all, []int64{1, 2, 3}},
	} {
		got, open := receive(tt.ch)
		if !open || !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v (open %t), want %v (open)", tt.name, got, open, tt.want)
		}
	}
}

func TestBusDropsSlowSubscriber(t *testing.T) {
	b := NewBus(2)
	slow, cancelSlow := b.Subscribe(0)
	defer cancelSlow()
	fast, cancelFast := b.Subscribe(0)
	defer cancelFast()

	var fastGot []int64
	for id := int64(1); id <= 5; id++ {
		b.Publish(ev(id, 1)) // must not block although slow never reads
		got, _ := receive(fast)
		fastGot = append(fastGot, got...)
	}

	got, open := receive(slow)
	if open || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("slow subscriber: got %v (open %t), want the 2 buffered events then a closed channel", got, open)
	}
	if !slices.Equal(fastGot, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("fast subscriber got %v, want every event", fastGot)
	}
	// Cancelling after being dropped is harmless.
	cancelSlow()
}

func TestBusUnsubscribeIsIdempotent(t *testing.T) {
	b := NewBus(0) // taken as 1
	ch, cancel := b.Subscribe(1)
	cancel()
	cancel()
	if _, open := receive(ch); open {
		t.Fatal("channel still open after unsubscribe")
	}
	b.Publish(ev(1, 1)) // nobody left: no panic, no block
	if len(b.subs) != 0 {
		t.Fatalf("bus still holds %d subscribers", len(b.subs))
	}
}

// TestBusConcurrent is for the race detector: publishers, subscribers and
// cancellations at once.
func TestBusConcurrent(t *testing.T) {
	b := NewBus(4)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 200 {
				b.Publish(ev(int64(i), int64(p%2+1)))
			}
		})
	}
	for s := range 8 {
		wg.Go(func() {
			for range 20 {
				ch, cancel := b.Subscribe(int64(s % 3))
				for range 3 {
					if _, ok := <-ch; !ok {
						break
					}
				}
				cancel()
			}
		})
	}
	// Keep events flowing until every subscriber has finished.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				b.Publish(ev(0, 1))
				b.Publish(ev(0, 2))
			}
		}
	}()
	wg.Wait()
	close(stop)
}
