package model

import (
	"context"
	"fmt"

	"github.com/garage-web/garage-web/table/crdt"
)

// Tags of objects and buckets.
//
// A tag set is kept in one string, in the form the S3 front end chooses
// (canonical URL-query form, sorted by key); the model only stores it.
//
// An object's tags given when it is written are part of the version's
// metadata. Changing them later (PutObjectTagging, DeleteObjectTagging)
// tags the version that exists: ObjectVersion.Tags, a last-writer-wins
// register stamped after the version and after the tags it replaces. The
// version's uuid ties the tags to it, so a tagging write that races a newer
// PUT of the key never undoes it: the newer version supersedes the tagged
// one, whose marker keeps no tags. Of two concurrent tagging writes, the
// later stamp wins on every replica.
//
// A bucket's tags are one LWW register of the bucket (Bucket.Tags).

// mergeTags merges two tag registers of one version (nil: never changed).
func mergeTags(a, b *crdt.LWW[string]) *crdt.LWW[string] {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	m := a.Merge(*b)
	return &m
}

// TagsChanged reports whether the version's tags were changed after it
// was written, and the tag set they were changed to ("" for none).
func (v ObjectVersion) TagsChanged() (tags string, changed bool) {
	if v.Tags == nil {
		return "", false
	}
	return v.Tags.Value, true
}

// SetObjectTags replaces the tags of the object's visible version with
// tags ("" removes them) and returns the version as tagged. It fails with
// ErrNoSuchObject when the key has no visible version.
func (m *Model) SetObjectTags(ctx context.Context, bucketID, key, tags string) (ObjectVersion, error) {
	o, err := m.getObject(ctx, bucketID, key)
	if err != nil {
		return ObjectVersion{}, err
	}
	v, ok := o.Visible()
	if !ok {
		return ObjectVersion{}, fmt.Errorf("%s: %w", key, ErrNoSuchObject)
	}
	after := v.TS
	if v.Tags != nil {
		after = max(after, v.Tags.TS)
	}
	t := crdt.NewLWW(m.clock.After(after), tags)
	v.Tags = &t
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}}); err != nil {
		return ObjectVersion{}, fmt.Errorf("set object tags: %w", err)
	}
	return v, nil
}

// SetBucketTags stores the bucket's tag set ("" removes it).
func (m *Model) SetBucketTags(ctx context.Context, id, tags string) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	upd := Bucket{ID: b.ID, Tags: crdt.NewLWW(m.clock.After(b.Tags.TS), tags)}
	if err := m.insertBuckets(ctx, upd); err != nil {
		return fmt.Errorf("set bucket tags: %w", err)
	}
	return nil
}
