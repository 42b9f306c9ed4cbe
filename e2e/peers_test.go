package e2e

import (
	"os/exec"
	"testing"
)

// debPackage names the Debian package that ships each peer binary.
var debPackage = map[string]string{
	"sipp":    "sip-tester",
	"baresip": "baresip-core",
	"sox":     "sox",
}

// requirePeers fails the test (never skips it) when a peer program is not
// installed, saying how to install it.
func requirePeers(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("%s is not installed; install it with: sudo apt-get install -y --no-install-recommends %s (or run `make test` as root, which does it)", name, debPackage[name])
		}
	}
}
