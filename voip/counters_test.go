package voip

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// Metrics read the requests handled by method and the ones screened out
// by reason.
func TestIntegrationCountersByMethodAndDropReason(t *testing.T) {
	te := startEngineWith(t, nil, nil)
	u := newRawUA(t, "127.0.0.1", te.e)
	for range 2 {
		if res := u.exchange(u.request(sip.OPTIONS, "100")); res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS: %s", res.StartLine())
		}
	}
	scan := u.request(sip.OPTIONS, "100")
	scan.AppendHeader(sip.NewHeader("User-Agent", "friendly-scanner"))
	u.send([]byte(scan.String()))
	waitUntil(t, "the scanner's OPTIONS is screened out", func() bool { return te.e.Counters().DroppedScanner == 1 })

	c := te.e.Counters()
	if c.Requests["OPTIONS"] != 2 || c.Requests["REGISTER"] != 0 {
		t.Errorf("requests = %v, want OPTIONS 2 and REGISTER 0", c.Requests)
	}
	if _, ok := c.Requests["INVITE"]; !ok {
		t.Errorf("requests = %v: every handled method should be there from the start", c.Requests)
	}
	if c.DroppedBanned != 0 || c.DroppedRate != 0 {
		t.Errorf("dropped banned %d, rate %d; want 0, 0", c.DroppedBanned, c.DroppedRate)
	}
}
