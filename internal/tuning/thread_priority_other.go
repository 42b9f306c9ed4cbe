//go:build !linux

package tuning

import "errors"

const defaultBackgroundNice = 0

// LowerThreadPriority is supported on Linux only: elsewhere the priority
// of one thread cannot be set apart from its process's.
func LowerThreadPriority(steps int) error {
	return errors.New("thread priority: lowering one thread's priority is supported on Linux only")
}
