package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// WriteConditions are the preconditions of a conditional write.
type WriteConditions struct {
	// IfNoneMatch: fail if the object exists with one of these ETags
	// (unquoted; "*": if it exists at all). Nil: no condition.
	IfNoneMatch []string
	// IfMatch: fail unless the object exists with one of these ETags
	// ("*": exists). Nil: no condition.
	IfMatch []string
	// Checksums (CompleteUpload only): algorithm -> base64 value the
	// whole upload must have (x-amz-checksum-*); else ErrBadDigest.
	Checksums map[string]string
}

// Digest returns the ETag (hex MD5, unquoted) and checksums of a body once
// it was read to EOF.
type Digest func() (etag string, checksums map[string]string)

// PutObjectInput is a PutObject request as the model sees it.
type PutObjectInput struct {
	BucketID string
	Key      string
	Headers  map[string]string
	// Body must return an error at EOF if its checksums do not match.
	Body io.Reader
	// Size is the announced size, or -1 when unknown.
	Size   int64
	Digest Digest
	// BodySHA256, if set, gives Body's SHA-256 once it is read to its end
	// (a signed payload digest): an object of one block is stored under
	// it without hashing the block again.
	BodySHA256 BodySHA256
	If         WriteConditions
}

// PutObject stores an object and returns its new version. It returns only
// once data and metadata are on stable storage at a write quorum.
//
// The version is stamped when it is committed, after every acknowledged
// version of the key: of two PUTs of one key, the one that completes last
// wins, whichever started first. An object of up to one block is written
// without reading first (commitStamped: one metadata round trip); a
// larger one reads the current object once its data is written.
func (m *Model) PutObject(ctx context.Context, in PutObjectInput) (ObjectVersion, error) {
	uuid := NewUUID()
	first := make([]byte, m.cfg.InlineThreshold)
	if m.cfg.InlineThreshold > m.cfg.BlockSize {
		first = first[:m.cfg.BlockSize]
	}
	n, err := io.ReadFull(in.Body, first)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		// Small object: inline, one metadata write.
		if err := checkSize(in.Size, int64(n)); err != nil {
			return ObjectVersion{}, err
		}
		etag, sums := in.Digest()
		v := ObjectVersion{UUID: uuid, State: StateComplete,
			Meta: &ObjectMeta{Size: int64(n), ETag: etag, Headers: in.Headers, Checksums: sums, ChecksumType: checksumType(sums)},
			Data: &ObjectData{Inline: first[:n:n]}}
		return m.commitSmall(ctx, in.BucketID, in.Key, v, in.If)
	case err != nil:
		return ObjectVersion{}, err
	}
	// Up to one block: one block write and one metadata write, the block
	// listed in the version itself.
	buf := m.getBuf()
	handedOver := false // to writeData, which returns it to the pool
	defer func() {
		if !handedOver {
			m.putBuf(buf)
		}
	}()
	k := copy(buf, first[:n])
	more, err := io.ReadFull(in.Body, buf[k:])
	k += more
	var next []byte // a byte read past a full block, to tell if there is more
	if err == nil {
		var one [1]byte
		switch n1, err1 := io.ReadFull(in.Body, one[:]); {
		case n1 == 1:
			next = one[:]
		case err1 == io.EOF:
			err = io.EOF // exactly one block
		default:
			return ObjectVersion{}, err1
		}
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if err := checkSize(in.Size, int64(k)); err != nil {
			return ObjectVersion{}, err
		}
		// Body ended (err is io.EOF): buf[:k] is all of it.
		h, err := m.writeBlock(ctx, buf[:k], in.BodySHA256)
		if err != nil {
			return ObjectVersion{}, fmt.Errorf("store block: %w", err)
		}
		etag, sums := in.Digest()
		v := ObjectVersion{UUID: uuid, State: StateComplete,
			Meta: &ObjectMeta{Size: int64(k), ETag: etag, Headers: in.Headers, Checksums: sums, ChecksumType: checksumType(sums)},
			Data: &ObjectData{Parts: []PartRef{{DataID: uuid, Size: int64(k), Blocks: []BlockPtr{{Hash: h[:], Size: int64(k)}}}}}}
		return m.commitSmall(ctx, in.BucketID, in.Key, v, in.If)
	case err != nil:
		return ObjectVersion{}, err
	}
	// Large object: record the upload first (stamped when it starts) so a
	// crash leaves a trace that the clean-up finds, then write blocks.
	uploading := ObjectVersion{UUID: uuid, TS: m.clock.Now(), State: StateUploading, Meta: &ObjectMeta{Headers: in.Headers}}
	if err := m.objects.Insert(ctx, Object{Bucket: in.BucketID, Key: in.Key, Versions: []ObjectVersion{uploading}}); err != nil {
		return ObjectVersion{}, fmt.Errorf("record upload: %w", err)
	}
	handedOver = true
	size, err := m.writeData(ctx, uuid, buf[:k], io.MultiReader(bytes.NewReader(next), in.Body), nil)
	if err == nil {
		err = checkSize(in.Size, size)
	}
	if err != nil {
		m.abortVersion(ctx, in.BucketID, in.Key, uploading)
		return ObjectVersion{}, err
	}
	etag, sums := in.Digest()
	v := ObjectVersion{UUID: uuid, State: StateComplete,
		Meta: &ObjectMeta{Size: size, ETag: etag, Headers: in.Headers, Checksums: sums, ChecksumType: checksumType(sums)},
		Data: &ObjectData{Parts: []PartRef{{DataID: uuid, Size: size}}}}
	v, err = m.commitVersion(ctx, in.BucketID, in.Key, v, in.If, m.readObjectAsync(ctx, in.BucketID, in.Key))
	if err != nil {
		// A version refused by its preconditions was never written as
		// complete and is aborted. A failed write may have reached some
		// replicas as complete: it is left as it is, never aborted, so
		// that no replica can hold a complete version whose data was
		// released.
		if errors.Is(err, ErrPrecondition) || errors.Is(err, ErrNoSuchObject) {
			m.abortVersion(ctx, in.BucketID, in.Key, uploading)
		}
		return ObjectVersion{}, err
	}
	return v, nil
}

