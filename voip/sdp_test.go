package voip

import (
	"net/netip"
	"testing"
)

func TestParseSDP(t *testing.T) {
	body := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 8 0 96\r\nc=IN IP4 127.0.0.5\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n" +
		"m=video 5000 RTP/AVP 97\r\nc=IN IP4 10.9.9.9\r\n"
	d, err := parseSDP([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if d.addr != netip.MustParseAddrPort("127.0.0.5:4000") {
		t.Errorf("addr = %v", d.addr)
	}
	if len(d.codecs) != 2 || d.codecs[0].name != "PCMA" || d.codecs[1].name != "PCMU" {
		t.Errorf("codecs = %+v", d.codecs)
	}
	if d.dtmfPT != 96 {
		t.Errorf("dtmfPT = %d", d.dtmfPT)
	}
	if c, ok := d.firstCodec(); !ok || c.pt != 8 {
		t.Errorf("firstCodec = %+v %v", c, ok)
	}
}

func TestParseSDPSessionLevelAddress(t *testing.T) {
	d, err := parseSDP([]byte("v=0\nc=IN IP4 127.0.0.1\nm=audio 6000 RTP/AVP 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.addr != netip.MustParseAddrPort("127.0.0.1:6000") || d.dtmfPT != -1 {
		t.Errorf("got %+v", d)
	}
}

func TestParseSDPErrors(t *testing.T) {
	for _, body := range []string{"", "v=0\r\n", "v=0\nc=IN IP4 1.2.3.4\nm=video 1 RTP/AVP 0\n", "v=0\nm=audio 1 RTP/AVP 0\n", "v=0\nc=IN IP4 x\nm=audio 1 RTP/AVP 0\n", "v=0\nc=IN IP4 1.1.1.1\nm=audio 99999 RTP/AVP 0\n"} {
		if _, err := parseSDP([]byte(body)); err == nil {
			t.Errorf("parseSDP(%q) accepted", body)
		}
	}
}

func TestBuildOfferRoundTrip(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	body := buildOffer(ip, 20000, 42, []sdpCodec{staticPT[0], staticPT[8]})
	d, err := parseSDP(body)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if d.addr != netip.AddrPortFrom(ip, 20000) || len(d.codecs) != 2 || d.dtmfPT != offerDTMFPT {
		t.Fatalf("round trip gave %+v from\n%s", d, body)
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseSDP(b)
		if err == nil && !d.addr.IsValid() {
			t.Fatalf("accepted SDP without a valid address: %q", b)
		}
	})
}
