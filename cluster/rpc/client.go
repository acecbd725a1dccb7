package rpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

// Client timeouts.
const (
	dialTimeout       = 10 * time.Second // TCP connect plus TLS handshake
	clientIdleTimeout = 90 * time.Second // idle connection kept for reuse
)

// Client makes calls to other nodes. It keeps one HTTP/2 connection per
// (node, address) and reuses it for every call.
type Client struct {
	auth      *authority
	leaf      tls.Certificate
	clock     Clock
	log       *slog.Logger
	metrics   *clientMetrics
	dialer    net.Dialer
	transport *http.Transport

	mu      sync.Mutex
	hosts   map[target]string // target → synthetic host name of its connection pool
	targets map[string]target // the reverse
	rtt     map[cluster.NodeID]time.Duration
}

// target is where a connection goes: the node that must answer, at addr.
type target struct {
	id   cluster.NodeID
	addr string
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) (*Client, error) {
	a, leaf, log, err := cfg.setup()
	if err != nil {
		return nil, err
	}
	m, err := newClientMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("rpc: metrics: %w", err)
	}
	c := &Client{
		auth:    a,
		leaf:    leaf,
		clock:   cfg.Clock,
		log:     log,
		metrics: m,
		dialer:  net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second},
		hosts:   map[target]string{},
		targets: map[string]target{},
		rtt:     map[cluster.NodeID]time.Duration{},
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // never through an HTTP proxy
		DialTLSContext:         c.dialTLS,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dialTimeout,
		IdleConnTimeout:        clientIdleTimeout,
		ResponseHeaderTimeout:  0, // the call's deadline bounds it
		MaxResponseHeaderBytes: 64 << 10,
		HTTP2: &http.HTTP2Config{
			MaxReceiveBufferPerStream: 8 << 20,
			// Health check: a connection silent for 15 s is pinged and
			// dropped if the ping is not answered within 10 s, so calls to
			// a dead peer fail instead of hanging on a half-open socket.
			SendPingTimeout: 15 * time.Second,
			PingTimeout:     10 * time.Second,
		},
	}
	return c, nil
}

// Close drops the client's idle connections. Calls still running finish
// or fail on their own deadlines.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// Call runs method on node to, reached at addr (host:port), with body,
// and returns the answer. The call ends at ctx's deadline, or after
// DefaultTimeout when ctx has none; the peer's handler runs under the same
// deadline (capped at MaxTimeout). The error is an *Error when the
// handler failed, and wraps ErrUnreachable when no answer came back
// (ErrWrongNode too if another node answered at addr).
func (c *Client) Call(ctx context.Context, to cluster.NodeID, addr, method string, body []byte) ([]byte, error) {
	what := fmt.Sprintf("rpc %s to %s at %s", method, to.Short(), addr)
	if !validMethod(method) {
		return nil, fmt.Errorf("%s: invalid method name", what)
	}
	if to.IsZero() { // the zero id would accept any node at addr
		return nil, fmt.Errorf("%s: no node id", what)
	}
	if len(body) > MaxRequestBody {
		return nil, Errorf(CodeTooLarge, "%s: request body of %d bytes, limit %d", what, len(body), MaxRequestBody)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	start := time.Now()
	out, err := c.call(ctx, to, addr, method, body)
	if err != nil {
		err = unreachableOr(what, err)
		c.metrics.failed(to, err)
		return nil, err
	}
	c.metrics.observe(method, to, time.Since(start))
	return out, nil
}

// unreachableOr adds context to transport errors and leaves handler
// errors (*Error) as they are.
func unreachableOr(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return unreachable(what, err)
}

func (c *Client) call(ctx context.Context, to cluster.NodeID, addr, method string, body []byte) ([]byte, error) {
	deadline, _ := ctx.Deadline()
	remaining := time.Until(deadline)
	if remaining <= 0 {
		return nil, context.DeadlineExceeded
	}
	ms := max(remaining.Milliseconds(), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+c.host(to, addr)+pathPrefix+method, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set(headerTimeout, strconv.FormatInt(ms, 10))
	req.Header.Set("Content-Type", "application/octet-stream")
	setClock(req.Header, c.clock)

	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.TLS != nil { // the dialer already checked; this is belt and braces
		if got, err := peerID(*resp.TLS); err != nil || got != to {
			return nil, fmt.Errorf("%w: connection is not to node %s", ErrWrongNode, to.Short())
		}
	}
	observeClock(resp.Header, c.clock)

	limit := int64(MaxResponseBody)
	code := resp.Header.Get(headerError)
	if resp.StatusCode != http.StatusOK {
		limit = maxErrorMessage
	}
	data, err := readBody(resp.Body, resp.ContentLength, limit)
	if err != nil {
		if errors.Is(err, errTooLong) {
			return nil, fmt.Errorf("response body over the limit of %d bytes", limit)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (reading response: %v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if code == "" {
			return nil, fmt.Errorf("HTTP status %d without an rpc error code", resp.StatusCode)
		}
		return nil, &Error{Code: code, Message: string(data)}
	}
	return data, nil
}

// host names the connection pool of (id, addr). The transport pools
// connections by host name, and the dialer must know which node to expect
// at the address, so each target gets a name of its own. The map grows
// with the distinct (node, address) pairs ever called: the cluster's size.
func (c *Client) host(id cluster.NodeID, addr string) string {
	t := target{id, addr}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.hosts[t]; ok {
		return h
	}
	h := "p" + strconv.Itoa(len(c.hosts)) + "." + serverName
	c.hosts[t] = h
	c.targets[h] = t
	return h
}

// dialTLS opens the connection of a pool: TCP to the target's address,
// TLS requiring the target node's certificate.
func (c *Client) dialTLS(ctx context.Context, _, hostport string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	t, ok := c.targets[host]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("rpc: no target for pool %q", host)
	}
	return c.dialNode(ctx, t.addr, alpnH2, t.id)
}

// dialNode dials addr and completes a TLS handshake for proto; when want
// is not zero, the server must be that node.
func (c *Client) dialNode(ctx context.Context, addr, proto string, want cluster.NodeID) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	raw, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, clientTLS(c.auth, c.leaf, proto, want))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	return tc, nil
}
