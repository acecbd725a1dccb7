package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSpreadSelf checks the harness's request spreading without a cluster:
// three fake S3 endpoints, six requests through one env's clients (path
// style and virtual-hosted style), two requests each, every one signed for
// the host it reached.
func TestSpreadSelf(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var nodes []*Node
	for range 3 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[r.Host]++
			mu.Unlock()
			if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "SignedHeaders=") || !strings.Contains(auth, "host") {
				t.Errorf("request to %s not signed over its host: Authorization %q", r.Host, auth)
			}
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`))
		}))
		t.Cleanup(srv.Close)
		nodes = append(nodes, &Node{S3Addr: strings.TrimPrefix(srv.URL, "http://")})
	}
	e := &sdkEnv{n: nodes[0], nodes: nodes, next: new(atomic.Uint64), key: Key{ID: "GKtest", Secret: "secret"}, ctx: t.Context()}
	clients := []*s3.Client{e.client(e.key), e.client(e.key), e.virtualHostClient(e.key)}
	for i := range 6 {
		if _, err := clients[i%len(clients)].ListBuckets(e.ctx, &s3.ListBucketsInput{}); err != nil {
			t.Fatalf("ListBuckets %d: %v", i, err)
		}
	}
	for _, n := range nodes {
		_, port, _ := strings.Cut(n.S3Addr, ":")
		got := hits["127.0.0.1:"+port] + hits["s3.localhost:"+port]
		if got != 2 {
			t.Errorf("node on port %s got %d requests, want 2 (hits %v)", port, got, hits)
		}
	}
}
