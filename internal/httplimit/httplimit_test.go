package httplimit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// answerWithin bounds every wait of these tests.
const answerWithin = 10 * time.Second

// rawRequest sends a request head declaring a body of size bytes and then
// the first sent bytes of it, and returns the connection.
func rawRequest(t *testing.T, addr, head string, size int, sent string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, answerWithin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "%s\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", head, addr, size, sent)
	if err := c.SetReadDeadline(time.Now().Add(answerWithin)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExpectContinueRefusalAnswersAtOnce(t *testing.T) {
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close() // as a handler that gives up on the body does
		http.Error(w, "denied", http.StatusForbidden)
	})
	srv := httptest.NewServer(Handler(refuse, time.Minute))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	for _, size := range []int{10, 200 << 10, 10 << 20} {
		c := rawRequest(t, addr, "PUT /x HTTP/1.1\r\nExpect: 100-continue", size, "")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("size %d: no answer: %v", size, err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("size %d: got %s, want 403", size, resp.Status)
		}
		io.Copy(io.Discard, resp.Body)
		// The connection is closed: the unsent body is not waited for.
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("size %d: connection still open after the refusal (read: %v)", size, err)
		}
	}
}

func TestExpectContinueAcceptedReadsBody(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	})
	srv := httptest.NewServer(Handler(echo, time.Minute))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("hello"))
	req.Header.Set("Expect", "100-continue")
	resp, err := (&http.Client{Timeout: answerWithin}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	errc := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		errc <- err
		if err != nil {
			http.Error(w, "timeout", http.StatusBadRequest)
		}
	})
	srv := httptest.NewServer(Handler(h, 100*time.Millisecond))
	defer srv.Close()
	c := rawRequest(t, srv.Listener.Addr().String(), "PUT /x HTTP/1.1", 1000, "only a part")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("stalled body: no answer: %v", err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %s, want 400", resp.Status)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrBodyReadTimeout) {
			t.Fatalf("body read error %v, want ErrBodyReadTimeout", err)
		}
	case <-time.After(answerWithin):
		t.Fatal("handler did not return")
	}
}

func TestDeadlineClearedAfterBody(t *testing.T) {
	const timeout = 50 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// A handler working longer than the read timeout after the body
		// (a slow write to replicas) keeps its request context.
		select {
		case <-r.Context().Done():
			http.Error(w, "context cancelled", http.StatusInternalServerError)
		case <-time.After(10 * timeout):
			w.Write([]byte("ok"))
		}
	})
	srv := httptest.NewServer(Handler(h, timeout))
	defer srv.Close()
	resp, err := (&http.Client{Timeout: answerWithin}).Post(srv.URL, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %s: %s", resp.Status, got)
	}
}

func TestLimiterCapsOneAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimiter(2, slog.New(slog.DiscardHandler))
	lln := l.Listener(ln)
	defer lln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := lln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), answerWithin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	wantAccepted := func() net.Conn {
		select {
		case c := <-accepted:
			return c
		case <-time.After(answerWithin):
			t.Fatal("connection not accepted")
		}
		return nil
	}
	dial()
	s1 := wantAccepted()
	dial()
	wantAccepted()
	lo := netip.MustParseAddr("127.0.0.1")
	if n := l.Open(lo); n != 2 {
		t.Fatalf("open %d, want 2", n)
	}
	over := dial()
	over.SetReadDeadline(time.Now().Add(answerWithin))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("third connection: read %v, want it closed", err)
	}
	s1.Close()
	if n := l.Open(lo); n != 1 {
		t.Fatalf("open %d after a close, want 1", n)
	}
	dial()
	wantAccepted()
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "connection reset") }

func TestDefaultPerAddressBounds(t *testing.T) {
	if n := DefaultPerAddress(); n < minPerAddress || n > maxPerAddress {
		t.Fatalf("DefaultPerAddress %d outside [%d, %d]", n, minPerAddress, maxPerAddress)
	}
}
