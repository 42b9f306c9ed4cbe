package voip

import "bytes"

// scannerAgents are User-Agent fragments (lower case) of the tools that
// sweep the internet for SIP servers to brute-force or to place toll
// fraud calls through. No phone or carrier sends them. The list is kept
// short on purpose: a fragment that a real phone could contain would
// silence that phone.
var scannerAgents = [][]byte{
	[]byte("friendly-scanner"), // SIPVicious svwar/svcrack
	[]byte("friendly-request"),
	[]byte("sipvicious"),
	[]byte("sipcli"),
	[]byte("sip-scan"),
	[]byte("sipscan"),
	[]byte("sundayddr"),
	[]byte("iwar"),
	[]byte("vaxsipuseragent"),
	[]byte("vaxipuseragent"),
	[]byte("pplsip"),
	[]byte("sivus"),
	[]byte("siparmyknife"),
}

var userAgentHeader = []byte("user-agent")

// isScanner reports whether the raw request names a scanner in a
// User-Agent header (case-insensitive). It reads the header lines itself,
// so a screened request costs no parse.
func isScanner(data []byte) bool {
	rest := data
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return false // end of the headers
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), userAgentHeader) {
			continue
		}
		value = bytes.ToLower(value)
		for _, a := range scannerAgents {
			if bytes.Contains(value, a) {
				return true
			}
		}
	}
	return false
}
