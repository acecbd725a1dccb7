package rpc

import (
	"net"
	"sync"
)

// connListener is a net.Listener fed with connections accepted and
// authenticated elsewhere: the server's dispatcher pushes the HTTP/2 ones
// and http.Server takes them with Accept.
type connListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// push hands c to Accept; false if the listener is closed first.
func (l *connListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

// Addr is not meaningful: connections come from several real listeners.
func (l *connListener) Addr() net.Addr { return &net.TCPAddr{} }
