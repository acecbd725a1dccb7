package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAuthThrottleDelays(t *testing.T) {
	clk := newTestClock()
	a := newAuthThrottle(clk.now, 100)
	const addr = "192.0.2.1"
	for i := 1; i < authFreeFailures; i++ {
		if _, refused := a.refused(addr); refused {
			t.Fatalf("refused after %d failures", i-1)
		}
		a.failed(addr)
	}
	// The 5th failure within a minute starts the refusals: 1 s, then
	// doubling at every further failure, up to the cap.
	want := authBaseDelay
	for i := 0; i < 12; i++ {
		if _, refused := a.refused(addr); refused {
			t.Fatalf("step %d: refused before the failure", i)
		}
		a.failed(addr)
		wait, refused := a.refused(addr)
		if !refused || wait != want {
			t.Fatalf("step %d: wait %v refused %v, want %v", i, wait, refused, want)
		}
		clk.advance(wait - time.Millisecond)
		if _, refused := a.refused(addr); !refused {
			t.Fatalf("step %d: let through before the wait ended", i)
		}
		clk.advance(time.Millisecond)
		want = min(want*2, authMaxDelay)
	}
	if want != authMaxDelay {
		t.Fatalf("the delay did not reach its cap: %v", want)
	}
	// Other addresses are not affected.
	if _, refused := a.refused("192.0.2.2"); refused {
		t.Fatal("another address refused")
	}
	// A quiet window after the last refusal forgets the strikes.
	clk.advance(authWindow + time.Second)
	a.failed(addr)
	if _, refused := a.refused(addr); refused {
		t.Fatal("refused after a quiet window")
	}
}

func TestAuthThrottleLogAggregates(t *testing.T) {
	clk := newTestClock()
	a := newAuthThrottle(clk.now, 100)
	const addr = "192.0.2.1"
	l, due := a.failed(addr)
	if !due || l.failures != 1 {
		t.Fatalf("first failure: %+v %v", l, due)
	}
	lines := 0
	for i := 0; i < 500; i++ { // 500 failures within the interval: no line
		clk.advance(time.Millisecond)
		a.refused(addr)
		if _, due := a.failed(addr); due {
			lines++
		}
	}
	if lines != 0 {
		t.Fatalf("%d more lines within one interval", lines)
	}
	clk.advance(authLogInterval)
	a.refused(addr) // counted as refused if throttled
	l, due = a.failed(addr)
	if !due || l.failures != 501 || l.wait <= 0 {
		t.Fatalf("next interval's line: %+v %v, want 501 failures and a wait", l, due)
	}
}

func TestAuthThrottleBounded(t *testing.T) {
	clk := newTestClock()
	a := newAuthThrottle(clk.now, 10)
	for i := 0; i < 1000; i++ {
		a.failed(fmt.Sprintf("198.51.100.%d:1234", i))
	}
	if a.len() != 10 {
		t.Fatalf("%d addresses remembered, want 10", a.len())
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5555":             "192.0.2.1",
		"[::ffff:192.0.2.1]:80":      "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"not an address":             "not an address",
		"[2001:db8:9:9::1%eth0]:1":   "2001:db8:9:9::/64",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Through the handler: wrong secrets get 401 until the fifth, then 429
// with Retry-After, even with the right secret; one WARN line, without the
// secret.
func TestPutThrottlesWrongCredentials(t *testing.T) {
	f := newFixture(t)
	clk := newTestClock()
	f.srv.authFails = newAuthThrottle(clk.now, 100)
	const host = "cache.web.localhost:3902"
	put := func(secret string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("PUT", "http://"+host+"/nix-cache-info", strings.NewReader("x"))
		r.Host = host
		r.RemoteAddr = "203.0.113.7:40000"
		r.SetBasicAuth("GKwriter", secret)
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		return w
	}
	for i := 1; i <= authFreeFailures; i++ {
		if w := put(fmt.Sprintf("guess-%d", i)); w.Code != 401 {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	w := put("writer-secret")
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("throttled: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	clk.advance(authBaseDelay)
	if w := put("writer-secret"); w.Code != 200 {
		t.Fatalf("after the wait, right secret: %d %s", w.Code, w.Body)
	}
	warns := 0
	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			continue
		}
		if rec["level"] == "WARN" {
			warns++
			if rec["client"] != "203.0.113.7" {
				t.Errorf("WARN line without the client: %s", line)
			}
		}
	}
	if warns != 1 {
		t.Errorf("%d WARN lines for %d failures, want 1:\n%s", warns, authFreeFailures, f.logs)
	}
	if strings.Contains(f.logs.String(), "guess-") || strings.Contains(f.logs.String(), "writer-secret") {
		t.Errorf("a secret in the log:\n%s", f.logs)
	}
}
