package node

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Releasing the pages touched at start-up.
//
// A freshly started node had ~25 MiB resident of which only ~6 MiB were
// its own memory: the rest were pages of the executable (and of libc)
// mapped while the package inits, the configuration, bbolt and the
// listeners ran once. The kernel maps a whole 64 KiB window of file
// pages already in the page cache around every fault ("fault-around"),
// so a few hundred init functions spread over a 20 MiB binary map
// nearly all of it. Those pages are clean copies of the file: dropping
// this process's mappings of them (madvise MADV_DONTNEED) loses nothing,
// and code that runs again faults its page back in from the page cache
// (a minor fault, no disk I/O while the file stays cached). Resident
// memory then follows the code a serving node really uses, and the
// start-up code is among the first pages the kernel can reclaim.
//
// Start-up does not end when Run begins: the first anti-entropy pass,
// the first block collection and the first garbage collections of the
// heap, and the first requests (an operator's `key create`), touch code
// of their own in the next seconds, longer on a loaded machine. So the
// release is done at once, every half second for the first 5 seconds,
// then after 10, 20, 40 and 80 seconds (releaseSchedule), and never
// again: on a busy node the pages in use stay mapped. One release costs
// about a millisecond (reading smaps), and the faults that map the code
// in use back in about as much.

// releaseSchedule is the delays, from the start of Run, at which the
// start-up pages are released.
func releaseSchedule() []time.Duration {
	var d []time.Duration
	for s := time.Duration(0); s <= 5*time.Second; s += time.Second / 2 {
		d = append(d, s)
	}
	for s := 10 * time.Second; s <= 80*time.Second; s *= 2 {
		d = append(d, s)
	}
	return d
}

// releaseStartupPagesLater releases the start-up pages on
// releaseSchedule until ctx ends.
func releaseStartupPagesLater(ctx context.Context, log *slog.Logger) {
	start := time.Now()
	for _, at := range releaseSchedule() {
		t := time.NewTimer(time.Until(start.Add(at)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		releaseStartupPages(log)
	}
}

// mapping is one line of /proc/self/smaps that can be released: a
// read-only (never written) private mapping of the executable without
// private copies.
type mapping struct {
	start, end uintptr
	path       string
	rss        int64 // bytes resident before the release
}

// releasableMappings parses /proc/self/smaps and returns the mappings of
// the executable exe that hold only clean file pages: private, not
// writable, and without anonymous (copied-on-write) pages. Dropping the
// page-table entries of those is safe: the next access reads the file's
// page again, which is what the mapping held.
//
// Only the executable's own mappings qualify: they stay at their
// addresses for the life of the process. A mapping that can go away
// (bbolt's file, which it maps again as it grows; a library unloaded)
// could be replaced by Go memory between reading smaps and the madvise,
// which would then zero live memory.
func releasableMappings(smaps io.Reader, exe string) ([]mapping, error) {
	var out []mapping
	var cur *mapping
	var anon, rss int64
	flush := func() {
		if cur != nil && anon == 0 && rss > 0 {
			cur.rss = rss
			out = append(out, *cur)
		}
		cur, anon, rss = nil, 0, 0
	}
	sc := bufio.NewScanner(smaps)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if f := bytes.Fields(line); len(f) >= 5 && bytes.IndexByte(f[0], '-') > 0 && !bytes.HasSuffix(f[0], []byte(":")) {
			flush()
			m, ok, err := parseMapsLine(string(line))
			if err != nil {
				return nil, err
			}
			if ok && m.path == exe {
				cur = &m
			}
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("Rss:")):
			rss = smapsKB(line)
		case bytes.HasPrefix(line, []byte("Anonymous:")):
			anon = smapsKB(line)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading smaps: %w", err)
	}
	return out, nil
}

// parseMapsLine parses "start-end perms offset dev inode [path]" and
// reports whether the mapping is a read-only private file mapping.
func parseMapsLine(line string) (mapping, bool, error) {
	f := strings.Fields(line)
	if len(f) < 6 || !strings.HasPrefix(f[5], "/") || strings.HasSuffix(line, " (deleted)") {
		return mapping{}, false, nil
	}
	if perms := f[1]; len(perms) < 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
		return mapping{}, false, nil
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return mapping{}, false, fmt.Errorf("smaps: bad range %q", f[0])
	}
	start, err := strconv.ParseUint(lo, 16, 64)
	if err != nil {
		return mapping{}, false, fmt.Errorf("smaps: bad range %q: %w", f[0], err)
	}
	end, err := strconv.ParseUint(hi, 16, 64)
	if err != nil || end <= start {
		return mapping{}, false, fmt.Errorf("smaps: bad range %q", f[0])
	}
	return mapping{start: uintptr(start), end: uintptr(end), path: strings.Join(f[5:], " ")}, true, nil
}

// smapsKB parses "Name:   123 kB" into bytes (0 if malformed).
func smapsKB(line []byte) int64 {
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}
