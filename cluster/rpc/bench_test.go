package rpc

import (
	"bytes"
	"context"
	"testing"

	"github.com/garage-web/garage-web/cluster"
)

// BenchmarkCall measures one call over loopback, client and server in
// this process, with a small request and answers of 4 KiB (an object
// entry with inline data) and of a few bytes.
func BenchmarkCall(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"answer-4KiB", 4200}, {"answer-64B", 64}} {
		b.Run(size.name, func(b *testing.B) {
			answer := bytes.Repeat([]byte("v"), size.n)
			secret := mustSecret(b)
			srv := mustNode(b, secret, 1, nil, func(s *Server) {
				s.Handle("bench", func(context.Context, cluster.NodeID, []byte) ([]byte, error) { return answer, nil })
			})
			cli := mustNode(b, secret, 1, nil, nil)
			ctx := context.Background()
			req := bytes.Repeat([]byte("r"), 100)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cli.cli.Call(ctx, srv.id.ID, srv.addr, "bench", req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
