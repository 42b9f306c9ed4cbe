package sipsim

import "time"

// CallRateWindow is the sliding window of the calls-per-minute limits.
const CallRateWindow = time.Minute

// CallLimits are the limits a CallStore checks in the transaction that
// inserts a call: the ones the new call itself counts towards, which two
// concurrent requests could otherwise both squeeze under. Zero fields are
// not checked. The daily talk time is not among them: a new call adds no
// talk time, so it is read before (CallStore.TalkTime).
type CallLimits struct {
	// MaxConcurrentCalls caps the account's active calls, the new one
	// included.
	MaxConcurrentCalls int
	// CallsPerMinutePerToken caps the calls created with the call's
	// TokenID within CallRateWindow, the new one included; not checked for
	// TokenID 0 (handset calls).
	CallsPerMinutePerToken int
	// CallsPerMinutePerPhone caps the calls created for the call's phone,
	// from the API or its handset, within CallRateWindow.
	CallsPerMinutePerPhone int
}

// CallLimits are the limits of l that the store enforces on insert.
func (l AccountLimits) CallLimits() CallLimits {
	return CallLimits{
		MaxConcurrentCalls:     l.MaxConcurrentCalls,
		CallsPerMinutePerToken: l.CallsPerMinutePerToken,
		CallsPerMinutePerPhone: l.CallsPerMinutePerPhone,
	}
}
