package model

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
	"github.com/garage-web/garage-web/table"
)

// fill sets every field reachable from v (a pointer) to a non-zero value
// made from seed: strings become s(path) so that both hexID forms are
// covered by two calls with different s.
func fill(t *testing.T, v reflect.Value, path string, s func(string) string) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path, s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name, s)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(path))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i), s)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k := reflect.New(v.Type().Key()).Elem()
		fill(t, k, path+".k", s)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(t, e, path+".v", s)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString(s(path))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(len(path)) + 1000)
	case reflect.Uint64, reflect.Uint32, reflect.Uint, reflect.Uint8:
		v.SetUint(uint64(len(path)) + 1<<40>>uint(64-v.Type().Bits()+24))
	default:
		t.Fatalf("fill: %s: kind %s not handled: extend fill (and check the format-3 wire structs)", path, v.Kind())
	}
}

// TestCompactObjectKeepsEveryField fills every field of an Object, with
// plain and with hex-looking strings, and checks that format 3 gives it
// back unchanged. A field added to the object types without its wire
// field fails here.
func TestCompactObjectKeepsEveryField(t *testing.T) {
	for name, s := range map[string]func(string) string{
		"text": func(p string) string { return "x" + p },
		"hex":  func(p string) string { return fmt.Sprintf("%x", p) },
	} {
		t.Run(name, func(t *testing.T) {
			var o Object
			fill(t, reflect.ValueOf(&o).Elem(), "o", s)
			for i := range o.Versions {
				o.Versions[i].State = []string{StateComplete, "some-future-state"}[i]
			}
			enc, err := encodeEntry(o)
			if err != nil {
				t.Fatal(err)
			}
			if enc[0] != formatCompact {
				t.Fatalf("object encoded in format %d, want %d", enc[0], formatCompact)
			}
			got, err := decodeEntry[Object](enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, o) {
				a, _ := json.Marshal(o)
				b, _ := json.Marshal(got)
				t.Fatalf("format 3 round trip changed the object:\nwant %s\ngot  %s", a, b)
			}
			again, err := encodeEntry(got)
			if err != nil || !bytes.Equal(again, enc) {
				t.Fatalf("re-encoding differs (%v)", err)
			}
		})
	}
}

// formatV2 is how objects were stored before format 3.
func formatV2(t testing.TB, o Object) []byte {
	t.Helper()
	b, err := cborEnc.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{formatCBOR}, b...)
}

func sampleObject(key string, inline int) Object {
	return Object{Bucket: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Key: key,
		Versions: []ObjectVersion{
			{UUID: "9d98cf68abfef682efa7c8d260991c40", TS: 1 << 40, State: StateSuperseded},
			{UUID: "9d98cf68abfef682efa7c8d260991c46", TS: 1<<40 + 5, State: StateComplete,
				Meta: &ObjectMeta{Size: int64(inline), ETag: "3559ca87b522b5f1834dc5c5a9970195", Headers: map[string]string{"Content-Type": "application/octet-stream"}},
				Data: &ObjectData{Inline: bytes.Repeat([]byte{7}, inline)}},
		}}
}

// TestOldObjectFormatsDecode reads an object stored by the earlier
// formats (JSON, then CBOR with field names) as the same value.
func TestOldObjectFormatsDecode(t *testing.T) {
	o := sampleObject("k", 256)
	js, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"json": append([]byte{formatJSON}, js...), "cbor": formatV2(t, o)} {
		got, err := decodeEntry[Object](raw)
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("%s: %+v %v", name, got, err)
		}
	}
	v3, _ := encodeEntry(o)
	v2 := formatV2(t, o)
	t.Logf("256 B inline object: format 2 %d bytes, format 3 %d bytes", len(v2), len(v3))
	if len(v3) > len(v2)-120 {
		t.Fatalf("format 3 is %d bytes, format 2 %d: want at least 120 bytes saved", len(v3), len(v2))
	}
	if _, err := decodeEntry[Bucket]([]byte{formatCompact, 0xa0}); err == nil {
		t.Fatal("format 3 accepted for a bucket entry")
	}
}

// memNet is an in-process RPC transport between Locals.
type memNet struct {
	mu sync.Mutex
	h  map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error)
}

type memReg struct {
	n  *memNet
	id cluster.NodeID
}

func (r memReg) Handle(method string, h func(context.Context, cluster.NodeID, []byte) ([]byte, error)) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	if r.n.h[r.id] == nil {
		r.n.h[r.id] = map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}
	}
	r.n.h[r.id][method] = h
}

type memCaller struct {
	n    *memNet
	from cluster.NodeID
}

func (c memCaller) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	c.n.mu.Lock()
	h := c.n.h[to][method]
	c.n.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("no handler for %s on %v", method, to)
	}
	return h(ctx, c.from, body)
}

