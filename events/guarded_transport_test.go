package events

import (
	"net/http"
	"net/url"
	"testing"
)

// A proxy from the environment would connect to the receiver on the
// dispatcher's behalf, out of the guard's sight: the transport has none,
// whatever the transport it was given.
func TestGuardedTransportUsesNoProxy(t *testing.T) {
	proxy, _ := url.Parse("http://127.0.0.1:3128")
	given := &http.Transport{Proxy: http.ProxyURL(proxy)}
	for name, rt := range map[string]http.RoundTripper{"default": nil, "given": given} {
		tr := guardedTransport(rt, NewAddressGuard(nil))
		if tr.Proxy != nil {
			t.Errorf("%s transport: Proxy is set, want none", name)
		}
		if tr.DialContext == nil || tr.DialTLSContext != nil {
			t.Errorf("%s transport: want only the guarded DialContext", name)
		}
	}
	if given.Proxy == nil {
		t.Error("the given transport was changed, want it copied")
	}
}

// A RoundTripper other than *http.Transport has no dialer to guard: a
// wiring mistake, found at start-up.
func TestGuardedTransportPanicsOnAnUnguardableTransport(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a transport that cannot be guarded was accepted")
		}
	}()
	guardedTransport(roundTripperFunc(nil), NewAddressGuard(nil))
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