// readObjectAsync starts reading the object entry at quorum and returns
// the function that waits for it.
func (m *Model) readObjectAsync(ctx context.Context, bucketID, key string) func() (Object, error) {
	type result struct {
		o   Object
		err error
	}
	ch := make(chan result, 1)
	go func() {
		o, err := m.getObject(ctx, bucketID, key)
		ch <- result{o, err}
	}()
	return func() (Object, error) {
		r := <-ch
		return r.o, r.err
	}
}

func checksumType(sums map[string]string) string {
	if len(sums) == 0 {
		return ""
	}
	return "FULL_OBJECT"
}

func checkSize(announced, got int64) error {
	if announced >= 0 && got != announced {
		return fmt.Errorf("read %d of %d bytes: %w", got, announced, ErrIncompleteBody)
	}
	return nil
}

// abortVersion marks an upload aborted; its data is released in the
// background. Errors are logged: the stale-upload clean-up retries.
func (m *Model) abortVersion(ctx context.Context, bucketID, key string, v ObjectVersion) {
	v.State = StateAborted
	if err := m.objects.Insert(context.WithoutCancel(ctx), Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}}); err != nil {
		m.log.Warn("could not record aborted upload; its blocks stay until clean-up", "bucket", bucketID, "key", key, "err", err)
	}
}

// commitSmall commits a version whose data is all in its entry (inline
// bytes, or blocks listed in its parts): without write conditions in one
// round trip (commitStamped), with them as commitVersion does.
func (m *Model) commitSmall(ctx context.Context, bucketID, key string, v ObjectVersion, cond WriteConditions) (ObjectVersion, error) {
	if cond.IfMatch != nil || cond.IfNoneMatch != nil {
		return m.commitVersion(ctx, bucketID, key, v, cond, nil)
	}
	return m.commitStamped(ctx, bucketID, key, v)
}

