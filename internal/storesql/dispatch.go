package storesql

import (
	"time"

	"github.com/sipsim/sipsim"
)

// DispatchCols are the dispatch columns of a call row, scanned into by
// both stores: the state ("", "pending" or "claimed") and the request's
// options, the ring timeout in milliseconds.
type DispatchCols struct {
	State        string
	CallerIDName string
	AutoAnswer   bool
	AgentRingMS  int64
}

// Dispatch is the call's dispatch, nil for a call run where it was made.
func (d DispatchCols) Dispatch() *sipsim.CallDispatch {
	if d.State == "" {
		return nil
	}
	return &sipsim.CallDispatch{
		Claimed:          d.State == "claimed",
		CallerIDName:     d.CallerIDName,
		AutoAnswer:       d.AutoAnswer,
		AgentRingTimeout: time.Duration(d.AgentRingMS) * time.Millisecond,
	}
}

// DispatchArgs are the values of the dispatch columns, in DispatchCols'
// order.
func DispatchArgs(d *sipsim.CallDispatch) []any {
	if d == nil {
		return []any{"", "", false, int64(0)}
	}
	state := "pending"
	if d.Claimed {
		state = "claimed"
	}
	return []any{state, d.CallerIDName, d.AutoAnswer, d.AgentRingTimeout.Milliseconds()}
}
