package blockrepl

import (
	"context"
	"testing"

	"github.com/garage-web/garage-web/storage"
)

// serve calls method on node 1 of a one-node cluster with a raw body.
func serve(t testing.TB, c *testCluster, method string, body []byte) (status, []byte) {
	t.Helper()
	resp, err := c.net.caller(nodeID(9)).Call(context.Background(), c.ids[0], method, body)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	st, payload, err := decodeResponse(resp)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return st, payload
}

func TestServerHandlers(t *testing.T) {
	c := mustCluster(t, 1)
	bs := c.stores[c.ids[0]]
	data := testBlock("served ")
	h := storage.HashOf(data)
	other := storage.HashOf([]byte("other"))

	for _, tc := range []struct {
		name   string
		method string
		body   []byte
		want   status
	}{
		{"has before put", MethodHas, encodeRequest(h, nil), statusNotFound},
		{"get before put", MethodGet, encodeRequest(h, nil), statusNotFound},
		{"put under the wrong hash", MethodPut, encodeRequest(other, data), statusBadRequest},
		{"put with a short header", MethodPut, []byte{wireVersion, 1, 2}, statusBadRequest},
		{"put of an unknown version", MethodPut, append([]byte{wireVersion + 1}, encodeRequest(h, data)[1:]...), statusBadRequest},
		{"has after refused puts", MethodHas, encodeRequest(h, nil), statusNotFound},
		{"put", MethodPut, encodeRequest(h, data), statusOK},
		{"put again", MethodPut, encodeRequest(h, data), statusOK},
		{"has", MethodHas, encodeRequest(h, nil), statusOK},
		{"get of an empty request", MethodGet, nil, statusBadRequest},
	} {
		st, payload := serve(t, c, tc.method, tc.body)
		if st != tc.want {
			t.Fatalf("%s: status %s (%s), want %s", tc.name, st, payload, tc.want)
		}
	}
	if bs.Has(other) {
		t.Fatal("a refused put stored a block")
	}

	st, payload := serve(t, c, MethodGet, encodeRequest(h, nil))
	if st != statusOK || storage.HashOf(payload) != h {
		t.Fatalf("get: status %s, %d bytes", st, len(payload))
	}

	// A corrupt local copy answers "corrupt", never its bytes.
	corruptBlock(t, bs, h)
	if st, payload := serve(t, c, MethodGet, encodeRequest(h, nil)); st != statusCorrupt || len(payload) != 0 {
		t.Fatalf("get of a corrupt copy: status %s, %d bytes", st, len(payload))
	}
}

func TestWireRoundTrip(t *testing.T) {
	h := storage.HashOf([]byte("wire"))
	gh, payload, err := decodeRequest(encodeRequest(h, []byte("payload")))
	if err != nil || gh != h || string(payload) != "payload" {
		t.Fatalf("request round trip: %s %q %v", gh, payload, err)
	}
	for _, st := range []status{statusOK, statusNotFound, statusCorrupt, statusBadRequest, statusError} {
		got, payload, err := decodeResponse(encodeResponse(st, []byte("x")))
		if err != nil || got != st || string(payload) != "x" {
			t.Fatalf("response %s round trip: %s %q %v", st, got, payload, err)
		}
	}
	if _, _, err := decodeResponse([]byte{wireVersion}); err == nil {
		t.Fatal("a one-byte response decoded")
	}
	if _, _, err := decodeResponse([]byte{wireVersion + 1, 0}); err == nil {
		t.Fatal("a response of an unknown version decoded")
	}
}

func TestHasOn(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 2)
	data := testBlock("has on ")
	h := mustWriteOn(t, c, data, c.ids[1])
	s := c.store(t, c.ids[0], nil)
	for _, tc := range []struct {
		node int
		want bool
	}{{0, false}, {1, true}} {
		got, err := s.HasOn(ctx, c.ids[tc.node], h)
		if err != nil || got != tc.want {
			t.Fatalf("HasOn(node %d) = %v, %v; want %v", tc.node, got, err, tc.want)
		}
	}
	c.net.setDown(c.ids[1], true)
	if _, err := s.HasOn(ctx, c.ids[1], h); err == nil {
		t.Fatal("HasOn an unreachable node answered")
	}
}
