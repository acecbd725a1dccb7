package httplimit

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Bounds of DefaultPerAddress.
const (
	minPerAddress = 16
	maxPerAddress = 1024
)

// refusalLogInterval is how often the refused connections of one address
// are summed up in the log.
const refusalLogInterval = time.Minute

// DefaultPerAddress is the connection cap per client address for this
// process: a quarter of its file-descriptor limit, between 16 and 1024, so
// that one address can never take all descriptors the node needs for its
// other clients, files and peers.
func DefaultPerAddress() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return maxPerAddress
	}
	return int(min(max(lim.Cur/4, minPerAddress), maxPerAddress))
}

// Limiter counts the open connections of each client address over every
// listener it wraps, and refuses those past its cap.
type Limiter struct {
	perAddr int
	log     *slog.Logger

	mu      sync.Mutex
	open    map[netip.Addr]int
	refused map[netip.Addr]*refusals
}

type refusals struct {
	n      int
	logged time.Time
}

// NewLimiter returns a Limiter allowing perAddr (<= 0: DefaultPerAddress)
// open connections per client address. Refusals are logged to log, at
// most once per address and minute.
func NewLimiter(perAddr int, log *slog.Logger) *Limiter {
	if perAddr <= 0 {
		perAddr = DefaultPerAddress()
	}
	return &Limiter{perAddr: perAddr, log: log, open: map[netip.Addr]int{}, refused: map[netip.Addr]*refusals{}}
}

// PerAddress is the cap.
func (l *Limiter) PerAddress() int { return l.perAddr }

// Listener wraps ln: a connection accepted past its address's cap is
// closed at once, and Accept goes on to the next.
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

func (l *Limiter) acquire(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a] >= l.perAddr {
		r := l.refused[a]
		if r == nil {
			r = &refusals{}
			l.refused[a] = r
		}
		r.n++
		if now := time.Now(); now.Sub(r.logged) >= refusalLogInterval {
			l.log.Warn("too many connections from one client address: refusing new ones",
				"client", a.String(), "open", l.open[a], "limit", l.perAddr, "refused_since_last_report", r.n)
			r.n, r.logged = 0, now
		}
		return false
	}
	l.open[a]++
	return true
}

func (l *Limiter) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
		if r := l.refused[a]; r != nil && r.n == 0 && time.Since(r.logged) >= refusalLogInterval {
			delete(l.refused, a)
		}
	}
}

// Open is how many connections from a are open.
func (l *Limiter) Open(a netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[a]
}

type listener struct {
	net.Listener
	l *Limiter
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, ok := remoteAddr(c)
		if !ok {
			return c, nil
		}
		if !ln.l.acquire(a) {
			c.Close()
			continue
		}
		return &conn{Conn: c, release: sync.OnceFunc(func() { ln.l.release(a) })}, nil
	}
}

func remoteAddr(c net.Conn) (netip.Addr, bool) {
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	return a.Unmap(), ok
}

type conn struct {
	net.Conn
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
