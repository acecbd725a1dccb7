//go:build !linux

package diskspace

import "errors"

// Statfs is not implemented on this system: a Monitor then only learns
// of a full disk from failed writes.
func Statfs(dir string) (Usage, error) {
	return Usage{}, errors.New("diskspace: statfs is implemented on Linux only")
}
