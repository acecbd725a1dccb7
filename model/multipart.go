package model

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// Multipart limits, as S3 has them.
const (
	MinPartSize = 5 << 20
	MaxParts    = 10000
)

// CreateUpload starts a multipart upload and returns its id.
func (m *Model) CreateUpload(ctx context.Context, bucketID, key string, headers map[string]string, checksumAlg string) (string, error) {
	return m.CreateUploadChecksum(ctx, bucketID, key, headers, checksumAlg, ChecksumComposite)
}

// CreateUploadChecksum is CreateUpload with the checksum type of the
// completed object: ChecksumComposite (the checksum of the part
// checksums, "-N") or ChecksumFullObject (the CRC of the whole object,
// for the CRC algorithms).
func (m *Model) CreateUploadChecksum(ctx context.Context, bucketID, key string, headers map[string]string, checksumAlg, checksumType string) (string, error) {
	v := ObjectVersion{UUID: NewUUID(), TS: m.clock.Now(), State: StateUploading, Multipart: true,
		Meta: &ObjectMeta{Headers: headers}}
	if checksumAlg != "" {
		v.Meta.Checksums = map[string]string{checksumAlg: ""}
		v.Meta.ChecksumType = checksumType
	}
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}}); err != nil {
		return "", fmt.Errorf("create upload: %w", err)
	}
	return v.UUID, nil
}

// GetUpload returns the upload in progress with id uploadID.
func (m *Model) GetUpload(ctx context.Context, bucketID, key, uploadID string) (ObjectVersion, error) {
	o, err := m.getObject(ctx, bucketID, key)
	if err != nil {
		return ObjectVersion{}, err
	}
	v, ok := o.Version(uploadID)
	if !ok || !v.Multipart || v.State != StateUploading {
		return ObjectVersion{}, fmt.Errorf("upload %s: %w", uploadID, ErrNoSuchUpload)
	}
	return v, nil
}

// PutPartInput is an UploadPart request.
type PutPartInput struct {
	BucketID, Key, UploadID string
	Number                  int
	Body                    io.Reader
	Size                    int64
	Digest                  Digest
	// BodySHA256, if set, gives Body's SHA-256 once it is read to its end:
	// a part of less than one block is stored under it.
	BodySHA256 BodySHA256
}

// PutPart stores one part of an upload and returns its reference.
//
// It takes no lock, so the parts of one upload commit in parallel. A part
// number uploaded again replaces the previous upload; the replaced data
// is not released at once but when the upload is finished, from the
// merged part entries (see finishUpload), which is what keeps a part
// replaced while CompleteUpload runs from releasing data the completed
// version uses. After committing, PutPart reads the upload again: if it
// was finished meanwhile without this data (completed with other parts,
// or aborted), it releases the data itself (no version can use it) and
// fails with ErrNoSuchUpload.
func (m *Model) PutPart(ctx context.Context, in PutPartInput) (PartRef, error) {
	if _, err := m.GetUpload(ctx, in.BucketID, in.Key, in.UploadID); err != nil {
		return PartRef{}, err
	}
	prev := m.readPartAsync(ctx, in.UploadID, in.Number)
	dataID := NewUUID()
	size, err := m.writeData(ctx, dataID, nil, in.Body, in.BodySHA256)
	if err == nil {
		err = checkSize(in.Size, size)
	}
	if err != nil {
		m.releaseLater(ctx, dataID)
		return PartRef{}, err
	}
	etag, sums := in.Digest()
	ref := PartRef{Number: in.Number, DataID: dataID, Size: size, ETag: etag, Checksums: sums}
	old, err := prev()
	if err != nil {
		m.releaseLater(ctx, dataID)
		return PartRef{}, err
	}
	// Stamped after the upload it replaces, so that it wins.
	p := Part{UploadID: in.UploadID, Number: in.Number, Data: crdt.NewLWW(m.clock.After(old.Data.TS), ref)}
	if err := m.parts.Insert(ctx, p); err != nil {
		// The entry may have reached some replicas: the data is left for
		// the upload's completion or abort to release.
		return PartRef{}, fmt.Errorf("record part: %w", err)
	}
	o, err := m.getObject(ctx, in.BucketID, in.Key)
	if err != nil {
		return PartRef{}, err
	}
	if v, ok := o.Version(in.UploadID); ok && v.State != StateUploading {
		if v.State != StateComplete || !slices.Contains(v.DataIDs(), dataID) {
			m.releaseLater(ctx, dataID)
		}
		return PartRef{}, fmt.Errorf("upload %s finished while part %d was uploaded: %w", in.UploadID, in.Number, ErrNoSuchUpload)
	}
	return ref, nil
}

