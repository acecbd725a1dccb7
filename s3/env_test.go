package s3

import (
	"bytes"
	"context"
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

// testEnv is one single-node S3 server over a fresh metadata database,
// with a key that owns bucket "bkt". Benchmarks and handler tests that
// need the whole stack below the handler share it.
type testEnv struct {
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

// mustTestEnv builds a testEnv whose tables use the placement that
// placement returns for the local table node (the node's only table).
func mustTestEnv(tb testing.TB, placement func(local *table.Local) table.Placement) *testEnv {
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
	m, err := model.Open(model.Config{}, local, placement(local), bs, refs, crdt.NewClock(nil), &table.LocalLocker{}, log)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := m.CreateKey(ctx, "test")
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
	return &testEnv{m: m, h: srv.Handler(), key: key, bkt: bkt}
}

// signed returns a request signed in the Authorization header with an
// unsigned payload, as the benchmark client sends them.
func (e *testEnv) signed(tb testing.TB, method, url string, body []byte) *http.Request {
	tb.Helper()
	return e.signedWith(tb, method, url, body, nil)
}

// signedWith is signed with extra headers, set before signing.
func (e *testEnv) signedWith(tb testing.TB, method, url string, body []byte, h http.Header) *http.Request {
	tb.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: e.key.ID, SecretAccessKey: e.key.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "garage", time.Now()); err != nil {
		tb.Fatal(err)
	}
	return req
}

func (e *testEnv) mustPut(tb testing.TB, key string, body []byte) {
	tb.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, e.signed(tb, http.MethodPut, "http://127.0.0.1/bkt/"+key, body))
	if w.Code != http.StatusOK {
		tb.Fatalf("PUT %s: %d %s", key, w.Code, w.Body)
	}
}
