package blockrepl

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/garage-web/garage-web/cluster"
	"github.com/garage-web/garage-web/storage"
)

// blocks is model.Blocks, repeated here (blockrepl may not import model).
type blocks interface {
	Write(ctx context.Context, data []byte) (storage.Hash, error)
	ReadPooled(ctx context.Context, h storage.Hash) (data []byte, release func(), err error)
}

var (
	_ blocks = (*Store)(nil)
	_ blocks = (*storage.BlockStore)(nil)
)

func testBlock(seed string) []byte { return bytes.Repeat([]byte(seed), 4096) }

func holds(c *testCluster, n cluster.NodeID, h storage.Hash) bool { return c.stores[n].Has(h) }

func TestWriteAtQuorumWithOneReplicaDown(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]

	// Alive reports n3 down: it is never called and fails at once.
	c.net.setDown(n3, true)
	s := c.store(t, n1, nil)
	data := testBlock("down ")
	h, err := s.Write(ctx, data)
	if err != nil {
		t.Fatalf("write with one of three down: %v", err)
	}
	if h != storage.HashOf(data) {
		t.Fatalf("hash %s, want %s", h, storage.HashOf(data))
	}
	s.Wait()
	if !holds(c, n1, h) || !holds(c, n2, h) || holds(c, n3, h) {
		t.Fatalf("holders: n1 %v n2 %v n3 %v, want n1 and n2", holds(c, n1, h), holds(c, n2, h), holds(c, n3, h))
	}
	for _, to := range c.net.callsTo(MethodPut) {
		if to == n3 {
			t.Fatal("a node reported down was called")
		}
		if to == n1 {
			t.Fatal("the local replica was written through the network")
		}
	}

	// Alive says up but the network fails: still a quorum.
	s2 := c.store(t, n1, func(cfg *Config) { cfg.Alive = nil })
	if _, err := s2.Write(ctx, testBlock("unreachable ")); err != nil {
		t.Fatalf("write with one replica unreachable: %v", err)
	}
}

func TestWriteReturnsAtQuorumAndFinishesInBackground(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	n1, n3 := c.ids[0], c.ids[2]
	release := c.net.holdNode(n3)
	t.Cleanup(release)
	s := c.store(t, n1, nil)

	h, err := s.Write(ctx, testBlock("slow "))
	if err != nil {
		t.Fatalf("write with a slow replica: %v", err)
	}
	if holds(c, n3, h) {
		t.Fatal("the held replica has the block before it was let go")
	}
	release()
	s.Wait()
	if !holds(c, n3, h) {
		t.Fatal("the slow replica did not get the block in the background")
	}
}

func TestWriteBackgroundIsBounded(t *testing.T) {
	c := mustCluster(t, 3)
	n1, n3 := c.ids[0], c.ids[2]
	t.Cleanup(c.net.holdNode(n3)) // never let go during the test
	s := c.store(t, n1, func(cfg *Config) { cfg.WriteTimeout = 1 })
	// A 1 ns deadline: the local and n2 writes may or may not make it,
	// but the held one ends by its deadline and Wait returns.
	_, _ = s.Write(context.Background(), testBlock("bounded "))
	s.Wait()
}

func TestWriteQuorumErrors(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]

	c.net.setDown(n2, true)
	c.net.setDown(n3, true)
	s := c.store(t, n1, nil)
	if _, err := s.Write(ctx, testBlock("two down ")); !errors.Is(err, ErrQuorum) {
		t.Fatalf("write with two of three down: err = %v, want ErrQuorum", err)
	}

	// Down by the network only (Alive says up): same answer.
	s = c.store(t, n1, func(cfg *Config) { cfg.Alive = nil })
	if _, err := s.Write(ctx, testBlock("two unreachable ")); !errors.Is(err, ErrQuorum) {
		t.Fatalf("write with two of three unreachable: err = %v, want ErrQuorum", err)
	}

	// Fewer replicas than the quorum: refused, nothing sent, quorum not lowered.
	c.net.setDown(n2, false)
	c.net.setDown(n3, false)
	c.net.resetCalls()
	s = c.store(t, n1, func(cfg *Config) {
		cfg.Replicas = func(storage.Hash) []cluster.NodeID { return []cluster.NodeID{n1, n1} } // duplicates count once
	})
	h, err := s.Write(ctx, testBlock("short list "))
	if !errors.Is(err, ErrQuorum) {
		t.Fatalf("write with one replica for quorum 2: err = %v, want ErrQuorum", err)
	}
	s.Wait()
	if holds(c, n1, h) || len(c.net.callsTo(MethodPut)) != 0 {
		t.Fatal("a write refused for its replica count stored something")
	}
}

