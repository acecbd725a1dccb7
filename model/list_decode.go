package model

import (
	"encoding/json"
	"fmt"
)

// A listing reads every entry of a page but needs little of each: the
// key, and of each version its state, timestamp, size, ETag, checksums
// and storage class. decodeObjectLight decodes only that (the inline
// bytes, parts, block lists, tags, ACL and other headers are skipped
// without being copied), for table.RangeQuery.Light reads.

// lightObject is the part of an Object a listing reads.
type lightObject struct {
	Key      string         `json:"key"`
	Versions []lightVersion `json:"versions"`
}

type lightVersion struct {
	UUID      string     `json:"uuid"`
	TS        uint64     `json:"ts"`
	State     string     `json:"state"`
	Multipart bool       `json:"multipart,omitempty"`
	Meta      *lightMeta `json:"meta,omitempty"`
	Data      *lightData `json:"data,omitempty"`
}

type lightMeta struct {
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`
	Headers      lightHeaders      `json:"headers,omitempty"`
	Checksums    map[string]string `json:"checksums,omitempty"`
	ChecksumType string            `json:"checksumType,omitempty"`
}

// lightHeaders keeps the one stored header a listing shows.
type lightHeaders struct {
	StorageClass string `json:"X-Amz-Storage-Class,omitempty"`
}

type lightData struct {
	DeleteMarker bool `json:"deleteMarker,omitempty"`
}

// decodeObjectLight decodes a stored object entry for a listing: an
// Object without its bucket id, with versions whose Data holds only the
// delete-marker flag and whose Meta holds only the size, ETag, checksums
// and the X-Amz-Storage-Class header. Visible, Current, MaxTS and the
// objects table's filters give on it what they give on the whole entry.
func decodeObjectLight(b []byte) (Object, error) {
	if len(b) == 0 {
		return Object{}, fmt.Errorf("empty entry")
	}
	var l lightObject
	var err error
	switch b[0] {
	case formatCompact:
		return decodeObjectLightCompact(b[1:])
	case formatCBOR:
		err = cborDec.Unmarshal(b[1:], &l)
	case formatJSON:
		err = json.Unmarshal(b[1:], &l)
	default:
		return Object{}, fmt.Errorf("unknown entry format %d", b[0])
	}
	if err != nil {
		return Object{}, err
	}
	o := Object{Key: l.Key, Versions: make([]ObjectVersion, len(l.Versions))}
	// One allocation for every version's Data and Meta.
	datas := make([]ObjectData, len(l.Versions))
	metas := make([]ObjectMeta, len(l.Versions))
	for i, lv := range l.Versions {
		v := ObjectVersion{UUID: lv.UUID, TS: lv.TS, State: lv.State, Multipart: lv.Multipart}
		if lv.Data != nil {
			datas[i].DeleteMarker = lv.Data.DeleteMarker
			v.Data = &datas[i]
		}
		if lm := lv.Meta; lm != nil {
			metas[i] = ObjectMeta{Size: lm.Size, ETag: lm.ETag, Checksums: lm.Checksums, ChecksumType: lm.ChecksumType}
			if sc := lm.Headers.StorageClass; sc != "" {
				metas[i].Headers = map[string]string{"X-Amz-Storage-Class": sc}
			}
			v.Meta = &metas[i]
		}
		o.Versions[i] = v
	}
	return o, nil
}
