package diskspace

import (
	"fmt"
	"syscall"
)

// Statfs measures the file system holding dir with statfs(2).
func Statfs(dir string) (Usage, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return Usage{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	bs := uint64(s.Bsize)
	return Usage{Free: s.Bavail * bs, Total: s.Blocks * bs}, nil
}
