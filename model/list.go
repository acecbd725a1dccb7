package model

import (
	"context"
	"fmt"
	"strings"

	"github.com/garage-web/garage-web/table"
)

// ListInput selects objects of a bucket, as ListObjects(V2) does.
type ListInput struct {
	BucketID   string
	Prefix     string
	Delimiter  string
	StartAfter string // keys strictly after this (marker, start-after, continuation)
	MaxKeys    int
	// Summary asks for versions carrying only what a listing shows
	// (state, timestamp, size, ETag, checksums, the storage class
	// header): no data and no other metadata, which saves decoding them.
	// Leave it false to read or copy the listed objects.
	Summary bool
}

// ListEntry is one listed object.
type ListEntry struct {
	Key     string
	Version ObjectVersion
}

// ListOutput is a page of a listing: objects and common prefixes, in
// key order, at most MaxKeys of them together.
type ListOutput struct {
	Objects     []ListEntry
	Prefixes    []string
	IsTruncated bool
	// NextMarker is the last key or prefix returned, when truncated.
	NextMarker string
}

// prefixEnd returns the smallest string greater than every string with
// prefix p ("" when there is none).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// commonPrefix returns the prefix key rolls up into, if any.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}

// ListObjects lists visible objects. Common prefixes are skipped over with
// one seek each, so a listing with a delimiter costs one page per prefix
// at most, not one entry per key below it.
func (m *Model) ListObjects(ctx context.Context, in ListInput) (ListOutput, error) {
	var out ListOutput
	if in.MaxKeys <= 0 {
		out.IsTruncated = false
		return out, nil
	}
	// Where to start reading: strictly after StartAfter, and past the
	// whole common prefix StartAfter rolls up into (already returned).
	var start []byte
	if in.StartAfter != "" {
		if cp, ok := commonPrefix(in.StartAfter, in.Prefix, in.Delimiter); ok {
			end := prefixEnd(cp)
			if end == "" {
				return out, nil
			}
			start = []byte(end)
		} else {
			start = append([]byte(in.StartAfter), 0)
		}
	}
	count := 0
	// One more than asked tells whether the listing is truncated, so a
	// page of 1,000 keys reads 1,001 entries, not a second page.
	pageSize := min(in.MaxKeys, 1000) + 1
	for {
		page, err := m.objects.Range(ctx, []byte(in.BucketID), table.RangeQuery{
			Start: start, Prefix: []byte(in.Prefix), Filter: filterVisible, Limit: pageSize, Light: in.Summary,
		})
		if err != nil {
			return out, fmt.Errorf("list objects: %w", err)
		}
		m.observeObjects(page)
		if len(page) == 0 {
			return out, nil
		}
		skipped := false
		for _, o := range page {
			if count == in.MaxKeys {
				out.IsTruncated = true
				return out, nil
			}
			if cp, ok := commonPrefix(o.Key, in.Prefix, in.Delimiter); ok {
				out.Prefixes = append(out.Prefixes, cp)
				out.NextMarker = cp
				count++
				end := prefixEnd(cp)
				if end == "" {
					return out, nil
				}
				start = []byte(end)
				skipped = true
				break
			}
			v, _ := o.Visible()
			out.Objects = append(out.Objects, ListEntry{Key: o.Key, Version: v})
			out.NextMarker = o.Key
			count++
		}
		if !skipped {
			if len(page) < pageSize {
				return out, nil
			}
			start = append([]byte(page[len(page)-1].Key), 0)
		}
	}
}

// UploadEntry is one multipart upload in progress.
type UploadEntry struct {
	Key     string
	Version ObjectVersion
}

// ListUploadsInput selects multipart uploads of a bucket.
type ListUploadsInput struct {
	BucketID       string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsOutput is a page of uploads.
type ListUploadsOutput struct {
	Uploads            []UploadEntry
	Prefixes           []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListUploads lists multipart uploads in progress, by key then upload id
// (upload ids sort as their creation time does).
func (m *Model) ListUploads(ctx context.Context, in ListUploadsInput) (ListUploadsOutput, error) {
	var out ListUploadsOutput
	if in.MaxUploads <= 0 {
		return out, nil
	}
	var start []byte
	if in.KeyMarker != "" {
		start = []byte(in.KeyMarker)
		if in.UploadIDMarker == "" {
			start = append(start, 0)
		}
	}
	count := 0
	for {
		page, err := m.objects.Range(ctx, []byte(in.BucketID), table.RangeQuery{
			Start: start, Prefix: []byte(in.Prefix), Filter: filterUploads, Limit: 1000,
		})
		if err != nil {
			return out, fmt.Errorf("list uploads: %w", err)
		}
		m.observeObjects(page)
		if len(page) == 0 {
			return out, nil
		}
		skipped := false
		for _, o := range page {
			if cp, ok := commonPrefix(o.Key, in.Prefix, in.Delimiter); ok {
				if count == in.MaxUploads {
					out.IsTruncated = true
					return out, nil
				}
				if cp != in.KeyMarker {
					out.Prefixes = append(out.Prefixes, cp)
					out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
					count++
				}
				end := prefixEnd(cp)
				if end == "" {
					return out, nil
				}
				start, skipped = []byte(end), true
				break
			}
			for _, u := range o.Uploads() {
				if o.Key == in.KeyMarker && in.UploadIDMarker != "" && !uploadAfter(u, in.UploadIDMarker, o) {
					continue
				}
				if count == in.MaxUploads {
					out.IsTruncated = true
					return out, nil
				}
				out.Uploads = append(out.Uploads, UploadEntry{Key: o.Key, Version: u})
				out.NextKeyMarker, out.NextUploadIDMarker = o.Key, u.UUID
				count++
			}
		}
		if !skipped {
			if len(page) < 1000 {
				return out, nil
			}
			start = append([]byte(page[len(page)-1].Key), 0)
		}
	}
}

// uploadAfter reports whether upload u comes after the upload with id
// marker in o's version order.
func uploadAfter(u ObjectVersion, marker string, o Object) bool {
	mv, ok := o.Version(marker)
	if !ok {
		return u.UUID > marker
	}
	return mv.before(u)
}
