//go:build linux

package storage

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directAlign is the alignment O_DIRECT needs of buffers, offsets and
// lengths (the page size; a multiple of every usual logical block size).
const directAlign = 4096

// writePayload writes payload to the new, empty file f. With direct
// writes on (SetDirectWrites), a payload whose buffer and length are
// aligned is written with O_DIRECT: the bytes go from the caller's buffer
// to the device without a copy into the page cache and without dirty pages
// for the fsync to write back, which cuts the kernel's CPU per block by
// more than half. Anything else, or a file system that refuses O_DIRECT
// (tmpfs), is written through the page cache. Either way the caller's
// fsync makes the file durable.
func (s *BlockStore) writePayload(f *os.File, payload []byte) error {
	if s.direct.Load() && !s.noDirect.Load() && directAligned(payload) {
		if ok, err := writeDirect(f, payload); ok || err != nil {
			return err
		}
		s.noDirect.Store(true) // refused: do not ask again
	}
	_, err := f.Write(payload)
	return err
}

func directAligned(b []byte) bool {
	return len(b) >= directAlign && len(b)%directAlign == 0 &&
		uintptr(unsafe.Pointer(unsafe.SliceData(b)))%directAlign == 0
}

// writeDirect writes b to f with O_DIRECT set for the write. It reports
// false, and no error, when the file system does not support O_DIRECT;
// a direct write that fails is retried through the page cache.
func writeDirect(f *os.File, b []byte) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, nil
	}
	var flags int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if flags, serr = unix.FcntlInt(fd, unix.F_GETFL, 0); serr == nil {
			_, serr = unix.FcntlInt(fd, unix.F_SETFL, flags|unix.O_DIRECT)
		}
	}); err != nil || serr != nil {
		return false, nil
	}
	_, werr := f.Write(b)
	var rerr error
	if err := rc.Control(func(fd uintptr) { _, rerr = unix.FcntlInt(fd, unix.F_SETFL, flags) }); err != nil {
		rerr = err
	}
	if werr == nil && rerr == nil {
		return true, nil
	}
	// Start again through the page cache.
	if rerr != nil {
		return true, fmt.Errorf("clear O_DIRECT: %w", rerr)
	}
	if err := f.Truncate(0); err != nil {
		return true, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return true, err
	}
	_, err = f.Write(b)
	return true, err
}
