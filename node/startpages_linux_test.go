package node

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// rssFile reads RssFile (resident file pages) of this process, in bytes.
func rssFile(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "RssFile:") {
			return smapsKB([]byte(l))
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseStartupPages releases the test binary's own clean pages and
// checks that the process keeps running its code (it faults the pages
// back in) and that fewer file pages are resident afterwards.
func TestReleaseStartupPages(t *testing.T) {
	before := rssFile(t)
	released := releaseStartupPages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	after := rssFile(t)
	if released <= 0 {
		t.Fatalf("released %d bytes", released)
	}
	if after >= before {
		t.Fatalf("resident file pages %d before, %d after releasing %d", before, after, released)
	}
	// Code and constants still work after their pages were dropped.
	if got := strings.Repeat("ab", 3); got != "ababab" {
		t.Fatal(got)
	}
	t.Logf("resident file pages: %d KiB before, %d KiB after (released %d KiB)", before>>10, after>>10, released>>10)
}
