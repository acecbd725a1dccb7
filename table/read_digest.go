package table

import (
	"bytes"
	"context"
	"crypto/sha256"
	"time"
)

// A quorum read that includes the local replica reads it first and sends
// the other replicas the digest of what it found: a replica whose copy is
// the same answers "same" (a few bytes) instead of the value. Under small
// GETs on a 3-node cluster the remote answer carried the whole object
// entry (4 KiB inline data and more) for a value that was almost always
// the local one; above 4 KiB each such answer cost the RPC transport an
// extra write on the server (the DATA frame goes out before the handler
// ends, then an empty one ends the stream) and a WINDOW_UPDATE write on
// the client. What the coordinator merges and repairs is unchanged: a
// "same" answer stands for the bytes the coordinator holds, which that
// replica holds too.

// valueDigest is what getReq.Digest carries: the SHA-256 of the stored
// bytes (a collision would hide a divergent replica from read repair, so
// the hash must be one nobody can collide on purpose).
func valueDigest(v []byte) []byte {
	d := sha256.Sum256(v)
	return d[:]
}

// getUnlessSame answers a get that carries the caller's digest d: Same
// when the stored value has it, the value otherwise.
func (l *Local) getUnlessSame(ctx context.Context, table string, pk, sk, d []byte) (getRes, error) {
	var res getRes
	err := l.view(ctx, table, pk, sk, func(v []byte) error {
		switch {
		case v == nil:
		case bytes.Equal(valueDigest(v), d):
			res = getRes{Found: true, Same: true}
		default:
			res = getRes{Found: true, Value: bytes.Clone(v)}
		}
		return nil
	})
	return res, err
}

// localFirst is the state of one quorum read whose local replica is read
// first and whose remote reads wait for it to send its digest.
type localFirst struct {
	wait time.Duration // how long a remote read waits for the local one
	done chan struct{} // closed once v, d and err are set
	v    []byte        // the local copy (nil: none)
	d    []byte        // its digest (valueDigest), nil without a copy
	err  error
}

// newLocalFirst returns the state of one read; remote reads wait for the
// local one at most wait (a stalled local disk must not stall the read:
// the remote replicas are then asked for their values as before).
func newLocalFirst(wait time.Duration) *localFirst {
	return &localFirst{wait: wait, done: make(chan struct{})}
}

// setLocal records the local read's result.
func (f *localFirst) setLocal(v []byte, err error) {
	f.v, f.err = v, err
	if err == nil && v != nil {
		f.d = valueDigest(v) // once, for every remote replica asked
	}
	close(f.done)
}

// get reads (pk, sk) from remote replica n, sending the local copy's
// digest once the local read is done: on "same" it returns the local
// bytes. Without a local copy (or if the local read failed or is late)
// it is a plain Get. It returns the read-lease holders n lists.
func (f *localFirst) get(ctx context.Context, n Node, table string, pk, sk []byte) ([]byte, Holders, error) {
	ln, ok := n.(leasedNode)
	if !ok {
		v, err := n.Get(ctx, table, pk, sk)
		return v, Holders{}, err
	}
	timer := time.NewTimer(f.wait)
	defer timer.Stop()
	select {
	case <-f.done:
	case <-timer.C:
		v, _, h, err := ln.getHolders(ctx, table, pk, sk, nil)
		return v, h, err
	case <-ctx.Done():
		return nil, Holders{}, ctx.Err()
	}
	v, same, h, err := ln.getHolders(ctx, table, pk, sk, f.d)
	if err != nil || !same {
		return v, h, err
	}
	return f.v, h, nil
}
