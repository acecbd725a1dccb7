package node

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

// releaseStartupPages drops this process's mappings of the executable's
// clean pages (its code and constants) once start-up is over; see
// startpages.go. It returns the bytes that were resident in them.
func releaseStartupPages(log *slog.Logger) int64 {
	exe, err := os.Executable()
	if err != nil {
		log.Debug("start-up pages kept", "err", err)
		return 0
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		log.Debug("start-up pages kept", "err", err)
		return 0
	}
	defer f.Close()
	maps, err := releasableMappings(f, exe)
	if err != nil {
		log.Debug("start-up pages kept", "err", err)
		return 0
	}
	var released int64
	for _, m := range maps {
		if err := madviseDontNeed(m.start, m.end-m.start); err != nil {
			log.Debug("start-up pages kept", "mapping", m.path, "err", err)
			continue
		}
		released += m.rss
	}
	log.Debug("start-up pages released", "bytes", released, "mappings", len(maps))
	return released
}

// madviseDontNeed is madvise(addr, n, MADV_DONTNEED) on a range that is
// not Go memory (a file mapping the runtime never allocated from).
func madviseDontNeed(addr, n uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_DONTNEED); e != 0 {
		return fmt.Errorf("madvise %#x+%d: %w", addr, n, e)
	}
	return nil
}
