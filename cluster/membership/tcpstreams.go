package membership

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// TCPStreams is a StreamTransport over plain TCP: no authentication and no
// encryption beyond memberlist's own. It is for tests and examples; a
// cluster uses the RPC layer's transport.
type TCPStreams struct {
	ln   net.Listener
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

var _ StreamTransport = (*TCPStreams)(nil)

// ListenTCPStreams listens on addr (e.g. "127.0.0.1:0") and accepts
// streams until Close.
func ListenTCPStreams(addr string) (*TCPStreams, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("membership: listen for streams: %w", err)
	}
	t := &TCPStreams{ln: ln, ch: make(chan net.Conn), done: make(chan struct{})}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr returns the listening address.
func (t *TCPStreams) Addr() net.Addr { return t.ln.Addr() }

// Streams implements StreamTransport.
func (t *TCPStreams) Streams() <-chan net.Conn { return t.ch }

// DialStream implements StreamTransport.
func (t *TCPStreams) DialStream(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("membership: dial stream %s: %w", addr, err)
	}
	return c, nil
}

// Close stops accepting and closes connections not yet taken.
func (t *TCPStreams) Close() error {
	var err error
	t.once.Do(func() {
		close(t.done)
		err = t.ln.Close()
		t.wg.Wait()
	})
	return err
}

func (t *TCPStreams) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-t.done:
				return
			case <-time.After(10 * time.Millisecond): // transient (e.g. EMFILE)
			}
			continue
		}
		select {
		case t.ch <- c:
		case <-t.done:
			_ = c.Close()
			return
		}
	}
}
