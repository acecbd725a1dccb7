package node

import (
	"strings"
	"testing"
	"time"
)

// smapsSample is /proc/self/smaps cut down to the fields the parser reads.
const smapsSample = `00400000-00e3e000 r-xp 00000000 fd:01 123 /usr/bin/garage-web
Size:              10488 kB
Rss:                8952 kB
Anonymous:             0 kB
00e3e000-0188c000 r--p 00a3e000 fd:01 123 /usr/bin/garage-web
Size:              10552 kB
Rss:                9016 kB
Anonymous:             0 kB
0188c000-0197e000 rw-p 0148c000 fd:01 123 /usr/bin/garage-web
Size:                968 kB
Rss:                 584 kB
Anonymous:           120 kB
0197e000-039ca000 rw-p 00000000 00:00 0
Size:              33072 kB
Rss:                 236 kB
Anonymous:           236 kB
7f7495572000-7f74956c8000 r-xp 00026000 fd:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
Size:               1368 kB
Rss:                 824 kB
Anonymous:             0 kB
7f749571b000-7f749571f000 r--p 001cf000 fd:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
Size:                 16 kB
Rss:                  16 kB
Anonymous:            16 kB
7f749572e000-7f7495736000 r--s 00000000 fd:01 99 /var/lib/garage-web/meta/db.bolt
Size:                 32 kB
Rss:                  24 kB
Anonymous:             0 kB
7f7495740000-7f7495742000 r--p 00000000 fd:01 55 /tmp/old binary (deleted)
Size:                  8 kB
Rss:                   8 kB
Anonymous:             0 kB
7f7495750000-7f7495752000 r--p 00000000 fd:01 56 /tmp/not resident
Size:                  8 kB
Rss:                   0 kB
Anonymous:             0 kB
7ffd1c5f0000-7ffd1c5f2000 r-xp 00000000 00:00 0 [vdso]
Size:                  8 kB
Rss:                   4 kB
Anonymous:             0 kB
`

func TestReleasableMappings(t *testing.T) {
	got, err := releasableMappings(strings.NewReader(smapsSample), "/usr/bin/garage-web")
	if err != nil {
		t.Fatal(err)
	}
	// Kept out: the writable data segment, the heap, libc, the shared
	// bbolt mapping, a deleted file, a mapping with nothing resident and
	// the vDSO.
	want := []mapping{
		{0x00400000, 0x00e3e000, "/usr/bin/garage-web", 8952 << 10},
		{0x00e3e000, 0x0188c000, "/usr/bin/garage-web", 9016 << 10},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d mappings %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReleasableMappingsBadRange(t *testing.T) {
	if _, err := releasableMappings(strings.NewReader("zz-00e3e000 r-xp 0 fd:01 1 /bin/x\n"), "/bin/x"); err == nil {
		t.Fatal("a malformed range was accepted")
	}
}

func TestReleaseSchedule(t *testing.T) {
	d := releaseSchedule()
	if d[0] != 0 || d[len(d)-1] != 80*time.Second || len(d) != 15 {
		t.Fatalf("schedule %v", d)
	}
	for i := 1; i < len(d); i++ {
		if d[i] <= d[i-1] {
			t.Fatalf("schedule not increasing: %v", d)
		}
	}
}
