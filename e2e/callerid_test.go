package e2e

import (
	"fmt"
	"testing"
	"time"
)

// The carrier sees the caller ID the phone's outbound_setting asks for, in
// From and P-Asserted-Identity (the SIPp carrier's regexp checks fail its
// scenario otherwise).
func TestCallerIDFollowsOutboundSetting(t *testing.T) {
	const outbound, switchboard = "+33987654321", "+33187654321"
	tests := []struct {
		name   string
		caller string
		setup  func(r *rig) map[string]any
	}{
		{"outbound_number", outbound, func(r *rig) map[string]any {
			return map[string]any{"outbound_number": outbound}
		}},
		{"another phone's number", switchboard, func(r *rig) map[string]any {
			other := r.api.createPhone(phoneInput{Name: "Switchboard", InternalNumber: 200, Number: switchboard, SIPPassword: "secret-200"})
			return map[string]any{"use_different_outbound_number": true, "outbound_number_phone_id": other.ID}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, rigConfig{
				Phone:   &phoneConfig{OOC: "phone_answer.xml"},
				Carrier: &carrierConfig{Scenario: "carrier_answer_hangup.xml", Caller: tt.caller, Args: []string{"-d", "500"}},
			})
			r.api.must(200, "PATCH", fmt.Sprintf("/api/v2/phones/%d", r.phone.ID), map[string]any{"outbound_setting": tt.setup(r)}, nil)
			c := r.startCall(t)
			if code := r.carrier.wait(60 * time.Second); code != 0 {
				t.Errorf("carrier SIPp exit code %d: it did not see %s in From and P-Asserted-Identity", code, tt.caller)
			}
			got := waitCallEnded(t, r.api, c.ID, 30*time.Second)
			if got.Status != "completed" || got.CallerID != tt.caller {
				t.Errorf("call %s with caller_id %q, want completed with %s", got.Status, got.CallerID, tt.caller)
			}
		})
	}
}

// Saving a caller ID that points nowhere is refused, naming the field.
func TestCallerIDSettingIsValidated(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigConfig{})
	status, env := r.api.do("PATCH", fmt.Sprintf("/api/v2/phones/%d", r.phone.ID),
		map[string]any{"outbound_setting": map[string]any{"use_different_outbound_number": true, "outbound_number_phone_id": 999}})
	if status != 400 || len(env.Errors) == 0 || env.Errors[0] != "outbound_setting.outbound_number_phone_id: phone 999 not found" {
		t.Fatalf("PATCH = %d %v, want 400 naming outbound_setting.outbound_number_phone_id", status, env.Errors)
	}
}
