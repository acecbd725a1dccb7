package membership

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMetaRoundTrip(t *testing.T) {
	id := mustID(t)
	for _, m := range []nodeMeta{
		{ID: id, Addr: "10.0.0.1:3901", Zone: "paris"},
		{ID: id, Addr: strings.Repeat("a", MaxAddrLen), Zone: strings.Repeat("z", MaxZoneLen), App: bytes.Repeat([]byte{7}, MaxAppMeta)},
	} {
		b, err := m.encode()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 512 {
			t.Errorf("encoded meta %d bytes, over memberlist's 512", len(b))
		}
		got, err := decodeMeta(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip: %+v, want %+v", got, m)
		}
		for i := range b {
			if _, err := decodeMeta(b[:i]); err == nil {
				t.Errorf("truncated to %d bytes: no error", i)
			}
		}
		if _, err := decodeMeta(append(b, 0)); err == nil {
			t.Error("trailing byte: no error")
		}
	}
	if _, err := (nodeMeta{ID: id, App: make([]byte, MaxAppMeta+1)}).encode(); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("oversized app meta: %v", err)
	}
	if _, err := decodeMeta([]byte{2}); err == nil {
		t.Error("unknown version: no error")
	}
}

func TestParsePeer(t *testing.T) {
	id := mustID(t)
	for _, tc := range []struct {
		in   string
		want Peer
		bad  bool
	}{
		{in: "10.0.0.1:3901", want: Peer{Addr: "10.0.0.1:3901"}},
		{in: "node.example.com:3901", want: Peer{Addr: "node.example.com:3901"}},
		{in: id.String() + "@[::1]:3901", want: Peer{ID: id, Addr: "[::1]:3901"}},
		{in: id.String() + "@10.0.0.1", bad: true},
		{in: "abc@10.0.0.1:3901", bad: true},
		{in: "10.0.0.1", bad: true},
		{in: ":3901", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParsePeer(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParsePeer(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePeer(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestGossipKey(t *testing.T) {
	s1, s2 := mustSecret(t), mustSecret(t)
	k1, err := gossipKey(s1)
	if err != nil {
		t.Fatal(err)
	}
	k1b, _ := gossipKey(s1)
	k2, _ := gossipKey(s2)
	if len(k1) != 32 || !bytes.Equal(k1, k1b) || bytes.Equal(k1, k2) || bytes.Equal(k1, s1) {
		t.Errorf("gossip key: want 32 bytes, deterministic, distinct per secret, not the secret itself")
	}
}

func TestPeersFile(t *testing.T) {
	dir := t.TempDir()
	got, err := loadPeers(dir)
	if err != nil || got != nil {
		t.Fatalf("missing file: %v, %v", got, err)
	}
	want := []peerRecord{
		{ID: mustID(t), Addr: "10.0.0.1:3901", Zone: "a", LastSeen: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{ID: mustID(t), Addr: "h.example.com:3901", LastSeen: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)},
	}
	if err := savePeers(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err = loadPeers(dir)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the peers file", len(ents))
	}
	if err := os.WriteFile(filepath.Join(dir, peersFileName), []byte(`{"version":9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadPeers(dir); err == nil {
		t.Error("unknown version: no error")
	}
}

type recordHandler struct {
	slog.Handler
	recs *[]slog.Record
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	*h.recs = append(*h.recs, r)
	return nil
}

func TestMemberlistLogger(t *testing.T) {
	var recs []slog.Record
	l := memberlistLogger(slog.New(recordHandler{recs: &recs}))
	l.Printf("[DEBUG] memberlist: Stream connection from=1.2.3.4")
	l.Printf("[WARN] memberlist: Was able to connect to x")
	l.Printf("[ERR] memberlist: Failed push/pull")
	l.Printf("[INFO] memberlist: Marking x as failed")
	want := []struct {
		level slog.Level
		msg   string
	}{
		{slog.LevelDebug, "memberlist: Stream connection from=1.2.3.4"},
		{slog.LevelWarn, "memberlist: Was able to connect to x"},
		{slog.LevelWarn, "memberlist: Failed push/pull"},
		{slog.LevelDebug, "memberlist: Marking x as failed"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		if recs[i].Level != w.level || recs[i].Message != w.msg {
			t.Errorf("record %d: %v %q, want %v %q", i, recs[i].Level, recs[i].Message, w.level, w.msg)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	st, err := ListenTCPStreams("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	good := Config{ID: mustID(t), BindAddr: st.Addr().String(), Secret: mustSecret(t), Streams: st}
	for name, mut := range map[string]func(*Config){
		"no id":            func(c *Config) { c.ID = [32]byte{} },
		"short secret":     func(c *Config) { c.Secret = c.Secret[:16] },
		"no streams":       func(c *Config) { c.Streams = nil },
		"bad bind":         func(c *Config) { c.BindAddr = "nowhere" },
		"long zone":        func(c *Config) { c.Zone = strings.Repeat("z", MaxZoneLen+1) },
		"unspecified addr": func(c *Config) { c.BindAddr, c.AdvertiseAddr = "0.0.0.0:0", "" },
	} {
		c := good
		mut(&c)
		if m, err := New(c); err == nil {
			_ = m.Shutdown()
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMemberlistConfig(t *testing.T) {
	for _, wan := range []bool{false, true} {
		c := Config{ID: mustID(t), WAN: wan}
		mc := c.memberlistConfig()
		if mc.Name != c.ID.String() {
			t.Errorf("wan=%v: name %q, want the node id", wan, mc.Name)
		}
		if mc.ProbeTimeout >= mc.ProbeInterval {
			t.Errorf("wan=%v: probe timeout %v not below probe interval %v", wan, mc.ProbeTimeout, mc.ProbeInterval)
		}
		if mc.DeadNodeReclaimTime <= 0 {
			t.Errorf("wan=%v: dead node names never reclaimed", wan)
		}
	}
}
