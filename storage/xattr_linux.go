//go:build linux

package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// setCheckAttr stores the check record on the open file f. A file system
// without user extended attributes returns an error, which callers ignore:
// the block is then verified with SHA-256 on every read.
func setCheckAttr(f *os.File, rec []byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fsetxattr(int(fd), checkAttr, rec, 0) }); err != nil {
		return err
	}
	return serr
}

// setCheckAttrPath stores the check record on the file at path.
func setCheckAttrPath(path string, rec []byte) error {
	return unix.Setxattr(path, checkAttr, rec, 0)
}

// getCheckAttr returns the check record of the open file f, or nil when
// it has none (or it cannot be read).
func getCheckAttr(f *os.File, buf *[checkRecordSize]byte) []byte {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	n := -1
	if err := rc.Control(func(fd uintptr) {
		if k, err := unix.Fgetxattr(int(fd), checkAttr, buf[:]); err == nil {
			n = k
		}
	}); err != nil || n < 0 {
		return nil
	}
	return buf[:n]
}
