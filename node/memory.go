package node

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/garage-web/garage-web/config"
)

// applyMemoryLimit sets the Go runtime's soft memory limit to the
// configured memory_limit, unless GOMEMLIMIT is set in the environment
// (the operator's explicit choice wins) or the setting is 0. The limit is
// process-wide: a process runs one node. It returns the limit in effect.
//
// Why: with the default GOGC the heap may grow to twice what is live
// before a collection, and freed memory goes back to the system slowly;
// near the limit the collector runs earlier and the scavenger returns
// freed pages at once, so resident memory follows what is live.
func applyMemoryLimit(cfg *config.Config, log *slog.Logger) int64 {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok || cfg.MemoryLimit <= 0 {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(int64(cfg.MemoryLimit))
	log.Debug("memory limit set", "bytes", int64(cfg.MemoryLimit))
	return int64(cfg.MemoryLimit)
}