// commitStamped writes v stamped now, without reading the object first,
// and learns from the replicas of the write quorum the highest timestamp
// the key held before (table.InsertStamped: any acknowledged version is
// on one of them). If it is not below v's, a version stamped at or after
// v was there (a writer whose clock is ahead, or a concurrent write), and
// v may lose to an older PUT: it is not acknowledged, and the caller gets
// ErrWriteRace (503: retry). Writing the same data again after the newer
// version would let one PUT take effect twice for readers. v stays as a
// version that loses the merge (a superseded marker once the newer one is
// merged, whose hook releases its data).
//
// In dangerous mode (write quorum 1) write quorums need not intersect, and
// the prior stamp is only what the replicas that answered held, as a read
// at read quorum 1 would have been.
func (m *Model) commitStamped(ctx context.Context, bucketID, key string, v ObjectVersion) (ObjectVersion, error) {
	v.TS = m.clock.Now()
	prior, err := m.insertStamped(ctx, bucketID, key, v)
	if err != nil {
		return ObjectVersion{}, err
	}
	if prior < v.TS {
		return v, nil
	}
	// A replica held a version stamped at or after this one: a concurrent
	// PUT, or one acknowledged before this one started by a node whose
	// clock is ahead. This version is not acknowledged: writing it again
	// with a later stamp would let readers see its value, then the other
	// one's, then its value again (one write taking effect twice). The
	// client is told to retry (503); the clock has observed the newer
	// stamp, so the retry is stamped after it.
	return ObjectVersion{}, fmt.Errorf("object %s: a version stamped %d, at or after this one (%d), was written at the same time: %w", key, prior, v.TS, ErrWriteRace)
}

// insertStamped writes v and returns the highest timestamp the key held
// before, on the replicas of the write quorum. When a replica could not
// tell (a node of an older version), or reported v's own stamp, it reads
// the object at quorum.
func (m *Model) insertStamped(ctx context.Context, bucketID, key string, v ObjectVersion) (uint64, error) {
	p, err := m.objects.InsertStamped(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}})
	if err != nil {
		return 0, fmt.Errorf("commit object version: %w", err)
	}
	prior := p.Stamp
	// A replica that already held this very version before the write
	// reached it (anti-entropy or a read repair carried it over from
	// another replica first) reports v's own stamp: tell it from another
	// version stamped the same by reading the object.
	if !p.Known || prior == v.TS {
		o, err := m.getObject(ctx, bucketID, key)
		if err != nil {
			return 0, err
		}
		prior = 0
		for _, ov := range o.Versions {
			if ov.UUID != v.UUID {
				prior = max(prior, ov.TS)
			}
		}
	}
	m.clock.Observe(prior)
	return prior, nil
}

// commitVersion stamps v after every version of the key in the current
// object (cur waits for its read), checks the write conditions and
// inserts v. A conditional write holds the key's lock and reads the
// object once it has it (cur is not used then), so that conditional
// writes of one key see each other.
func (m *Model) commitVersion(ctx context.Context, bucketID, key string, v ObjectVersion, cond WriteConditions, cur func() (Object, error)) (ObjectVersion, error) {
	if cond.IfMatch == nil && cond.IfNoneMatch == nil {
		o, err := cur()
		if err != nil {
			return ObjectVersion{}, err
		}
		return v, m.insertVersion(ctx, bucketID, key, &v, o)
	}
	err := m.withLock(ctx, objectLock(bucketID, key), func() error {
		o, err := m.getObject(ctx, bucketID, key)
		if err != nil {
			return err
		}
		if err := checkConditions(o, key, cond); err != nil {
			return err
		}
		return m.insertVersion(ctx, bucketID, key, &v, o)
	})
	if err != nil {
		return ObjectVersion{}, err
	}
	return v, nil
}

// insertVersion stamps v after every version of cur and writes it.
func (m *Model) insertVersion(ctx context.Context, bucketID, key string, v *ObjectVersion, cur Object) error {
	v.TS = m.clock.After(cur.MaxTS())
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{*v}}); err != nil {
		return fmt.Errorf("commit object version: %w", err)
	}
	return nil
}

// checkConditions checks If-None-Match and If-Match against the object.
func checkConditions(o Object, key string, cond WriteConditions) error {
	vis, exists := o.Visible()
	if cond.IfNoneMatch != nil && exists && MatchETags(cond.IfNoneMatch, vis.Meta.ETag) {
		return fmt.Errorf("If-None-Match %v: object exists: %w", cond.IfNoneMatch, ErrPrecondition)
	}
	if cond.IfMatch != nil && !exists {
		return fmt.Errorf("If-Match %v: %s: %w", cond.IfMatch, key, ErrNoSuchObject)
	}
	if cond.IfMatch != nil && !MatchETags(cond.IfMatch, vis.Meta.ETag) {
		return fmt.Errorf("If-Match %v: %w", cond.IfMatch, ErrPrecondition)
	}
	return nil
}

func (m *Model) getBuf() []byte { return m.bufs.Get() }

func (m *Model) putBuf(b []byte) { m.bufs.Put(b) }
