package web

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Limits of the throttling of failed Basic-auth uploads (authThrottle).
const (
	authFreeFailures = 5               // failures per authWindow before throttling
	authWindow       = time.Minute     // a window of failures
	authBaseDelay    = time.Second     // first refusal time; doubles per further failure
	authMaxDelay     = 5 * time.Minute // at most
	authLogInterval  = time.Minute     // at most one WARN line per address per interval
	authMaxAddresses = 10000           // addresses remembered (least recently seen go first)
)

// authThrottle slows down repeated wrong credentials from one client
// address, and aggregates their log lines. After authFreeFailures failures
// within authWindow, an address is refused (429) for authBaseDelay,
// doubled at every further failure up to authMaxDelay, until a window
// passes without failures after the last refusal ended. Right credentials
// do not reset it (a client holding one key could otherwise guess
// another's secret at full speed). Memory is bounded: at most authMaxAddresses addresses, the least
// recently seen dropped first. IPv6 clients count per /64, as one host
// usually holds a whole /64. Safe for concurrent use.
type authThrottle struct {
	now func() time.Time

	mu    sync.Mutex
	addrs map[string]*list.Element // of *authEntry
	lru   *list.List               // front: most recently seen
	max   int
}

type authEntry struct {
	addr        string
	windowStart time.Time
	failures    int       // in the current window
	strikes     int       // throttled failures so far: the delay's exponent
	until       time.Time // refused until
	lastLog     time.Time // zero: never logged
	unlogged    int       // failures since the last log line
	refused     int       // requests refused (429) since the last log line
}

func newAuthThrottle(now func() time.Time, max int) *authThrottle {
	return &authThrottle{now: now, addrs: map[string]*list.Element{}, lru: list.New(), max: max}
}

// clientKey is the throttled unit of a RemoteAddr: its IP, or the /64 of
// an IPv6 address.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// entry returns addr's entry, created if needed, as the most recently
// seen. Called with mu held.
func (a *authThrottle) entry(addr string) *authEntry {
	if el, ok := a.addrs[addr]; ok {
		a.lru.MoveToFront(el)
		return el.Value.(*authEntry)
	}
	for a.lru.Len() >= a.max {
		old := a.lru.Back()
		a.lru.Remove(old)
		delete(a.addrs, old.Value.(*authEntry).addr)
	}
	e := &authEntry{addr: addr}
	a.addrs[addr] = a.lru.PushFront(e)
	return e
}

// refused reports whether addr must wait, and how long, before its
// credentials are checked again. A refusal counts in the next log line.
func (a *authThrottle) refused(addr string) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	el, ok := a.addrs[addr]
	if !ok {
		return 0, false
	}
	e := el.Value.(*authEntry)
	wait := e.until.Sub(a.now())
	if wait <= 0 {
		return 0, false
	}
	e.refused++
	return wait, true
}

// authLog is what a log line of an address says, when one is due.
type authLog struct {
	failures int           // wrong credentials since the previous line
	refused  int           // 429 answers since the previous line
	wait     time.Duration // the address is refused for this long (0: not)
}

// failed records wrong credentials from addr. It returns the log line to
// write, if one is due (the first failure of an address, then at most one
// per authLogInterval, counting everything since the previous line).
func (a *authThrottle) failed(addr string) (authLog, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	e := a.entry(addr)
	if now.Sub(e.windowStart) >= authWindow {
		e.windowStart, e.failures = now, 0
		if now.After(e.until.Add(authWindow)) {
			e.strikes = 0 // a quiet window after the last refusal ended
		}
	}
	e.failures++
	var wait time.Duration
	if e.failures >= authFreeFailures || e.strikes > 0 {
		wait = authBaseDelay << min(e.strikes, 20)
		wait = min(wait, authMaxDelay)
		e.strikes++
		e.until = now.Add(wait)
	}
	e.unlogged++
	if !e.lastLog.IsZero() && now.Sub(e.lastLog) < authLogInterval {
		return authLog{}, false
	}
	l := authLog{failures: e.unlogged, refused: e.refused, wait: wait}
	e.lastLog, e.unlogged, e.refused = now, 0, 0
	return l, true
}

// len is the number of addresses remembered.
func (a *authThrottle) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lru.Len()
}