// mixedNode is a Local with only the objects table, whose encoder can be
// switched from format 2 (an old version) to the current one (upgraded).
type mixedNode struct {
	id    cluster.NodeID
	local *table.Local
	old   atomic.Bool
}

func newMixedNode(t *testing.T, net *memNet, i byte) *mixedNode {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "meta"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &mixedNode{}
	n.id[0] = i
	if n.local, err = table.NewLocal(fmt.Sprint("n", i), db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	enc := func(o Object) ([]byte, error) {
		if n.old.Load() {
			return formatV2(t, o), nil
		}
		return encodeEntry(o)
	}
	if _, err := table.New(table.Schema[Object]{Name: "objects", Encode: enc, Decode: decodeEntry[Object]}, n.local, singlePlacement{n.local}, table.Options[Object]{}); err != nil {
		t.Fatal(err)
	}
	table.RegisterRPC(memReg{net, n.id}, n.local)
	return n
}

// TestMixedFormatsConverge: a node that stored objects in format 2 (before
// its upgrade) and one that stored the same objects in format 3 have
// different Merkle trees; one anti-entropy pass makes them agree, with
// the same bytes on both, and the next pass exchanges nothing.
func TestMixedFormatsConverge(t *testing.T) {
	ctx := context.Background()
	net := &memNet{h: map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}}
	a, b := newMixedNode(t, net, 1), newMixedNode(t, net, 2)
	a.old.Store(true)
	var same, differ []Object
	for i := range 20 {
		same = append(same, sampleObject(fmt.Sprint("same-", i), 100+i))
		o := sampleObject(fmt.Sprint("differ-", i), 10)
		differ = append(differ, o)
	}
	for _, o := range same {
		if _, err := a.local.Update(ctx, "objects", [][]byte{formatV2(t, o)}); err != nil {
			t.Fatal(err)
		}
		enc, _ := encodeEntry(o)
		if _, err := b.local.Update(ctx, "objects", [][]byte{enc}); err != nil {
			t.Fatal(err)
		}
	}
	// Different writes on each side: the merge must come out of both.
	for i, o := range differ {
		oa, ob := o, o
		oa.Versions = o.Versions[:1]
		ob.Versions = o.Versions[1:]
		if _, err := a.local.Update(ctx, "objects", [][]byte{formatV2(t, oa)}); err != nil {
			t.Fatal(err)
		}
		enc, _ := encodeEntry(ob)
		if _, err := b.local.Update(ctx, "objects", [][]byte{enc}); err != nil {
			t.Fatal(err)
		}
		differ[i] = oa.Merge(ob)
	}
	raw, _ := a.local.Get(ctx, "objects", []byte(same[0].Bucket), []byte(same[0].Key))
	if raw[0] != formatCBOR {
		t.Fatalf("old node stored format %d", raw[0])
	}
	ra, _ := a.local.MerkleRoots("objects")
	rb, _ := b.local.MerkleRoots("objects")
	if ra == rb {
		t.Fatal("trees agree before the exchange: the test proves nothing")
	}
	a.old.Store(false) // upgraded
	holders := func(uint8) []cluster.NodeID { return []cluster.NodeID{a.id, b.id} }
	s, err := table.NewSyncer(table.SyncConfig{Self: a.id, Local: a.local, Caller: memCaller{net, a.id}, Holders: holders})
	if err != nil {
		t.Fatal(err)
	}
	p := table.HashPartitionKey([]byte(same[0].Bucket)).Partition()
	if res, err := s.SyncPartition(ctx, p, []cluster.NodeID{b.id}); err != nil || res.Unconverged != 0 {
		t.Fatalf("first pass: %+v %v", res, err)
	}
	ra, _ = a.local.MerkleRoots("objects")
	rb, _ = b.local.MerkleRoots("objects")
	if ra != rb {
		t.Fatal("trees still differ after a full exchange")
	}
	for _, o := range append(same, differ...) {
		x, _ := a.local.Get(ctx, "objects", []byte(o.Bucket), []byte(o.Key))
		y, _ := b.local.Get(ctx, "objects", []byte(o.Bucket), []byte(o.Key))
		want, _ := encodeEntry(o)
		if !bytes.Equal(x, y) || !bytes.Equal(x, want) {
			t.Fatalf("%s: stored bytes differ (format %d and %d)", o.Key, x[0], y[0])
		}
	}
	res, err := s.SyncPartition(ctx, p, []cluster.NodeID{b.id})
	if err != nil {
		t.Fatal(err)
	}
	if res.Differed != 0 || res.Sent != 0 || res.Received != 0 {
		t.Fatalf("second pass still exchanged entries: %+v", res)
	}
}
