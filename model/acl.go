package model

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/garage-web/garage-web/table/crdt"
)

// Access control lists and bucket policies.
//
// A bucket holds an ACL and a policy document, each an LWW register
// stamped with the bucket's clock like its other settings. An object
// version holds the ACL it was written with (in its stored headers, under
// ACLHeader, fixed with the version) and, once PutObjectAcl changed it, an
// LWW register that overrides it. The register of a version merges on its
// own: two replicas holding one version with different ACLs keep the
// newer, whichever state wins. Markers (superseded, aborted) drop it.
//
// The model stores ACLs and policies; the S3 front end decides what they
// allow.

// ACL permissions, as S3 names them.
const (
	PermRead     = "READ"
	PermWrite    = "WRITE"
	PermReadACP  = "READ_ACP"
	PermWriteACP = "WRITE_ACP"
	PermFull     = "FULL_CONTROL"
)

// ACLHeader is the stored header that holds the ACL an object version was
// written with (its JSON encoding). Lower case, so no client header can
// collide with it; never sent back as a header.
const ACLHeader = "x-garage-acl"

// Grant gives one access key a permission.
type Grant struct {
	KeyID      string `json:"key"`
	Permission string `json:"perm"`
}

// ACL is an access control list in the subset garage-web implements:
// read for everyone, read for every access key of the cluster, and
// per-key grants. The zero ACL is private.
type ACL struct {
	// Canned is the canned ACL it was set from ("" for explicit grants).
	Canned string `json:"canned,omitempty"`
	// PublicRead grants READ to everyone, signed or not (AllUsers).
	PublicRead bool `json:"publicRead,omitempty"`
	// AuthenticatedRead grants READ to every access key of the cluster
	// (AuthenticatedUsers).
	AuthenticatedRead bool `json:"authRead,omitempty"`
	// Grants are per-key grants, sorted by key id then permission.
	Grants []Grant `json:"grants,omitempty"`
}

// IsPrivate reports whether the ACL grants nothing beyond the bucket
// permissions of keys.
func (a ACL) IsPrivate() bool { return !a.PublicRead && !a.AuthenticatedRead && len(a.Grants) == 0 }

// KeyHas reports whether a per-key grant gives keyID perm (FULL_CONTROL
// implies every permission).
func (a ACL) KeyHas(keyID, perm string) bool {
	for _, g := range a.Grants {
		if g.KeyID == keyID && (g.Permission == perm || g.Permission == PermFull) {
			return true
		}
	}
	return false
}

// String summarizes the ACL: its canned name when it has one, else its
// grants ("AllUsers READ, GK… READ_ACP"), "private" when it grants
// nothing.
func (a ACL) String() string {
	if a.Canned != "" {
		return a.Canned
	}
	var parts []string
	if a.PublicRead {
		parts = append(parts, "AllUsers READ")
	}
	if a.AuthenticatedRead {
		parts = append(parts, "AuthenticatedUsers READ")
	}
	for _, g := range a.Normalize().Grants {
		parts = append(parts, g.KeyID+" "+g.Permission)
	}
	if len(parts) == 0 {
		return "private"
	}
	return strings.Join(parts, ", ")
}

// Normalize sorts the grants and drops duplicates, so that equal ACLs
// encode equally (their LWW registers tie-break on the encoding).
func (a ACL) Normalize() ACL {
	gs := slices.Clone(a.Grants)
	slices.SortFunc(gs, func(x, y Grant) int {
		if x.KeyID != y.KeyID {
			if x.KeyID < y.KeyID {
				return -1
			}
			return 1
		}
		switch {
		case x.Permission < y.Permission:
			return -1
		case x.Permission > y.Permission:
			return 1
		}
		return 0
	})
	a.Grants = slices.Compact(gs)
	if len(a.Grants) == 0 {
		a.Grants = nil
	}
	return a
}

// EncodeACL returns the stored form of a (for ACLHeader).
func EncodeACL(a ACL) string {
	b, _ := json.Marshal(a.Normalize())
	return string(b)
}

// ObjectACL returns the version's effective ACL: the one PutObjectAcl set
// last, else the one it was written with, else private.
func (v ObjectVersion) ObjectACL() ACL {
	if v.ACL.TS > 0 && v.ACL.Value != nil {
		return *v.ACL.Value
	}
	var a ACL
	if v.Meta != nil && v.Meta.Headers[ACLHeader] != "" {
		if err := json.Unmarshal([]byte(v.Meta.Headers[ACLHeader]), &a); err != nil {
			return ACL{} // unreadable: private
		}
	}
	return a
}

// BucketACL returns the bucket's ACL (private when never set).
func (b Bucket) BucketACL() ACL {
	if b.ACL.Value == nil {
		return ACL{}
	}
	return *b.ACL.Value
}

// SetBucketACL replaces the bucket's ACL.
func (m *Model) SetBucketACL(ctx context.Context, id string, a ACL) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	a = a.Normalize()
	upd := Bucket{ID: b.ID, ACL: crdt.NewLWW(m.clock.After(b.ACL.TS), &a)}
	if err := m.insertBuckets(ctx, upd); err != nil {
		return fmt.Errorf("set bucket acl: %w", err)
	}
	return nil
}

// SetBucketPolicy stores the bucket's policy document ("" removes it). The
// caller validates it.
func (m *Model) SetBucketPolicy(ctx context.Context, id, doc string) error {
	b, err := m.GetBucket(ctx, id)
	if err != nil {
		return err
	}
	upd := Bucket{ID: b.ID, Policy: crdt.NewLWW(m.clock.After(b.Policy.TS), doc)}
	if err := m.insertBuckets(ctx, upd); err != nil {
		return fmt.Errorf("set bucket policy: %w", err)
	}
	return nil
}

// SetObjectACL replaces the ACL of the object's visible version. The
// version is written again whole with a newer ACL register: replicas merge
// the register on its own (see Object.Merge), and a version that a newer
// write superseded meanwhile stays superseded.
func (m *Model) SetObjectACL(ctx context.Context, bucketID, key string, a ACL) error {
	v, err := m.HeadObject(ctx, bucketID, key)
	if err != nil {
		return err
	}
	a = a.Normalize()
	v.ACL = crdt.NewLWW(m.clock.After(max(v.ACL.TS, v.TS)), &a)
	if err := m.objects.Insert(ctx, Object{Bucket: bucketID, Key: key, Versions: []ObjectVersion{v}}); err != nil {
		return fmt.Errorf("set object acl: %w", err)
	}
	return nil
}
