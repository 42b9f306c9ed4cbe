package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sipsimBin is the binary under test, built once for the whole package.
var sipsimBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sipsim-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sipsimBin = filepath.Join(dir, "sipsim")
	build := exec.Command("go", "build", "-o", sipsimBin, "./cmd/sipsim")
	build.Dir = ".." // the module root: tests run in the package directory
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building ./cmd/sipsim failed:", err)
		return 1
	}
	return m.Run()
}
