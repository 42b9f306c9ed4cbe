package e2e

import (
	"fmt"
	"regexp"
	"testing"
)

// carrierToneHz is the tone the SIPp carrier streams once it answers.
const carrierToneHz = 1000

// carrierConfig is a SIPp carrier on the trunk port: one call (-m 1).
type carrierConfig struct {
	Scenario string // carrier_answer.xml, carrier_reject.xml...
	Caller   string // the number it must see in From and P-Asserted-Identity
	Target   string // the number it must see in the Request-URI
	Code     int    // for carrier_reject.xml
	Reason   string // for carrier_reject.xml
	// AnswerAtOnce sends 200 right after 180 instead of ringing 500 ms
	// (carrier_answer*.xml).
	AnswerAtOnce bool
	// RingMS, when set, is how long it rings before the 200 instead.
	RingMS int
	Args   []string
}

func startSIPpCarrier(t testing.TB, port int, cfg carrierConfig) *sippProc {
	t.Helper()
	ring := "500"
	if cfg.AnswerAtOnce {
		ring = "0"
	}
	if cfg.RingMS > 0 {
		ring = fmt.Sprint(cfg.RingMS)
	}
	return startSIPp(t, sippConfig{
		Name:      "carrier",
		Scenario:  cfg.Scenario,
		Port:      port,
		MediaPort: freePorts(t, 4),
		Vars: map[string]string{
			"Caller": regexp.QuoteMeta(cfg.Caller),
			"Target": regexp.QuoteMeta(cfg.Target),
			"Code":   fmt.Sprint(cfg.Code),
			"Reason": cfg.Reason,
			"RingMS": ring,
		},
		Files: map[string][]byte{"carrier_tone.pcmu": mulawTone(carrierToneHz, 8000, 2)},
		Args:  append([]string{"-m", "1"}, cfg.Args...),
	})
}
