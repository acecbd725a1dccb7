package model

import (
	"context"
	"fmt"
)

// Decisions that must see each other hold a lock from the model's
// table.Locker while they read at quorum and write:
//
//   - "bucket-name/"+name: creating a bucket under a global name;
//   - "key-name/"+name: giving a key a name no other key has (key_names.go);
//   - "object/"+bucket+"/"+key: conditional writes (If-Match,
//     If-None-Match) of the key, and completing or aborting its multipart
//     uploads. Parts commit without the lock (see PutPart).
//
// Upload decisions lock the object key rather than the upload id, so
// that a conditional completion holds one lock only: a caller never holds
// two keys at once (a Locker may map different keys onto one lock, as
// table.LocalLocker does, so holding two could deadlock on itself).
//
// What the lock does not cover: two callers can hold "the" lock on one
// key at once when they reach different holders (a network partition in
// which each side sees a different first live replica of the key's
// partition), or when a holder stalls past its lease (a long pause) and
// resumes. Both then decide at once: two buckets created under one name
// (the alias is a last-writer-wins register: after the partition heals one
// bucket keeps the name and the other is left without one, reachable by
// id), two conditional writes that both passed, or a completion and an
// abort of one upload that both succeed. In that last case the completion
// wins the merge (see stateRank) but the abort may already have released
// the parts' data, and reads of the object then fail their integrity
// check. With majority quorums, sides that cannot reach each other at all
// cannot both read and write the same replicas at quorum, so this needs a
// partial partition (A and C each reach B but not each other) with both
// reads before either write, a lease that expired, or consistency_mode
// "dangerous".

func bucketNameLock(name string) []byte { return []byte("bucket-name/" + name) }

func objectLock(bucketID, key string) []byte {
	return []byte("object/" + bucketID + "/" + key)
}

// withLock runs fn while holding the lock on key.
func (m *Model) withLock(ctx context.Context, key []byte, fn func() error) error {
	unlock, err := m.locker.Lock(ctx, key)
	if err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	defer unlock()
	return fn()
}
