package autotls

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestRedirect(t *testing.T) {
	cases := []struct {
		port, host, target string
		status             int
		location           string
	}{
		{"443", "blog.example.com", "/a/b?c=d", 308, "https://blog.example.com/a/b?c=d"},
		{"443", "blog.example.com:80", "/", 308, "https://blog.example.com/"},
		{"8443", "Blog.Example.com:8080", "/x%20y", 308, "https://Blog.Example.com:8443/x%20y"},
		{"443", "127.0.0.1", "/", 400, ""},
		{"443", "evil.example.com/@x", "/", 400, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "http://x"+c.target, nil)
		r.Host = c.host
		w := httptest.NewRecorder()
		redirect(c.port).ServeHTTP(w, r)
		if w.Code != c.status || w.Header().Get("Location") != c.location {
			t.Errorf("%s%s (TLS port %s): %d %q, want %d %q", c.host, c.target, c.port, w.Code, w.Header().Get("Location"), c.status, c.location)
		}
	}
}

// Listen serves both listeners; a name that is not allowed gets no
// certificate and nothing is asked of the CA (which does not exist here);
// Shutdown stops everything.
func TestListenAndShutdown(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := Listen(Config{
		TLSAddr:  "127.0.0.1:0",
		HTTPAddr: "127.0.0.1:0",
		CA:       "https://127.0.0.1:1/dir", // never contacted
		Policy:   NewPolicy(nil, nil),
		Storage:  NewStorage(mustModel(t), "n0", StorageOptions{}),
		Handler:  http.NotFoundHandler(),
		Logger:   log,
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs := srv.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("Addrs = %v", addrs)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addrs[0].String(),
		&tls.Config{ServerName: "blog.example.com", InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Error("handshake for a name that is not allowed succeeded")
	}
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+addrs[1].String()+"/p", nil)
	req.Host = "blog.example.com"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, tlsPort, _ := net.SplitHostPort(addrs[0].String())
	if resp.StatusCode != 308 || resp.Header.Get("Location") != "https://blog.example.com:"+tlsPort+"/p" {
		t.Errorf("HTTP: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-srv.Err(); ok {
		t.Error("Err not closed after Shutdown")
	}
	if c, err := net.DialTimeout("tcp", addrs[0].String(), time.Second); err == nil {
		c.Close()
		t.Error("HTTPS listener still open after Shutdown")
	}
	if !strings.Contains(logs.String(), "not a website of this cluster") {
		t.Errorf("the refusal is not in the log:\n%s", logs.String())
	}

	// A port in use is an error, and nothing is left listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Listen(Config{TLSAddr: "127.0.0.1:0", HTTPAddr: ln.Addr().String(), Policy: NewPolicy(nil, nil),
		Storage: NewStorage(mustModel(t), "n0", StorageOptions{}), Handler: http.NotFoundHandler(), Logger: log}); err == nil || !strings.Contains(err.Error(), "http_bind_addr") {
		t.Errorf("Listen on a port in use: %v", err)
	}
	if _, err := Listen(Config{TLSAddr: "127.0.0.1:0"}); err == nil {
		t.Error("Listen without a policy, storage or handler succeeded")
	}
}

// certmagic's zap lines reach the slog handler with their fields.
func TestZapToSlog(t *testing.T) {
	var buf bytes.Buffer
	zl := zapLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	zl.Named("obtain").With(zap.String("identifier", "blog.example.com")).Info("certificate obtained", zap.Int("n", 3))
	zl.Debug("hidden")
	out := buf.String()
	for _, want := range []string{`msg="certificate obtained"`, "logger=obtain", "identifier=blog.example.com", "n=3", "level=INFO"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Errorf("debug line written at info level: %q", out)
	}
}
