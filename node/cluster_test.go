package node

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/garage-web/garage-web/config"
)

// A node told to listen for RPC on every address must be told what its
// peers dial: it refuses to start, before listening, with a message that
// names rpc_public_addr.
func TestRPCOnEveryAddressNeedsPublicAddr(t *testing.T) {
	for _, bind := range []string{"0.0.0.0:0", "[::]:0", ":0"} {
		cfg, err := config.Load("", func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		cfg.MetadataDir, cfg.DataDir = dir+"/meta", dir+"/data"
		cfg.RPCBindAddr, cfg.RPCPublicAddr = bind, bind
		n, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = n.cluster.start(context.Background())
		n.Close()
		if err == nil || !strings.Contains(err.Error(), "set rpc_public_addr") {
			t.Errorf("rpc_bind_addr %s without rpc_public_addr: start error %v, want one naming rpc_public_addr", bind, err)
		}
	}
}

func TestQuorums(t *testing.T) {
	for _, tc := range []struct {
		rf          int
		mode        string
		read, write int
	}{
		{1, config.ConsistencyConsistent, 1, 1},
		{2, config.ConsistencyConsistent, 1, 2},
		{3, config.ConsistencyConsistent, 2, 2},
		{3, config.ConsistencyDegraded, 1, 2},
		{3, config.ConsistencyDangerous, 1, 1},
	} {
		r, w := quorums(tc.rf, tc.mode)
		if r != tc.read || w != tc.write {
			t.Errorf("quorums(%d, %s) = %d/%d, want %d/%d", tc.rf, tc.mode, r, w, tc.read, tc.write)
		}
	}
}
