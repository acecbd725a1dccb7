package blockrepl_test

import (
	"context"
	"fmt"
	"os"

	"github.com/garage-web/garage-web/blockrepl"
	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// loopback is a transport inside one process: node id → method → handler.
type loopback map[cluster.NodeID]map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error)

type loopbackNode struct {
	net loopback
	id  cluster.NodeID
}

func (n loopbackNode) Handle(method string, h func(context.Context, cluster.NodeID, []byte) ([]byte, error)) {
	if n.net[n.id] == nil {
		n.net[n.id] = map[string]func(context.Context, cluster.NodeID, []byte) ([]byte, error){}
	}
	n.net[n.id][method] = h
}

func (n loopbackNode) Call(ctx context.Context, to cluster.NodeID, method string, body []byte) ([]byte, error) {
	h, ok := n.net[to][method]
	if !ok {
		return nil, fmt.Errorf("node %s unreachable", to.Short())
	}
	return h(ctx, n.id, body)
}

// Two storage nodes hold every block; a gateway writes at quorum 2 and
// reads the block back from them.
func Example() {
	net := loopback{}
	var storageNodes []cluster.NodeID
	for i := byte(1); i <= 2; i++ {
		dir, err := os.MkdirTemp("", "blockrepl-example-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		bs, err := storage.OpenBlockStore(dir, 0)
		if err != nil {
			panic(err)
		}
		id := cluster.NodeID{i}
		blockrepl.Register(loopbackNode{net, id}, bs, nil)
		storageNodes = append(storageNodes, id)
	}

	gateway := cluster.NodeID{9}
	s := blockrepl.New(blockrepl.Config{
		Node:        gateway,
		Caller:      loopbackNode{net, gateway},
		Replicas:    func(storage.Hash) []cluster.NodeID { return storageNodes },
		WriteQuorum: func() int { return 2 },
	})
	defer s.Wait()

	ctx := context.Background()
	h, err := s.Write(ctx, []byte("hello, replicas"))
	if err != nil {
		panic(err)
	}
	data, release, err := s.ReadPooled(ctx, h)
	if err != nil {
		panic(err)
	}
	defer release()
	fmt.Printf("partition %d: %s\n", blockrepl.Partition(h), data)
	// Output: partition 182: hello, replicas
}
