package calls

import (
	"context"
	"time"

	"github.com/sipsim/sipsim"
)

// Several nodes share one database (Config.Nodes set). Each is a row in
// the nodes table that it refreshes every lease/3 (heartbeat); a node
// whose heartbeat is older than the lease is dead.
//
//   - A call runs on the node that holds the phone's registration: the
//     phone's NAT binding, or its TCP connection, is with that node. The
//     node that takes the API request stores the call for that node
//     (Call.NodeID, Call.Dispatch) and answers at once; the store wakes the
//     node, which claims the call and runs it as its own (dispatch.go).
//   - Every node sweeps, every lease/3, the active calls whose node is
//     dead, and closes each as failed/node_lost, once, whichever sweeper
//     gets there first (the store's EndOrphanedCall decides).
//   - A node that stops cleanly removes its row once its calls are over;
//     the calls of a node that crashed are closed by the others within
//     about 1⅓ leases. A node that is not dead but could not heartbeat
//     for a lease is fenced off, and hangs its calls up (fence.go).
//   - A draining node is dispatched no new calls, but runs those
//     dispatched to it before the others saw it drain (drain.go).
//   - A call hung up before its node took it is ended by the node asked,
//     in the store (cancel.go).

// claimPoll is how often a node looks for calls dispatched to it without
// being woken: notifications are lost while a node reconnects.
const claimPoll = time.Second

// clustered reports whether the node shares its database with others.
func (s *Service) clustered() bool { return s.cfg.Nodes != nil }

// JoinCluster records the node as alive. Call it before the node takes
// registrations or calls, so that the others see it live from the first.
func (s *Service) JoinCluster(ctx context.Context) error {
	if !s.clustered() {
		return nil
	}
	started := s.cfg.Now()
	if err := s.heartbeat(ctx); err != nil {
		return err
	}
	s.beats.last = started
	return nil
}

// RunCluster does the node's share of the cluster's work until ctx ends:
// heartbeats (fencing itself after a lease without one, see fence.go)
// and sweeps every lease/3, and claims the calls dispatched to
// it whenever wake receives and every claimPoll. Then it removes the node
// from the table: run it until the node's calls are over (after
// Shutdown), so that others do not take them for orphans. It returns at
// once for a node alone on its database.
func (s *Service) RunCluster(ctx context.Context, wake <-chan struct{}) {
	if !s.clustered() {
		return
	}
	beat := time.NewTicker(s.cfg.Lease / 3)
	defer beat.Stop()
	poll := time.NewTicker(claimPoll)
	defer poll.Stop()
	s.sweep(ctx)
	s.claimDispatched(ctx)
	for {
		select {
		case <-ctx.Done():
			s.leaveCluster()
			return
		case <-beat.C:
			s.beat(ctx)
			s.sweep(ctx)
		case <-wake:
			s.claimDispatched(ctx)
		case <-poll.C:
			s.claimDispatched(ctx)
		}
	}
}

func (s *Service) heartbeat(ctx context.Context) error {
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	n := s.cfg.Node
	n.Draining = draining
	return s.cfg.Nodes.Heartbeat(ctx, &n)
}

// leaveCluster removes the node once it stops: its calls are over, and a
// call dispatched to it since would wait a whole lease to be closed. The
// ends it could not store are tried once more; those left are closed by
// the others as node_lost once the node is gone.
func (s *Service) leaveCluster() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.storeUnrecorded(ctx)
	if err := s.cfg.Nodes.RemoveNode(ctx, s.cfg.Node.ID); err != nil {
		s.log.Warn("could not remove the node from the cluster; its row expires with its lease", "node_id", s.cfg.Node.ID, "err", err)
	}
}

// sweep closes the active calls of dead nodes as failed/node_lost. This
// node's own calls are never orphans: it is alive, whatever its last
// heartbeat says.
func (s *Service) sweep(ctx context.Context) {
	now := s.cfg.Now()
	staleBefore := now.Add(-s.cfg.Lease)
	orphans, err := s.cfg.Nodes.OrphanedCalls(ctx, staleBefore)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("looking for calls of dead nodes failed", "err", err)
		}
		return
	}
	for _, c := range orphans {
		if c.NodeID == s.cfg.Node.ID {
			continue
		}
		node := c.NodeID
		ev := closeCall(c, sipsim.ReasonNodeLost, now)
		switch err := s.cfg.Nodes.EndOrphanedCall(ctx, c, ev, staleBefore); sipsim.ErrorCode(err) {
		case "":
			s.publish(ev)
			if s.cfg.CallEnded != nil {
				s.cfg.CallEnded(c.Status, c.EndedReason) // the dead node cannot count it
			}
			s.log.Warn("closed a call of a node that stopped heartbeating", "call_id", c.ID, "phone_id", c.PhoneID, "node_id", node)
		case sipsim.ECONFLICT, sipsim.ENOTFOUND:
			// Another node closed it first, or its node is back.
		default:
			s.log.Error("closing a call of a dead node failed", "call_id", c.ID, "err", err)
		}
	}
}

// HangUpRequested hangs up a call if this node runs it: another node's API
// was asked to (see CancelCall).
func (s *Service) HangUpRequested(callID string) {
	s.mu.Lock()
	rc := s.running[callID]
	s.mu.Unlock()
	if rc != nil {
		rc.cancel(sipsim.ReasonCanceledViaAPI)
	}
}
