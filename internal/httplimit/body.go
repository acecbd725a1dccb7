package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultBodyReadTimeout is how long one read of a request body may wait
// for the client's next bytes.
const DefaultBodyReadTimeout = 30 * time.Second

// ErrBodyReadTimeout is returned (wrapped) by a request body whose client
// sent nothing for the read timeout.
var ErrBodyReadTimeout = errors.New("request body: the client sent nothing within the read timeout")

// Handler returns h with bounded request body reads: each read of a body
// must receive bytes within readTimeout (<= 0: DefaultBodyReadTimeout).
// It also makes a refusal of an "Expect: 100-continue" request that never
// read its body answer at once and close the connection, and keeps a
// handler's early Close of the body from reading it before the answer is
// written.
func Handler(h http.Handler, readTimeout time.Duration) http.Handler {
	if readTimeout <= 0 {
		readTimeout = DefaultBodyReadTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		ctl := http.NewResponseController(w)
		// Nothing reads the connection until the body is read (by the
		// handler, or by the server draining it before an answer): each
		// such read waits at most readTimeout.
		_ = ctl.SetReadDeadline(time.Now().Add(readTimeout))
		b := &body{rc: r.Body, ctl: ctl, timeout: readTimeout}
		// A shallow copy: the server keeps its own request, whose Body it
		// drains or closes after the handler.
		r2 := r.WithContext(r.Context())
		r2.Body = b
		h.ServeHTTP(w, r2)
		if b.eof.Load() {
			return
		}
		if expectsContinue(r) && !b.read.Load() {
			// The client waits for an answer before it sends the body:
			// there is none to drain. Close the connection after the answer.
			_ = ctl.SetReadDeadline(time.Now())
			return
		}
		// What the server drains after the answer is bounded too.
		_ = ctl.SetReadDeadline(time.Now().Add(readTimeout))
	})
}

func expectsContinue(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Expect")), "100-continue")
}

// body is a request body with a deadline on each read. Its Close does not
// close the server's body: the server does that itself once the answer is
// written (closing it earlier reads what is left of it first, which for an
// "Expect: 100-continue" request never comes).
type body struct {
	rc      io.ReadCloser
	ctl     *http.ResponseController
	timeout time.Duration
	read    atomic.Bool // Read was called (a 100 Continue went out)
	eof     atomic.Bool
	closed  atomic.Bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	b.read.Store(true)
	_ = b.ctl.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.eof.Store(true)
		// The server reads the idle connection from now on (to notice
		// the client going away): no deadline for that.
		_ = b.ctl.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("%w (%v): %w", ErrBodyReadTimeout, b.timeout, err)
	}
	return n, err
}

func (b *body) Close() error {
	b.closed.Store(true)
	return nil
}
