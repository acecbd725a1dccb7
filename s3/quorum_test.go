package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

func TestQuorumErrorIsServiceUnavailable(t *testing.T) {
	for _, err := range []error{
		table.ErrQuorum,
		fmt.Errorf("put object: write objects: %w (1 of 2 needed)", table.ErrQuorum),
	} {
		e, known := toS3Error(err)
		if !known || e.Code != "ServiceUnavailable" || e.Status != http.StatusServiceUnavailable {
			t.Errorf("toS3Error(%v) = %+v, %v; want ServiceUnavailable 503", err, e, known)
		}
	}
}

// quorumPlacement has one replica and a write quorum that a test raises
// above it, as when two of three replicas are down.
type quorumPlacement struct {
	n  table.Node
	wq atomic.Int32
}

func (p *quorumPlacement) Nodes(table.PartitionHash) []table.Node { return []table.Node{p.n} }
func (p *quorumPlacement) ReadQuorum() int                        { return 1 }
func (p *quorumPlacement) WriteQuorum() int                       { return int(p.wq.Load()) }

// TestPutWithoutWriteQuorum sends a signed PutObject through the handler
// while the write quorum cannot be reached: the answer is the S3 XML error
// ServiceUnavailable with a request id, and the object does not exist.
func TestPutWithoutWriteQuorum(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := storage.OpenDB(filepath.Join(dir, "meta"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := storage.OpenBlockStore(filepath.Join(dir, "data"), 0)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := storage.NewRefCounts(db, bs)
	if err != nil {
		t.Fatal(err)
	}
	local, err := table.NewLocal("n0", db, log)
	if err != nil {
		t.Fatal(err)
	}
	p := &quorumPlacement{n: local}
	p.wq.Store(1)
	m, err := model.Open(model.Config{}, local, p, bs, refs, crdt.NewClock(nil), &table.LocalLocker{}, log)
	if err != nil {
		t.Fatal(err)
	}
	key, err := m.CreateKey(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := m.CreateBucket(ctx, "bkt", key.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{}, m, prometheus.NewRegistry(), log)
	if err != nil {
		t.Fatal(err)
	}
	p.wq.Store(2) // from now on, every write lacks one replica

	body := []byte("hello")
	req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/bkt/k", bytes.NewReader(body))
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}, req, hash, "s3", "garage", time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	var doc struct {
		Code      string
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("answer %d is not an S3 error document: %v\n%s", w.Code, err, w.Body.String())
	}
	if w.Code != http.StatusServiceUnavailable || doc.Code != s3err.ErrServiceUnavailable.Code {
		t.Fatalf("PUT without write quorum: %d %s, want 503 ServiceUnavailable\n%s", w.Code, doc.Code, w.Body.String())
	}
	if doc.RequestID == "" || doc.RequestID != w.Header().Get("X-Amz-Request-Id") {
		t.Fatalf("request id %q in the document, %q in the header", doc.RequestID, w.Header().Get("X-Amz-Request-Id"))
	}
	if _, err := m.HeadObject(ctx, bucket.ID, "k"); err == nil {
		t.Fatal("the refused object exists")
	}
}