func TestWriteRemoteRejectsBadBytes(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 1)
	n1 := c.ids[0]
	s := c.store(t, nodeID(9), nil) // a gateway
	data := testBlock("tampered ")
	h := storage.HashOf(data)
	wrong := bytes.Clone(data)
	wrong[0] ^= 1
	if err := s.putRemote(ctx, n1, h, wrong); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("put of bytes that do not match the hash: err = %v, want ErrBadRequest", err)
	}
	if holds(c, n1, h) || holds(c, n1, storage.HashOf(wrong)) {
		t.Fatal("mismatched bytes were stored")
	}
}

func TestGatewayWritesAndReadsRemotely(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	gw := nodeID(9)
	c.net.setDown(c.ids[2], true)
	s := c.store(t, gw, nil)
	data := testBlock("gateway ")
	h, err := s.Write(ctx, data)
	if err != nil {
		t.Fatalf("gateway write: %v", err)
	}
	s.Wait()
	if !holds(c, c.ids[0], h) || !holds(c, c.ids[1], h) {
		t.Fatal("gateway write did not reach the two live replicas")
	}
	got, release, err := s.ReadPooled(ctx, h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("gateway read: %d bytes, err %v", len(got), err)
	}
	release()

	// A gateway wrongly listed as a replica fails for itself, not silently.
	s = c.store(t, gw, func(cfg *Config) {
		cfg.Replicas = func(storage.Hash) []cluster.NodeID { return []cluster.NodeID{gw, c.ids[0]} }
	})
	if _, err := s.Write(ctx, testBlock("gw replica ")); !errors.Is(err, ErrQuorum) || !errors.Is(err, errNoLocalStore) {
		t.Fatalf("write with a storeless local replica: err = %v", err)
	}
}

// TestWriteReachesEveryReplicaSet checks that, with several replica sets
// (a layout change moving data), a block write succeeds only once a
// quorum of each set stored it.
func TestWriteReachesEveryReplicaSet(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 4)
	n1, n2, n3, n4 := c.ids[0], c.ids[1], c.ids[2], c.ids[3]
	sets := func(storage.Hash) []WriteSet {
		return []WriteSet{{Nodes: []cluster.NodeID{n1, n2, n3}, Quorum: 2}, {Nodes: []cluster.NodeID{n2, n3, n4}, Quorum: 2}}
	}
	s := c.store(t, n1, func(cfg *Config) { cfg.WriteSets = sets })

	c.net.setDown(n3, true)
	c.net.setDown(n4, true)
	if _, err := s.Write(ctx, testBlock("one short ")); !errors.Is(err, ErrQuorum) {
		t.Fatalf("write with one replica of the new set up: err = %v, want ErrQuorum", err)
	}
	s.Wait()

	c.net.setDown(n4, false)
	h, err := s.Write(ctx, testBlock("both sets "))
	if err != nil {
		t.Fatalf("write with a quorum of both sets up: %v", err)
	}
	s.Wait()
	if !holds(c, n2, h) || !holds(c, n4, h) || !holds(c, n1, h) {
		t.Fatalf("holders: n1 %v n2 %v n4 %v", holds(c, n1, h), holds(c, n2, h), holds(c, n4, h))
	}
}

// TestWriteLeavesDataToTheCaller: once Write returns, no replica write
// still reads the caller's buffer, so the caller may reuse it (the model
// does, for the next block). Here the two remote replicas make the quorum
// while the local write has not started: Write must wait for it, and what
// every replica stored must hash to what Write returned after the caller
// overwrote its buffer.
func TestWriteLeavesDataToTheCaller(t *testing.T) {
	ctx := context.Background()
	c := mustCluster(t, 3)
	n1, n2, n3 := c.ids[0], c.ids[1], c.ids[2]
	s := c.store(t, n1, nil)
	localEntered, letLocalGo := make(chan struct{}), make(chan struct{})
	s.beforeLocalWrite = func() {
		close(localEntered)
		<-letLocalGo
	}
	data := testBlock("reuse ")
	want := storage.HashOf(data)
	type outcome struct {
		h   storage.Hash
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		h, err := s.Write(ctx, data)
		done <- outcome{h, err}
	}()
	<-localEntered
	deadline := time.Now().Add(10 * time.Second)
	for !holds(c, n2, want) || !holds(c, n3, want) {
		if time.Now().After(deadline) {
			t.Fatal("the remote replicas did not store the block within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("Write returned while the local replica had yet to read the block")
	default:
	}
	close(letLocalGo)
	r := <-done
	if r.err != nil || r.h != want {
		t.Fatalf("Write: %s %v, want %s", r.h, r.err, want)
	}
	for i := range data { // the caller reuses its buffer
		data[i] = 'x'
	}
	s.Wait()
	for _, n := range c.ids {
		if size, err := c.stores[n].Verify(want); err != nil {
			t.Errorf("replica %s: the stored block does not hash to %s (%d bytes): %v", n.Short(), want, size, err)
		}
	}
}
