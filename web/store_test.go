package web

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/garage-web/garage-web/model"
	"github.com/garage-web/garage-web/table/crdt"
)

// memStore is an in-memory Store for handler tests. It counts HeadObject
// calls so tests can check how many lookups a request costs.
type memStore struct {
	mu      sync.Mutex
	buckets map[string]model.Bucket                   // by name
	objects map[string]map[string]model.ObjectVersion // bucket id → key
	keys    map[string]model.Key
	heads   int
	ts      uint64
	openErr error // returned by Open when set
	sites   map[string]model.Site
	nixKeys map[string]string // bucket id → secret key
	touches int
}

func newMemStore() *memStore {
	return &memStore{buckets: map[string]model.Bucket{}, objects: map[string]map[string]model.ObjectVersion{}, keys: map[string]model.Key{}, ts: 1_700_000_000_000}
}

func (m *memStore) addBucket(name string, website *model.WebsiteConfig, cors string) model.Bucket {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := model.Bucket{ID: "id-" + name, Website: crdt.NewLWW(1, website), CORS: crdt.NewLWW(1, cors)}
	m.buckets[name] = b
	m.objects[b.ID] = map[string]model.ObjectVersion{}
	return b
}

func (m *memStore) put(bucket, key string, data []byte, headers map[string]string) model.ObjectVersion {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.putLocked(m.buckets[bucket].ID, key, data, headers)
}

func (m *memStore) putLocked(bucketID, key string, data []byte, headers map[string]string) model.ObjectVersion {
	m.ts += 1000
	sum := md5.Sum(data)
	v := model.ObjectVersion{
		UUID: fmt.Sprint(m.ts), TS: m.ts, State: model.StateComplete,
		Meta: &model.ObjectMeta{Size: int64(len(data)), ETag: hex.EncodeToString(sum[:]), Headers: headers},
		Data: &model.ObjectData{Inline: append([]byte{}, data...)},
	}
	m.objects[bucketID][key] = v
	return v
}

func (m *memStore) ResolveBucket(ctx context.Context, name string) (model.Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.buckets[name]
	if !ok {
		return model.Bucket{}, model.ErrNoSuchBucket
	}
	return b, nil
}

func (m *memStore) HeadObject(ctx context.Context, bucketID, key string) (model.ObjectVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.heads++
	v, ok := m.objects[bucketID][key]
	if !ok {
		return model.ObjectVersion{}, model.ErrNoSuchObject
	}
	return v, nil
}

func (m *memStore) Open(ctx context.Context, v model.ObjectVersion, off, length int64) (io.ReadCloser, error) {
	if m.openErr != nil {
		return nil, m.openErr
	}
	return io.NopCloser(bytes.NewReader(v.Data.Inline[off : off+length])), nil
}

func (m *memStore) PutObject(ctx context.Context, in model.PutObjectInput) (model.ObjectVersion, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return model.ObjectVersion{}, err
	}
	if in.Size >= 0 && int64(len(data)) != in.Size {
		return model.ObjectVersion{}, model.ErrIncompleteBody
	}
	etag, _ := in.Digest()
	m.mu.Lock()
	defer m.mu.Unlock()
	if model.MatchETags(in.If.IfNoneMatch, "*") {
		if _, ok := m.objects[in.BucketID][in.Key]; ok {
			return model.ObjectVersion{}, model.ErrPrecondition
		}
	}
	v := m.putLocked(in.BucketID, in.Key, data, in.Headers)
	if v.Meta.ETag != etag {
		return model.ObjectVersion{}, fmt.Errorf("digest %s, want %s", etag, v.Meta.ETag)
	}
	return v, nil
}

func (m *memStore) GetKey(ctx context.Context, id string) (model.Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return model.Key{}, model.ErrNoSuchAccessKey
	}
	return k, nil
}

func (m *memStore) addKey(id, secret, bucket string, p model.Permissions) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := model.Key{ID: id, Secret: secret, Buckets: crdt.LWWMap[string, model.Permissions]{}.Set(m.buckets[bucket].ID, 1, p)}
	m.keys[id] = k
}

func (m *memStore) headCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heads
}

// GetSite implements Store: the sites set with addSite.
func (m *memStore) GetSite(ctx context.Context, name string) (model.Site, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sites[name]
	if !ok {
		return model.Site{}, model.ErrNoSuchSite
	}
	return s, nil
}

func (m *memStore) addSite(s model.Site) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sites == nil {
		m.sites = map[string]model.Site{}
	}
	m.sites[s.Name] = s
}

// GetNixCacheKey implements Store: the keys set with setNixKey.
func (m *memStore) GetNixCacheKey(ctx context.Context, bucketID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nixKeys[bucketID], nil
}

// CountPrefix implements Store.
func (m *memStore) CountPrefix(ctx context.Context, bucketID, prefix string) (objects, bytes int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.objects[bucketID] {
		if strings.HasPrefix(k, prefix) {
			objects++
			if v.Meta != nil {
				bytes += v.Meta.Size
			}
		}
	}
	return objects, bytes, nil
}

// TouchNixNarinfo implements Store: it counts.
func (m *memStore) TouchNixNarinfo(ctx context.Context, bucketID, key string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touches++
	return nil
}