// readPartAsync starts reading a part entry at quorum and returns the
// function that waits for it (a zero Part when there is none).
func (m *Model) readPartAsync(ctx context.Context, uploadID string, n int) func() (Part, error) {
	type result struct {
		p   Part
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, _, err := m.parts.Get(ctx, []byte(uploadID), partKey(n))
		if err != nil {
			err = fmt.Errorf("read part: %w", err)
		}
		m.clock.Observe(p.Data.TS)
		ch <- result{p, err}
	}()
	return func() (Part, error) {
		r := <-ch
		return r.p, r.err
	}
}

// releaseLater releases a data id that ended up unused.
func (m *Model) releaseLater(ctx context.Context, dataID string) {
	go func() {
		if err := m.releaseData(context.WithoutCancel(ctx), []byte(dataID)); err != nil {
			m.log.Warn("could not release unused data; the blocks stay until a scrub", "data", dataID, "err", err)
		}
	}()
}

// ListParts returns the parts of an upload with numbers above marker.
func (m *Model) ListParts(ctx context.Context, uploadID string, marker, max int) ([]PartRef, bool, error) {
	parts, err := m.parts.Range(ctx, []byte(uploadID), table.RangeQuery{Start: partKey(marker + 1), Limit: max + 1})
	if err != nil {
		return nil, false, fmt.Errorf("list parts: %w", err)
	}
	truncated := len(parts) > max
	if truncated {
		parts = parts[:max]
	}
	out := make([]PartRef, len(parts))
	for i, p := range parts {
		out[i] = p.Data.Value
	}
	return out, truncated, nil
}

// CompletedPart is a part named in CompleteMultipartUpload.
type CompletedPart struct {
	Number int
	ETag   string
}

// CompleteUpload assembles the named parts into the object's new version,
// stamped when it completes (after every version of the key), so that
// the last upload to complete wins. It decides under the key's lock,
// after reading the upload at quorum: completing an upload that was
// completed with the same part list answers that version again (as S3
// does); with another list, or after an abort, it fails with
// ErrNoSuchUpload. The parts the version does not use are released by
// the objects table's hook once the completion is merged (see
// objectUpdated), not here.
func (m *Model) CompleteUpload(ctx context.Context, bucketID, key, uploadID string, list []CompletedPart, cond WriteConditions) (ObjectVersion, error) {
	if len(list) == 0 {
		return ObjectVersion{}, fmt.Errorf("no parts given: %w", ErrInvalidPart)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return ObjectVersion{}, fmt.Errorf("part %d after part %d: %w", list[i].Number, list[i-1].Number, ErrInvalidPartOrder)
		}
	}
	var out ObjectVersion
	err := m.withLock(ctx, objectLock(bucketID, key), func() error {
		o, err := m.getObject(ctx, bucketID, key)
		if err != nil {
			return err
		}
		up, ok := o.Version(uploadID)
		if !ok || !up.Multipart {
			return fmt.Errorf("upload %s: %w", uploadID, ErrNoSuchUpload)
		}
		switch up.State {
		case StateUploading:
		case StateComplete:
			if sameParts(up, list) {
				out = up
				return nil
			}
			return fmt.Errorf("upload %s was completed with other parts: %w", uploadID, ErrNoSuchUpload)
		default:
			return fmt.Errorf("upload %s is %s: %w", uploadID, up.State, ErrNoSuchUpload)
		}
		v, err := m.assemble(ctx, up, list)
		if err != nil {
			return err
		}
		if err := checkWholeChecksums(cond.Checksums, v.Meta); err != nil {
			return err
		}
		if cond.IfMatch != nil || cond.IfNoneMatch != nil {
			if err := checkConditions(o, key, cond); err != nil {
				return err
			}
		}
		if err := m.insertVersion(ctx, bucketID, key, &v, o); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return ObjectVersion{}, err
	}
	return out, nil
}

