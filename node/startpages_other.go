//go:build !linux

package node

import "log/slog"

// releaseStartupPages does nothing outside Linux (no /proc/self/smaps).
func releaseStartupPages(*slog.Logger) int64 { return 0 }
