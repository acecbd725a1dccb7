package node

import (
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/garage-web/garage-web/config"
)

func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("GOMEMLIMIT", "")
	if got := applyMemoryLimit(&config.Config{MemoryLimit: 64 << 20}, log); got != prev {
		t.Fatalf("GOMEMLIMIT set: limit %d, want it left at %d", got, prev)
	}
	// Unset it for the rest (t.Setenv restores it at the end).
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if got := applyMemoryLimit(&config.Config{MemoryLimit: 64 << 20}, log); got != 64<<20 || debug.SetMemoryLimit(-1) != 64<<20 {
		t.Fatalf("limit %d, runtime %d", got, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if got := applyMemoryLimit(&config.Config{}, log); got != math.MaxInt64 {
		t.Fatalf("memory_limit 0 set a limit: %d", got)
	}
}
