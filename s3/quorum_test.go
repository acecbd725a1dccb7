package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/s3/s3err"
	"github.com/garage-web/garage-web/table"
)

func TestQuorumErrorIsServiceUnavailable(t *testing.T) {
	for _, err := range []error{
		table.ErrQuorum,
		fmt.Errorf("put object: write objects: %w (1 of 2 needed)", table.ErrQuorum),
		// A replica killed in the middle of the RPC: its stream ends
		// with an unexpected EOF, joined into the quorum error.
		fmt.Errorf("commit object version: write objects: %w (0 of 2 needed): %w", table.ErrQuorum,
			errors.Join(fmt.Errorf("rpc table.update to n1: rpc: peer unreachable: %w", io.ErrUnexpectedEOF),
				errors.New("rpc table.update to n2: connection refused"))),
	} {
		e, known := toS3Error(err)
		if !known || e.Code != "ServiceUnavailable" || e.Status != http.StatusServiceUnavailable {
			t.Errorf("toS3Error(%v) = %+v, %v; want ServiceUnavailable 503", err, e, known)
		}
		r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/bkt/k", nil)
		if clientGone(r, err) {
			t.Errorf("clientGone(%v) = true for a request whose client is still there", err)
		}
	}
}

// TestClientBodyCutShortIsIncompleteBody: a body that ends before its
// Content-Length is the client's failure, even when it shows up while a
// write is under way.
func TestClientBodyCutShortIsIncompleteBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/bkt/k", nil)
	for _, err := range []error{
		io.ErrUnexpectedEOF,
		fmt.Errorf("put object: read body: %w", io.ErrUnexpectedEOF),
		fmt.Errorf("put object: %w: %w", model.ErrIncompleteBody, io.ErrUnexpectedEOF),
	} {
		if e, _ := toS3Error(err); e.Code != s3err.ErrIncompleteBody.Code {
			t.Errorf("toS3Error(%v) = %s, want IncompleteBody", err, e.Code)
		}
		if !clientGone(r, err) {
			t.Errorf("clientGone(%v) = false", err)
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
	p := &quorumPlacement{}
	p.wq.Store(1)
	e := mustTestEnv(t, func(local *table.Local) table.Placement { p.n = local; return p })
	p.wq.Store(2) // from now on, every write lacks one replica

	req := e.signed(t, http.MethodPut, "http://127.0.0.1/bkt/k", []byte("hello"))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
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
	if _, err := e.m.HeadObject(ctx, e.bkt.ID, "k"); err == nil {
		t.Fatal("the refused object exists")
	}
}