// sameParts reports whether a completed version is made of the listed
// parts.
func sameParts(v ObjectVersion, list []CompletedPart) bool {
	if v.Data == nil || len(v.Data.Parts) != len(list) {
		return false
	}
	for i, p := range v.Data.Parts {
		if p.Number != list[i].Number || p.ETag != trimETag(list[i].ETag) {
			return false
		}
	}
	return true
}

// assemble reads the upload's parts and builds the complete version of
// the listed ones (its timestamp is set when it is written).
func (m *Model) assemble(ctx context.Context, up ObjectVersion, list []CompletedPart) (ObjectVersion, error) {
	stored := map[int]Part{}
	for after := 0; ; {
		page, err := m.parts.Range(ctx, []byte(up.UUID), table.RangeQuery{Start: partKey(after + 1), Limit: 1000})
		if err != nil {
			return ObjectVersion{}, fmt.Errorf("read parts: %w", err)
		}
		for _, p := range page {
			m.clock.Observe(p.Data.TS)
			stored[p.Number] = p
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Number
	}
	md5s := md5.New()
	var size int64
	refs := make([]PartRef, 0, len(list))
	for i, c := range list {
		p, ok := stored[c.Number]
		if !ok || trimETag(c.ETag) != p.Data.Value.ETag {
			return ObjectVersion{}, fmt.Errorf("part %d (etag %s): %w", c.Number, c.ETag, ErrInvalidPart)
		}
		ref := p.Data.Value
		if i < len(list)-1 && ref.Size < int64(m.cfg.MinPartSize) {
			return ObjectVersion{}, fmt.Errorf("part %d is %d bytes: %w", c.Number, ref.Size, ErrEntityTooSmall)
		}
		raw, err := hex.DecodeString(ref.ETag)
		if err != nil {
			return ObjectVersion{}, fmt.Errorf("part %d etag: %w", c.Number, err)
		}
		md5s.Write(raw)
		size += ref.Size
		refs = append(refs, ref)
	}
	meta := &ObjectMeta{Size: size, ETag: fmt.Sprintf("%x-%d", md5s.Sum(nil), len(list))}
	if up.Meta != nil {
		meta.Headers = up.Meta.Headers
		for alg := range up.Meta.Checksums {
			if up.Meta.ChecksumType == ChecksumFullObject {
				if sum := fullObjectChecksum(alg, refs); sum != "" {
					meta.Checksums = map[string]string{alg: sum}
					meta.ChecksumType = ChecksumFullObject
				}
			} else if sum := combineChecksums(alg, refs); sum != "" {
				meta.Checksums = map[string]string{alg: sum}
				meta.ChecksumType = ChecksumComposite
			}
		}
	}
	return ObjectVersion{UUID: up.UUID, State: StateComplete, Multipart: true, Meta: meta, Data: &ObjectData{Parts: refs}}, nil
}

// AbortUpload aborts an upload in progress; its parts are released in the
// background. It decides under the key's lock after reading the upload at
// quorum: an upload already completed or aborted is not found
// (ErrNoSuchUpload), so an abort never undoes an acknowledged completion.
func (m *Model) AbortUpload(ctx context.Context, bucketID, key, uploadID string) error {
	return m.withLock(ctx, objectLock(bucketID, key), func() error {
		o, err := m.getObject(ctx, bucketID, key)
		if err != nil {
			return err
		}
		up, ok := o.Version(uploadID)
		if !ok || !up.Multipart || up.State != StateUploading {
			return fmt.Errorf("upload %s: %w", uploadID, ErrNoSuchUpload)
		}
		up.State = StateAborted
		if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{up}}); err != nil {
			return fmt.Errorf("abort upload: %w", err)
		}
		return nil
	})
}

// DeleteObject hides the object behind a delete marker. Deleting a missing
// object succeeds and writes nothing.
func (m *Model) DeleteObject(ctx context.Context, bucketID, key string) error {
	o, err := m.getObject(ctx, bucketID, key)
	if err != nil {
		return err
	}
	cur, ok := o.Current()
	if !ok || !cur.IsData() {
		return nil
	}
	v := ObjectVersion{UUID: NewUUID(), State: StateComplete, Data: &ObjectData{DeleteMarker: true}}
	if err := m.insertVersion(ctx, bucketID, key, &v, o); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	return nil
}

// trimETag removes quotes and a weak prefix from an ETag.
func trimETag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	return strings.Trim(s, `"`)
}
