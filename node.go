package sipsim

import (
	"context"
	"time"
)

// Node is one `sipsim serve` process among those sharing a database. Its ID
// is drawn at random each time the process starts, so that a restarted
// process is a new node and the calls its previous run left behind are
// told apart from its own.
type Node struct {
	ID   string // "node_" + random, new at every start
	Name string // --node-name, for people and logs
	// SIPAddr is where the node takes SIP ("host:port"), for people and
	// logs: phones reach a node at the address they registered to.
	SIPAddr   string
	StartedAt time.Time
	// HeartbeatAt is when the node last said it was alive. A node whose
	// heartbeat is older than the lease is dead: the calls it ran are
	// closed by the others.
	HeartbeatAt time.Time
	// Draining is set while the node stops: it finishes its calls, those
	// dispatched to it before it drained included, but is given no new
	// ones.
	Draining bool
}

// Live reports whether n has heartbeat within lease of now.
func (n *Node) Live(now time.Time, lease time.Duration) bool {
	return n.HeartbeatAt.After(now.Add(-lease))
}

// CallDispatch is carried by a call that one node created for another to
// run: the node that holds the phone's registration. It keeps what the
// request asked that the stored call does not, so that the running node
// can build the same plan.
type CallDispatch struct {
	// Claimed is set once the running node has taken the call; each
	// dispatched call is taken once.
	Claimed          bool
	CallerIDName     string
	AutoAnswer       bool
	AgentRingTimeout time.Duration // 0: the running node's default
}

// NodeStore is the cluster's shared state: which nodes are alive, the calls
// left behind by dead ones, and the calls dispatched from one node to
// another.
type NodeStore interface {
	// Heartbeat records that n is alive: it inserts the node or updates its
	// name, address, Draining and HeartbeatAt (StartedAt is kept as first
	// stored). It sets n.HeartbeatAt from the store's clock.
	Heartbeat(ctx context.Context, n *Node) error
	// RemoveNode deletes a node that stopped; no error if it is absent.
	// Calls still active on it count as orphaned from then on.
	RemoveNode(ctx context.Context, id string) error
	// Node returns one node. ENOTFOUND.
	Node(ctx context.Context, id string) (*Node, error)
	// OrphanedCalls returns the active calls whose node's last heartbeat
	// is at or before staleBefore, or whose node is not known, oldest
	// first.
	OrphanedCalls(ctx context.Context, staleBefore time.Time) ([]*Call, error)
	// EndOrphanedCall stores c, which the caller has given a final status,
	// with ev, provided the stored call is still active, still on node
	// c.NodeID, and that node's last heartbeat is still at or before
	// staleBefore (or the node is unknown). ECONFLICT, and nothing
	// written, when that is no longer so: another node closed the call
	// first, or its node came back. Of several nodes ending one call at
	// once, exactly one succeeds. ENOTFOUND for an unknown call.
	//
	// The call is stored, and c left, with NodeID "": it belongs to no
	// node any more. That fences off its node, which may not be dead but
	// cut off from the database, or frozen: its own writes of the call
	// (UpdateCall with its NodeID) are refused from then on, so the
	// call keeps this one final record.
	EndOrphanedCall(ctx context.Context, c *Call, ev *CallEvent, staleBefore time.Time) error
	// EndUnclaimedCall stores c, which the caller has given a final
	// status, with ev, provided the stored call is still dispatched to
	// node c.NodeID, not claimed, and initiating: a call hung up before
	// the node it was dispatched to took it, which then finds nothing to
	// run. ECONFLICT, and nothing written, once that node has claimed it
	// (ask it with RequestCancel) or the call has ended; of this and a
	// claim at once, exactly one succeeds. ENOTFOUND for an unknown call.
	EndUnclaimedCall(ctx context.Context, c *Call, ev *CallEvent) error
	// ClaimDispatchedCalls marks the active calls dispatched to node nodeID
	// and not yet claimed as claimed, and returns them, oldest first. Each
	// dispatched call is returned once, however many claim at once.
	ClaimDispatchedCalls(ctx context.Context, nodeID string) ([]*Call, error)
	// RequestCancel asks the node running a call to hang it up (the API of
	// another node was asked to). The stores shared by several nodes
	// notify every node, which ignores calls it does not run; a store of
	// one node has no one to tell and does nothing.
	RequestCancel(ctx context.Context, callID string) error
}
