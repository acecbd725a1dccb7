package blockrepl

import (
	"slices"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
)

func TestReadOrder(t *testing.T) {
	self := nodeID(1)
	zones := map[cluster.NodeID]string{nodeID(1): "a", nodeID(2): "b", nodeID(3): "a", nodeID(4): "b", nodeID(5): "c", nodeID(6): "a", nodeID(7): "c"}
	rtts := map[cluster.NodeID]time.Duration{nodeID(2): 40 * time.Millisecond, nodeID(3): 9 * time.Millisecond, nodeID(4): 20 * time.Millisecond, nodeID(6): 2 * time.Millisecond}
	s := &Store{cfg: Config{
		Node:      self,
		LocalZone: "a",
		Zone:      func(n cluster.NodeID) string { return zones[n] },
		RTT: func(n cluster.NodeID) (time.Duration, bool) {
			d, ok := rtts[n]
			return d, ok
		},
	}}
	ids := func(bs ...byte) []cluster.NodeID {
		var out []cluster.NodeID
		for _, b := range bs {
			out = append(out, nodeID(b))
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		in, want  []cluster.NodeID
		localZone string
	}{
		{"local first, then zone by RTT, then RTT, then rest", ids(7, 5, 2, 4, 3, 1, 6), ids(1, 6, 3, 4, 2, 7, 5), "a"},
		{"gateway", ids(2, 3, 4), ids(3, 4, 2), "a"},
		{"no zone known: RTT only", ids(7, 2, 3, 1), ids(1, 3, 2, 7), ""},
		{"same zone without RTT beats another zone with RTT", ids(4, 6, 3), ids(6, 3, 4), "a"},
		{"nothing measured keeps the layout order", ids(7, 5), ids(7, 5), "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.cfg.LocalZone = tc.localZone
			in := slices.Clone(tc.in)
			if got := s.readOrder(in); !slices.Equal(got, tc.want) {
				t.Fatalf("readOrder(%v) = %v, want %v", short(tc.in), short(got), short(tc.want))
			}
			if !slices.Equal(in, tc.in) {
				t.Fatal("readOrder modified its argument")
			}
		})
	}
}

func short(ns []cluster.NodeID) []byte {
	out := make([]byte, len(ns))
	for i, n := range ns {
		out[i] = n[0]
	}
	return out
}
