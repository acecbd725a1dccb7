package model

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/garage-web/garage-web/table"
	"github.com/garage-web/garage-web/table/crdt"
)

// TLS certificate storage: the two tables behind the web endpoint's
// automatic HTTPS (package tls/, a certmagic Storage). Certificates, keys,
// ACME account data and challenge tokens are small files under
// slash-separated keys; storing them in the cluster lets any node serve
// any site with a certificate issued once per cluster.
//
//	certfiles  pk ""  sk key   CertFile (LWW value, nil once deleted)
//	certlocks  pk ""  sk name  CertLock (one lease claim per node)
//
// Both tables have one partition: there are a few files per site.

// CertFile is one stored file. Its value is a last-writer-wins register
// whose timestamp is also the file's modification time; a delete writes a
// nil value (a tombstone) at a newer timestamp, so a replica that missed
// the delete cannot resurrect the file.
type CertFile struct {
	Key   string            `json:"key"`
	Value crdt.LWW[*[]byte] `json:"value"`
}

// PartitionKey implements table.Entry: all files share one partition.
func (f CertFile) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (f CertFile) SortKey() []byte { return []byte(f.Key) }

// IsTombstone implements table.Entry.
func (f CertFile) IsTombstone() bool { return f.Value.Value == nil }

// Merge implements table.Entry: the newer value wins (LWW).
func (f CertFile) Merge(o CertFile) CertFile {
	f.Value = f.Value.Merge(o.Value)
	return f
}

// Data returns the file's content (nil for a tombstone).
func (f CertFile) Data() []byte {
	if f.Value.Value == nil {
		return nil
	}
	return *f.Value.Value
}

// Modified returns when the file was last written.
func (f CertFile) Modified() time.Time { return time.UnixMilli(int64(f.Value.TS)) }

// CertLockClaim is one node's claim on a lock: a lease until Expires.
type CertLockClaim struct {
	// Token identifies one acquisition, so a holder can tell its claim
	// from a newer one written by its own node after a restart.
	Token string `json:"token"`
	// Expires is the end of the lease in Unix milliseconds.
	Expires int64 `json:"expires"`
}

// Live reports whether the claim is held at now.
func (c *CertLockClaim) Live(now time.Time) bool {
	return c != nil && c.Expires > now.UnixMilli()
}

// CertLock is a named lock: each node's current claim, keyed by node id
// (nil once released). The mutual exclusion protocol over it is in package
// tls; here it is only a map of registers that merges.
type CertLock struct {
	Name   string                              `json:"name"`
	Claims crdt.LWWMap[string, *CertLockClaim] `json:"claims,omitempty"`
}

// PartitionKey implements table.Entry: all locks share one partition.
func (l CertLock) PartitionKey() []byte { return nil }

// SortKey implements table.Entry.
func (l CertLock) SortKey() []byte { return []byte(l.Name) }

// IsTombstone implements table.Entry: no node claims the lock.
func (l CertLock) IsTombstone() bool {
	for _, c := range l.Claims {
		if c.Value != nil {
			return false
		}
	}
	return true
}

// Merge implements table.Entry: claims merge node by node (LWW).
func (l CertLock) Merge(o CertLock) CertLock {
	l.Claims = l.Claims.Merge(o.Claims)
	return l
}

// certTables are the two tables of certificate storage.
type certTables struct {
	files *table.Table[CertFile]
	locks *table.Table[CertLock]
}

// openCertTables registers the certificate tables on the local node.
func openCertTables(local *table.Local, placement table.Placement) (*certTables, error) {
	files, err := table.New(table.Schema[CertFile]{Name: "certfiles", Encode: encodeEntry[CertFile], Decode: decodeEntry[CertFile]}, local, placement, table.Options[CertFile]{})
	if err != nil {
		return nil, err
	}
	locks, err := table.New(table.Schema[CertLock]{Name: "certlocks", Encode: encodeEntry[CertLock], Decode: decodeEntry[CertLock]}, local, placement, table.Options[CertLock]{})
	if err != nil {
		return nil, err
	}
	return &certTables{files: files, locks: locks}, nil
}

// PutCertFile stores data at key, replacing any previous value.
func (m *Model) PutCertFile(ctx context.Context, key string, data []byte) error {
	v := bytes.Clone(data)
	if v == nil {
		v = []byte{}
	}
	return m.certs.files.Insert(ctx, CertFile{Key: key, Value: crdt.NewLWW(m.clock.Now(), &v)})
}

// GetCertFile returns the file at key; ok is false when there is none.
func (m *Model) GetCertFile(ctx context.Context, key string) (f CertFile, ok bool, err error) {
	f, ok, err = m.certs.files.Get(ctx, nil, []byte(key))
	if err != nil || !ok || f.IsTombstone() {
		return CertFile{}, false, err
	}
	m.clock.Observe(f.Value.TS)
	return f, true, nil
}

// ListCertFiles returns the files whose key starts with prefix (a plain
// string prefix: "a/b" also matches "a/bc"), in key order; at most limit
// of them when limit > 0.
func (m *Model) ListCertFiles(ctx context.Context, prefix string, limit int) ([]CertFile, error) {
	const page = 1000
	var out []CertFile
	var start []byte
	for {
		n := page
		if limit > 0 {
			n = min(page, limit-len(out))
		}
		fs, err := m.certs.files.Range(ctx, nil, table.RangeQuery{Start: start, Prefix: []byte(prefix), Limit: n})
		if err != nil {
			return nil, fmt.Errorf("list certificate files %q: %w", prefix, err)
		}
		out = append(out, fs...)
		if len(fs) < n || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		start = append([]byte(fs[len(fs)-1].Key), 0)
	}
}

// DeleteCertFiles deletes the file at key and every file under key + "/"
// (a directory). Deleting what does not exist is not an error.
func (m *Model) DeleteCertFiles(ctx context.Context, key string) error {
	key = strings.TrimSuffix(key, "/")
	files, err := m.ListCertFiles(ctx, key, 0)
	if err != nil {
		return err
	}
	var dead []CertFile
	for _, f := range files {
		if f.Key == key || strings.HasPrefix(f.Key, key+"/") {
			// After: the tombstone must win over the value it deletes even
			// if that value was written by a node whose clock is ahead.
			dead = append(dead, CertFile{Key: f.Key, Value: crdt.NewLWW[*[]byte](m.clock.After(f.Value.TS), nil)})
		}
	}
	if len(dead) == 0 {
		return nil
	}
	return m.certs.files.Insert(ctx, dead...)
}

// CertLockClaims returns the current claims on lock name, by node id
// (released claims are left out).
func (m *Model) CertLockClaims(ctx context.Context, name string) (map[string]CertLockClaim, error) {
	l, ok, err := m.certs.locks.Get(ctx, nil, []byte(name))
	if err != nil || !ok {
		return nil, err
	}
	out := make(map[string]CertLockClaim, len(l.Claims))
	for owner, c := range l.Claims {
		m.clock.Observe(c.TS)
		if c.Value != nil {
			out[owner] = *c.Value
		}
	}
	return out, nil
}

// SetCertLockClaim writes owner's claim on lock name; nil releases it.
// It returns once a write quorum has it.
func (m *Model) SetCertLockClaim(ctx context.Context, name, owner string, c *CertLockClaim) error {
	l := CertLock{Name: name}
	l.Claims = l.Claims.Set(owner, m.clock.Now(), c)
	return m.certs.locks.Insert(ctx, l)
}
