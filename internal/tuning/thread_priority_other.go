//go:build !linux

package tuning

import "errors"

const defaultBackgroundNice = 0

// GoLowered is supported on Linux only: elsewhere the priority of one
// thread cannot be set apart from its process's. It never runs fn.
func GoLowered(steps int, fn func()) error {
	return errors.New("thread priority: lowering one thread's priority is supported on Linux only")
}
