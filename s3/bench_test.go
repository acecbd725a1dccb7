package s3

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/garage-web/garage-web/table"
)

// mustBenchEnv is the single-node, quorum-1 server the benchmarks use.
func mustBenchEnv(tb testing.TB) *testEnv {
	tb.Helper()
	return mustTestEnv(tb, func(local *table.Local) table.Placement { return singlePlacement{local} })
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
