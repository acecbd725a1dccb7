package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// benchEnv is one single-node S3 server over a fresh metadata database,
// with a key that owns bucket "bkt".
type benchEnv struct {
	m   *model.Model
	h   http.Handler
	key model.Key
	bkt model.Bucket
}

// singlePlacement places everything on one node, quorum 1.
type singlePlacement struct{ n table.Node }

func (p singlePlacement) Nodes(table.PartitionHash) []table.Node { return []table.Node{p.n} }
func (p singlePlacement) ReadQuorum() int                        { return 1 }
func (p singlePlacement) WriteQuorum() int                       { return 1 }

func mustBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := storage.OpenDB(filepath.Join(dir, "meta"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	bs, err := storage.OpenBlockStore(filepath.Join(dir, "data"), 0)
	if err != nil {
		tb.Fatal(err)
	}
	refs, err := storage.NewRefCounts(db, bs)
	if err != nil {
		tb.Fatal(err)
	}
	local, err := table.NewLocal("n0", db, log)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := model.Open(model.Config{}, local, singlePlacement{local}, bs, refs, crdt.NewClock(nil), &table.LocalLocker{}, log)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := m.CreateKey(ctx, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	bkt, err := m.CreateBucket(ctx, "bkt", key.ID)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := New(Config{}, m, prometheus.NewRegistry(), log)
	if err != nil {
		tb.Fatal(err)
	}
	return &benchEnv{m: m, h: srv.Handler(), key: key, bkt: bkt}
}

// signed returns a request signed in the Authorization header with an
// unsigned payload, as the benchmark client sends them.
func (e *benchEnv) signed(tb testing.TB, method, url string, body []byte) *http.Request {
	tb.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "garage", time.Now()); err != nil {
		tb.Fatal(err)
	}
	return req
}

func (e *benchEnv) mustPut(tb testing.TB, key string, body []byte) {
	tb.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, e.signed(tb, http.MethodPut, "http://127.0.0.1/bkt/"+key, body))
	if w.Code != http.StatusOK {
		tb.Fatalf("PUT %s: %d %s", key, w.Code, w.Body)
	}
}

// sink is a ResponseWriter that keeps the status and drops the body.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *sink) WriteHeader(c int)           { s.status = c }

// BenchmarkGet4KiB is the server side of a header-signed 4 KiB GET.
func BenchmarkGet4KiB(b *testing.B) {
	e := mustBenchEnv(b)
	e.mustPut(b, "obj", make([]byte, 4<<10))
	req := e.signed(b, http.MethodGet, "http://127.0.0.1/bkt/obj", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &sink{h: http.Header{}}
		e.h.ServeHTTP(w, req.Clone(context.Background()))
		if w.status != 0 && w.status != http.StatusOK || w.n != 4<<10 {
			b.Fatalf("GET: %d, %d bytes", w.status, w.n)
		}
	}
}

// BenchmarkListPage1000 lists the first 1,000 keys of a bucket of 5,000.
func BenchmarkListPage1000(b *testing.B) {
	e := mustBenchEnv(b)
	body := make([]byte, 256)
	for i := range 5000 {
		e.mustPut(b, fmt.Sprintf("scale/%07d", i), body)
	}
	req := e.signed(b, http.MethodGet, "http://127.0.0.1/bkt/?list-type=2&prefix=scale/&max-keys=1000", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &sink{h: http.Header{}}
		e.h.ServeHTTP(w, req.Clone(context.Background()))
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("LIST: %d", w.status)
		}
	}
}
