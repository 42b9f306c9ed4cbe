package rig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles cmd/sipsim into dir and returns the binary's path. The
// package is named by import path, so the benchmark may be started from
// any directory of the module.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "sipsim")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sipsim/sipsim/cmd/sipsim")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sipsim: %w", err)
	}
	return bin, nil
}
