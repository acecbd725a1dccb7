package model

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
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
	v := ObjectVersion{UUID: NewUUID(), TS: m.clock.Now(), State: StateUploading, Multipart: true,
		Meta: &ObjectMeta{Headers: headers}}
	if checksumAlg != "" {
		v.Meta.Checksums = map[string]string{checksumAlg: ""}
		v.Meta.ChecksumType = "COMPOSITE"
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
}

// PutPart stores one part of an upload and returns its reference.
func (m *Model) PutPart(ctx context.Context, in PutPartInput) (PartRef, error) {
	if _, err := m.GetUpload(ctx, in.BucketID, in.Key, in.UploadID); err != nil {
		return PartRef{}, err
	}
	dataID := NewUUID()
	size, err := m.writeData(ctx, dataID, in.Body)
	if err == nil {
		err = checkSize(in.Size, size)
	}
	if err != nil {
		m.releaseLater(ctx, dataID)
		return PartRef{}, err
	}
	etag, sums := in.Digest()
	ref := PartRef{Number: in.Number, DataID: dataID, Size: size, ETag: etag, Checksums: sums}
	p := Part{UploadID: in.UploadID, Number: in.Number, Data: crdt.NewLWW(m.clock.Now(), ref)}
	if err := m.parts.Insert(ctx, p); err != nil {
		m.releaseLater(ctx, dataID)
		return PartRef{}, fmt.Errorf("record part: %w", err)
	}
	return ref, nil
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

// CompleteUpload assembles the named parts into the object's new version.
func (m *Model) CompleteUpload(ctx context.Context, bucketID, key, uploadID string, list []CompletedPart, cond WriteConditions) (ObjectVersion, error) {
	up, err := m.GetUpload(ctx, bucketID, key, uploadID)
	if err != nil {
		return ObjectVersion{}, err
	}
	if len(list) == 0 {
		return ObjectVersion{}, fmt.Errorf("no parts given: %w", ErrInvalidPart)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return ObjectVersion{}, fmt.Errorf("part %d after part %d: %w", list[i].Number, list[i-1].Number, ErrInvalidPartOrder)
		}
	}
	stored := map[int]Part{}
	for after := 0; ; {
		page, err := m.parts.Range(ctx, []byte(uploadID), table.RangeQuery{Start: partKey(after + 1), Limit: 1000})
		if err != nil {
			return ObjectVersion{}, fmt.Errorf("read parts: %w", err)
		}
		for _, p := range page {
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
	used := map[int]bool{}
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
		used[c.Number] = true
	}
	meta := &ObjectMeta{Size: size, ETag: fmt.Sprintf("%x-%d", md5s.Sum(nil), len(list))}
	if up.Meta != nil {
		meta.Headers = up.Meta.Headers
		for alg := range up.Meta.Checksums {
			if sum := combineChecksums(alg, refs); sum != "" {
				meta.Checksums = map[string]string{alg: sum}
				meta.ChecksumType = "COMPOSITE"
			}
		}
	}
	v := ObjectVersion{UUID: up.UUID, TS: up.TS, State: StateComplete, Multipart: true, Meta: meta, Data: &ObjectData{Parts: refs}}
	if err := m.commitVersion(ctx, bucketID, key, v, cond); err != nil {
		return ObjectVersion{}, err
	}
	// The parts table is no longer needed: the version holds the refs.
	// Parts not named in the list are released.
	var done []Part
	for n, p := range stored {
		if !used[n] {
			m.releaseLater(ctx, p.Data.Value.DataID)
		}
		p.Deleted = true
		done = append(done, p)
	}
	if err := m.parts.Insert(context.WithoutCancel(ctx), done...); err != nil {
		m.log.Warn("could not clear completed parts", "upload", uploadID, "err", err)
	}
	return v, nil
}

// AbortUpload aborts an upload; its parts are released in the background.
func (m *Model) AbortUpload(ctx context.Context, bucketID, key, uploadID string) error {
	up, err := m.GetUpload(ctx, bucketID, key, uploadID)
	if err != nil {
		return err
	}
	up.State = StateAborted
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{up}}); err != nil {
		return fmt.Errorf("abort upload: %w", err)
	}
	return nil
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
	v := ObjectVersion{UUID: NewUUID(), TS: m.clock.After(cur.TS), State: StateComplete, Data: &ObjectData{DeleteMarker: true}}
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}}); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	return nil
}

// splitList splits a comma-separated header value.
func splitList(h string) []string {
	var out []string
	for _, p := range strings.Split(h, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// trimETag removes quotes and a weak prefix from an ETag.
func trimETag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	return strings.Trim(s, `"`)
}
