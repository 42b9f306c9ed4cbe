package httpapi

import (
	"context"
	"slices"
	"strings"

	"github.com/sipsim/sipsim"
)

// Calls filters the fake's calls as a store would, newest first, after
// the cursor, at most Limit.
func (f *fakeCalls) Calls(_ context.Context, flt sipsim.CallFilter) ([]*sipsim.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastF = flt
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []*sipsim.Call
	for _, c := range f.calls {
		if matchesCallFilter(c, flt) {
			cp := *c
			out = append(out, &cp)
		}
	}
	slices.SortFunc(out, func(a, b *sipsim.Call) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

func matchesCallFilter(c *sipsim.Call, f sipsim.CallFilter) bool {
	hasTag := func(name string) bool {
		return slices.ContainsFunc(c.Tags, func(t sipsim.Tag) bool { return t.Name == name })
	}
	switch {
	case c.AccountID != f.AccountID,
		len(f.Statuses) > 0 && !slices.Contains(f.Statuses, c.Status),
		len(f.EndedReasons) > 0 && !slices.Contains(f.EndedReasons, c.EndedReason),
		f.PhoneID != 0 && c.PhoneID != f.PhoneID,
		f.TargetNumber != "" && c.TargetNumber != f.TargetNumber,
		f.Tag != "" && !hasTag(f.Tag),
		f.CreatedAfter != nil && c.CreatedAt.Before(*f.CreatedAfter),
		f.CreatedBefore != nil && !c.CreatedAt.Before(*f.CreatedBefore):
		return false
	}
	if a := f.After; a != nil {
		// Strictly after the cursor in (created_at, id) descending order.
		if c.CreatedAt.After(a.CreatedAt) || c.CreatedAt.Equal(a.CreatedAt) && c.ID >= a.ID {
			return false
		}
	}
	return true
}

// CancelCall ends an active call as canceled_via_api and returns a final
// one unchanged, as the service does.
func (f *fakeCalls) CancelCall(_ context.Context, accountID int64, id string) (*sipsim.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, id)
	if f.cancel != nil {
		return f.cancel(id)
	}
	c, ok := f.calls[id]
	if !ok || c.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no such call")
	}
	if !c.Status.Final() {
		now := f.now()
		c.Status, c.EndedReason, c.EndedAt, c.UpdatedAt = sipsim.CallCanceled, sipsim.ReasonCanceledViaAPI, &now, now
		c.AgentLeg.Status = sipsim.LegCanceled
		f.events[id] = append(f.events[id], &sipsim.CallEvent{
			ID: int64(len(f.events[id]) + 100), AccountID: accountID, CallID: id,
			Type: sipsim.EventCallEnded, Status: c.Status, At: now,
		})
	}
	cp := *c
	return &cp, nil
}
